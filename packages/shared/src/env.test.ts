import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv, loadDotEnv, ConfigError } from './env';

describe('configuration', () => {
  it('takes defaults when nothing is set', () => {
    const e = parseEnv({});
    expect(e.REDIS_URL).toBeUndefined(); // queues in PostgreSQL
    expect(parseEnv({ REDIS_URL: '' }).REDIS_URL).toBeUndefined();
    expect(parseEnv({ REDIS_URL: 'redis://r:6379' }).REDIS_URL).toBe('redis://r:6379');
    expect(e.PORT).toBe(3000);
    expect(e.DATABASE_URL).toBeUndefined();
  });
  it('stops with the variable name and what it expects', () => {
    expect(() => parseEnv({ DATABASE_URL: 'mysql://x', PORT: 'eighty' })).toThrow(ConfigError);
    try {
      parseEnv({ DATABASE_URL: 'mysql://x' });
    } catch (err) {
      expect((err as Error).message).toMatch(/DATABASE_URL="mysql:\/\/x": expected a URL starting with postgres:\/\//);
    }
  });
  it('reads .env in the working folder, and the environment wins', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-env-'));
    const file = path.join(dir, '.env');
    fs.writeFileSync(file, '# settings\nDL_TEST_FROM_FILE=file\nDL_TEST_BOTH="file"\n');
    process.env.DL_TEST_BOTH = 'environment';
    try {
      loadDotEnv(file);
      expect(process.env.DL_TEST_FROM_FILE).toBe('file');
      expect(process.env.DL_TEST_BOTH).toBe('environment');
    } finally {
      delete process.env.DL_TEST_FROM_FILE;
      delete process.env.DL_TEST_BOTH;
      fs.rmSync(dir, { recursive: true });
    }
  });
  it('names the file and line of a .env line that is not KEY=value', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-env-'));
    const file = path.join(dir, '.env');
    fs.writeFileSync(file, 'PORT=3000\nthis is not a setting\n');
    expect(() => loadDotEnv(file)).toThrow(/\.env, line 2: expected KEY=value/);
    fs.rmSync(dir, { recursive: true });
  });
});
