import { parseEnv, ConfigError } from './env';

describe('configuration', () => {
  it('takes defaults when nothing is set', () => {
    const e = parseEnv({});
    expect(e.REDIS_URL).toBe('redis://127.0.0.1:6379');
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
});
