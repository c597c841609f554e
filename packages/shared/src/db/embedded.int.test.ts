import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../env';
import { TEST_PG_ADMIN } from '../testing/test-db';
import { ensureEmbeddedPostgres, EmbeddedPostgresConflictError } from './embedded';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** `pnpm start` without DATABASE_URL: the embedded PostgreSQL initialises, serves, stops and starts again (also as root). */
describe('embedded PostgreSQL', () => {
  it('initialises a data folder, answers, and starts again from the same folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-embedded-'));
    const port = await freePort();
    const run = () =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'embedded-smoke.ts'), dir, String(port)], {
        cwd: repoRoot(),
        encoding: 'utf8',
        timeout: 120_000,
      });
    try {
      const first = run();
      expect(first.stderr).toContain('first run: initialising');
      expect(first.status).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ db: 'deliveryline', v: expect.stringMatching(/^PostgreSQL \d+/) });
      const again = run();
      expect(again.status).toBe(0);
      expect(again.stderr).not.toContain('initialising');
      expect(fs.existsSync(path.join(dir, 'pg', 'PG_VERSION'))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it("does not use another PostgreSQL that listens on its port: it names that server's data folder and the two ways out", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-embedded-'));
    const port = Number(new URL(TEST_PG_ADMIN).port || 5432);
    try {
      const err = await ensureEmbeddedPostgres(dir, port, () => undefined).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(EmbeddedPostgresConflictError);
      expect(err!.message).toMatch(/keeps its data in \/.+, not in .*dl-embedded-.*\/pg/);
      expect(err!.message).toContain('EMBEDDED_PG_PORT');
      expect(err!.message).toContain('DATABASE_URL');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not take something else on its port for a PostgreSQL', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-embedded-'));
    const server = net.createServer((s) => {
      s.on('error', () => undefined);
      s.end('HTTP/1.0 400 nope\r\n\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const err = await ensureEmbeddedPostgres(dir, port, () => undefined).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(EmbeddedPostgresConflictError);
      expect(err!.message).toContain(`what answers on that port is not it`);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
