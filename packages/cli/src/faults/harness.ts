/**
 * Fault-suite harness: private Redis and PostgreSQL servers (so FLUSHALL and restarts cannot
 * disturb anything else running on this machine), worker processes spawned exactly as
 * `pnpm start` spawns them, a real SMTP server that counts messages per batch, and waits on
 * conditions (never fixed sleeps).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { SMTPServer } from 'smtp-server';
import { repoRoot } from '@deliveryline/shared';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function waitFor<T>(
  what: string | (() => string),
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 120_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${typeof what === 'function' ? what() : what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await waitFor(
    'private redis',
    async () => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG',
    20_000,
  );
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      proc.kill('SIGKILL');
    },
  };
}

export interface PrivatePostgres {
  url: string;
  restart(): void;
  stop(): void;
}

const PG_BIN = (() => {
  const base = '/usr/lib/postgresql';
  const v = fs.existsSync(base) ? fs.readdirSync(base).sort().pop() : undefined;
  return v ? path.join(base, v, 'bin') : '';
})();

/** initdb + pg_ctl as the postgres user (PostgreSQL refuses to run as root). */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-pg-'));
  fs.chmodSync(dir, 0o777);
  const data = path.join(dir, 'data');
  const asPg = (cmd: string, args: string[]) => {
    const isRoot = process.getuid?.() === 0;
    const r = isRoot
      ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' })
      : spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${path.basename(cmd)} failed: ${r.stderr || r.stdout}`);
  };
  asPg(path.join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const ctl = (action: string, extra: string[] = []) =>
    asPg(path.join(PG_BIN, 'pg_ctl'), [
      '-D',
      data,
      '-w',
      '-t',
      '60',
      '-l',
      path.join(dir, 'log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      action,
      ...extra,
    ]);
  ctl('start');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => ctl('restart', ['-m', 'fast']),
    stop: () => {
      try {
        ctl('stop', ['-m', 'immediate']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export interface WorkerProcess {
  kind: string;
  proc: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** A worker process as `pnpm start` runs it, with this test's database, Redis and queue prefix. */
export function spawnWorker(kind: 'ingest' | 'router', env: Record<string, string>): WorkerProcess {
  const root = repoRoot();
  // node --import tsx, not the tsx CLI: the CLI is a wrapper around a child node process, and a
  // SIGKILL must hit the worker itself
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'packages', kind, 'src', 'main.ts')], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  proc.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  return {
    kind,
    proc,
    output: () => out,
    kill: (signal = 'SIGTERM') =>
      new Promise<void>((res) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return res();
        proc.once('exit', () => res());
        proc.kill(signal);
      }),
  };
}

export interface SmtpSink {
  url: string;
  /** message count per batch id (from the X-Deliveryline-Batch header) */
  perBatch: Map<number, number>;
  refused: number;
  refuseUntil: number;
  /** refuse this many messages from now on, whenever they come */
  refuseNext: number;
  /** while in the future, a message's reply is held back this many ms (a stalled server) */
  stallUntil: number;
  stallMs: number;
  /** the Message-IDs received per batch (a repeat of an at-least-once notice carries the same one) */
  messageIds: Map<number, string[]>;
  close(): Promise<void>;
}

/** A real SMTP server; while `refuseUntil` is in the future it answers 451 to every message. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const port = await freePort();
  const sink: SmtpSink = {
    url: `smtp://127.0.0.1:${port}`,
    perBatch: new Map(),
    refused: 0,
    refuseUntil: 0,
    refuseNext: 0,
    stallUntil: 0,
    stallMs: 0,
    messageIds: new Map(),
    close: async () => undefined,
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, cb) {
      let raw = '';
      stream.on('data', (d) => (raw += d));
      stream.on('end', () => {
        if (Date.now() < sink.refuseUntil || sink.refuseNext > 0) {
          sink.refused++;
          if (sink.refuseNext > 0) sink.refuseNext--;
          const err = Object.assign(new Error('try again later'), { responseCode: 451 });
          return cb(err);
        }
        const m = /^X-Deliveryline-Batch:\s*(\d+)/im.exec(raw);
        if (m) {
          const batch = Number(m[1]);
          sink.perBatch.set(batch, (sink.perBatch.get(batch) ?? 0) + 1);
          const id = /^Message-ID:\s*(\S+)/im.exec(raw)?.[1] ?? '';
          sink.messageIds.set(batch, [...(sink.messageIds.get(batch) ?? []), id]);
        }
        if (Date.now() < sink.stallUntil) setTimeout(() => cb(), sink.stallMs);
        else cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  sink.close = () => new Promise<void>((r) => server.close(() => r()));
  return sink;
}

import crypto from 'node:crypto';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { createPool, openQueues, createLogger, getList, listBatches, migrate, parseEnv, type AppContext } from '@deliveryline/shared';
import { AuditChainError, createTestDatabase } from '@deliveryline/shared/testing';
import { importMembers, importPrefixes } from '@deliveryline/router';
import { writeRegistry, writeRounds } from '../demo/replay';
import { releaseFacts, releaseProgress } from '../repositories/release-checks.repository';

export interface FaultContext extends AppContext {
  /** the environment worker processes get: same database, queue store and queue prefix as this context */
  workerEnv: Record<string, string>;
  dir: string;
}

/**
 * A context on a fresh database (the shared server, or a private one) and a fresh queue prefix,
 * with the demo registry loaded; its queues in that database (`backend: 'postgres'`) or in Redis.
 */
export async function openFaultContext(o: {
  backend: 'postgres' | 'redis';
  pgAdminUrl?: string;
  redisUrl?: string;
  workerEnv?: Record<string, string>;
}): Promise<FaultContext> {
  let databaseUrl: string;
  let drop: () => Promise<void>;
  if (o.pgAdminUrl) {
    const name = `dlfault_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: o.pgAdminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(o.pgAdminUrl);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    drop = async () => undefined; // the private server goes away whole
  } else {
    const db = await createTestDatabase();
    await db.pool.end();
    databaseUrl = db.url;
    // a failure to drop is no test's concern here, but a broken audit chain is
    drop = () =>
      db.drop().catch((err) => {
        if (err instanceof AuditChainError) throw err;
      });
  }
  const redisUrl = o.backend === 'redis' ? (o.redisUrl ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379') : undefined;
  const prefix = `dlfault-${crypto.randomBytes(4).toString('hex')}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-fault-'));
  const workerEnv = {
    DATABASE_URL: databaseUrl,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    QUEUE_PREFIX: prefix,
    DATA_DIR: dir,
    JOB_LOCK_MS: '3000',
    RECONCILE_INTERVAL_MS: '1000',
    ROUTE_CHUNK_SIZE: '10000',
    ...o.workerEnv,
  };
  const env = parseEnv({ ...workerEnv, LOG_LEVEL: 'silent' });
  const pool = createPool(databaseUrl, 5);
  await migrate(pool);
  const queues = await openQueues(pool, { redisUrl, databaseUrl, prefix });
  const reg = writeRegistry(dir, 16);
  await importMembers(pool, reg.membersCsv);
  await importPrefixes(pool, reg.prefixesCsv);
  return {
    env,
    pool,
    queues,
    databaseUrl,
    workerEnv,
    dir,
    log: createLogger('fault', 'silent'),
    async close() {
      await queues.close().catch(() => undefined);
      if (redisUrl) {
        const r = new IORedis(redisUrl, { maxRetriesPerRequest: 1 });
        const keys = await r.keys(`${queues.keyPrefix}:*`).catch(() => [] as string[]);
        if (keys.length) await r.del(...keys).catch(() => undefined);
        r.disconnect();
      }
      await pool.end().catch(() => undefined);
      await drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A list of `received` entries of which exactly `delivered` fall in members' space (plus noise that must not count). */
export function makeList(ctx: FaultContext, name: string, received: number, delivered: number, seed: number): string {
  const [file] = writeRounds(
    path.join(ctx.dir, name),
    { id: name, name, source: 'jpcert', members: 14, rounds: [{ received, delivered }] },
    seed,
  );
  return file;
}

/**
 * The invariants after any fault: the list released with exact counts, one decision per entry,
 * every delivered entry in exactly one batch, exactly one e-mail per batch.
 */
export async function expectExact(ctx: FaultContext, listId: number, expected: { received: number; delivered: number }, sink?: SmtpSink) {
  const l = (await getList(ctx.pool, listId))!;
  const facts = await releaseFacts(ctx.pool, listId);
  const got = {
    state: l.state,
    received: l.received,
    delivered: l.delivered,
    returned: l.returned,
    entries: facts.entries,
    routes: facts.routes,
    routedDelivered: facts.delivered,
    inBatches: facts.in_batches,
    wrongBatches: facts.wrong_batches,
    batchesNotMailedOnce: facts.batches_not_mailed_once,
  };
  const d = expected.delivered;
  const want = {
    state: 'released',
    received: expected.received,
    delivered: d,
    returned: expected.received - d,
    entries: expected.received,
    routes: expected.received,
    routedDelivered: d,
    inBatches: d,
    wrongBatches: 0,
    batchesNotMailedOnce: 0,
  };
  if (JSON.stringify(got) !== JSON.stringify(want))
    throw new Error(`not exact:\n  got  ${JSON.stringify(got)}\n  want ${JSON.stringify(want)}`);
  if (sink) {
    const ids = (await listBatches(ctx.pool, { listId })).map((b) => b.batchId);
    const counts = ids.map((id) => sink.perBatch.get(id) ?? 0);
    if (counts.some((c) => c !== 1))
      throw new Error(`e-mails per batch are not all 1: ${JSON.stringify(Object.fromEntries(ids.map((id, i) => [id, counts[i]])))}`);
  }
  return facts.batches;
}

/** Waits for the list to be released and every batch to be announced. */
export async function waitReleased(ctx: FaultContext, listId: number, timeoutMs = 300_000) {
  let seen = '';
  await waitFor(
    () => `list ${listId} released and announced (last seen: ${seen})`,
    async () => {
      const r = await releaseProgress(ctx.pool, listId);
      seen = JSON.stringify(r);
      if (r?.state === 'failed') throw Object.assign(new Error(`list ${listId} failed: ${r.failure}`), { fatal: true });
      return r?.state === 'released' && r.unannounced === 0;
    },
    timeoutMs,
    200,
  );
}
