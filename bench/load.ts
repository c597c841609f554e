/**
 * `pnpm bench:load`: a bounded load run against localhost only. 20 concurrent list uploads of
 * 50,000 entries through the portal API while 50 member clients keep listing, downloading their
 * batches and posting outcomes. Reports throughput, p50/p95/p99 latency per kind of request,
 * errors (must be zero) and the final counts (must be exact). Everything runs on this machine:
 * its own database and queue prefix, the real ingest and router worker processes, the portal.
 * LOAD_MAX_SECONDS bounds the whole run: when it is reached (or anything fails) the requests under
 * way are aborted and the report is printed all the same, marked partial with the reason.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { createPool, openQueues, createLogger, migrate, parseEnv, repoRoot, type AppContext } from '@deliveryline/shared';
import { importMembers, importPrefixes } from '@deliveryline/router';
import { buildServer, createUser, createToken } from '@deliveryline/isp-portal';
import { writeRegistry, writeRounds } from '@deliveryline/cli/testing';

const ADMIN = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** REDIS_URL puts the queues in Redis; without it they are in the load test's PostgreSQL database */
const REDIS = process.env.REDIS_URL;
const LISTS = Number(process.env.LOAD_LISTS ?? 20);
const ENTRIES = Number(process.env.LOAD_ENTRIES ?? 50_000);
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 50);
// every member batch is reported in full, so `outcomesStored` should equal the delivered entries
const MAX_SECONDS = Number(process.env.LOAD_MAX_SECONDS ?? 600);
const ROOT = repoRoot();

const lat = new Map<string, number[]>();
// LOAD_MAX_SECONDS, or a failure: every request under way is aborted and the report says why
const stop = new AbortController();
let cutShort: string | null = null;
const cut = (why: string) => {
  cutShort ??= why;
  stop.abort();
};
const errors: string[] = [];
let requests = 0;

async function timed<T>(kind: string, fn: () => Promise<Response>, parse: (r: Response) => Promise<T>): Promise<T | undefined> {
  const t0 = performance.now();
  try {
    const r = await fn();
    const v = await parse(r);
    const ms = performance.now() - t0;
    requests++;
    (lat.get(kind) ?? lat.set(kind, []).get(kind)!).push(ms);
    if (!r.ok) {
      errors.push(`${kind}: HTTP ${r.status} ${JSON.stringify(v).slice(0, 200)}`);
      return undefined;
    }
    return v;
  } catch (err) {
    if (!stop.signal.aborted) errors.push(`${kind}: ${(err as Error).message}`);
    return undefined;
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
};

async function main() {
  const started = performance.now();
  const deadline = Date.now() + MAX_SECONDS * 1000;
  const hardStop = setTimeout(() => cut(`LOAD_MAX_SECONDS (${MAX_SECONDS} s) reached`), MAX_SECONDS * 1000);
  const name = `dlload_${crypto.randomBytes(4).toString('hex')}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-load-'));
  const admin = new Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = Object.assign(new URL(ADMIN), { pathname: `/${name}` }).toString();
  const workerEnv = {
    DATABASE_URL: url,
    ...(REDIS ? { REDIS_URL: REDIS } : {}),
    QUEUE_PREFIX: name,
    DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    RECONCILE_INTERVAL_MS: '5000',
  };
  const env = parseEnv({ ...workerEnv, LOG_LEVEL: 'silent', PORT: '0' });
  const pool = createPool(url, 20);
  await migrate(pool);
  const queues = await openQueues(pool, { redisUrl: REDIS, databaseUrl: url, prefix: name });
  const ctx: AppContext = { env, pool, queues, log: createLogger('load', 'silent'), databaseUrl: url, close: async () => undefined };
  const reg = writeRegistry(dir, 16);
  await importMembers(pool, reg.membersCsv);
  await importPrefixes(pool, reg.prefixesCsv);

  let t0 = performance.now();
  let seconds = 0;
  let listIds: (number | undefined)[] = [];
  let outcomesStored = 0;
  let files: { file: string; delivered: number }[] = [];
  const procs: ChildProcess[] = [];
  let app: Awaited<ReturnType<typeof buildServer>> | undefined;
  try {
    const startWorker = (kind: string) =>
      procs.push(
        spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'packages', kind, 'src', 'main.ts')], {
          cwd: ROOT,
          env: { ...process.env, ...workerEnv },
          stdio: 'inherit',
        }),
      );
    startWorker('ingest');
    startWorker('router');
    startWorker('router');

    app = await buildServer(ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

    const coordId = await createUser(
      pool,
      { email: 'coord@load.test', name: 'Coordinator', role: 'coordinator', password: crypto.randomBytes(12).toString('hex') },
      'load',
    );
    const coord = (await createToken(pool, { userId: coordId, name: 'load', scope: 'write', actor: 'load' })).token;
    const memberTokens: string[] = [];
    for (let k = 1; k <= 14; k++) {
      const id = `isp-${String(k).padStart(2, '0')}`;
      const u = await createUser(
        pool,
        { email: `${id}@load.test`, name: id, role: 'member', org: id, password: crypto.randomBytes(12).toString('hex') },
        'load',
      );
      memberTokens.push((await createToken(pool, { userId: u, name: 'load', scope: 'write', actor: 'load' })).token);
      stop.signal.throwIfAborted(); // the setup counts against LOAD_MAX_SECONDS too
    }

    // the lists: the GOZ-like generator, one list of ENTRIES per upload, two thirds in members' space
    files = Array.from(
      { length: LISTS },
      (_, i) => (
        stop.signal.throwIfAborted(),
        {
          file: writeRounds(
            path.join(dir, `l${i}`),
            {
              id: `load-${i}`,
              name: `load ${i}`,
              source: 'jpcert',
              members: 14,
              rounds: [{ received: ENTRIES, delivered: Math.floor((ENTRIES * 2) / 3) + i }],
            },
            100 + i,
          )[0],
          delivered: Math.floor((ENTRIES * 2) / 3) + i,
        }
      ),
    );

    t0 = performance.now();
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });
    let uploadsDone = false;
    const uploads = Promise.all(
      files.map(async (f, i) => {
        const form = new FormData();
        form.set('campaign', 'load');
        form.set('source', 'jpcert');
        form.set('round', String(i + 1));
        form.set('file', new Blob([fs.readFileSync(f.file)]), path.basename(f.file));
        const r = await timed(
          'upload',
          () => fetch(`${base}/api/v1/lists`, { method: 'POST', headers: auth(coord), body: form, signal: stop.signal }),
          (x) => x.json(),
        );
        return (r as { list?: { id: number } } | undefined)?.list?.id;
      }),
    ).finally(() => (uploadsDone = true));

    // a member client as an ISP's script works: poll for new batches now and then, download each
    // batch once, then report its outcomes in parts (500 entries a request)
    const done = new Set<number>();
    const client = async (c: number) => {
      const token = memberTokens[c % memberTokens.length];
      const mine = new Map<number, { entryId: string }[]>(); // batch → entries not yet reported by this client
      while (Date.now() < deadline && !stop.signal.aborted) {
        const list = (await timed(
          'batches',
          () => fetch(`${base}/api/v1/batches`, { headers: auth(token), signal: stop.signal }),
          (x) => x.json(),
        )) as { batches?: { id: number }[] } | undefined;
        for (const b of list?.batches ?? []) {
          if (done.has(b.id) || mine.has(b.id)) continue;
          done.add(b.id); // one client per batch
          const body = (await timed(
            'download',
            () => fetch(`${base}/api/v1/batches/${b.id}/download?format=json`, { headers: auth(token), signal: stop.signal }),
            (x) => x.json(),
          )) as { entries?: { entryId: string }[] } | { entryId: string }[] | undefined;
          mine.set(b.id, Array.isArray(body) ? body : (body?.entries ?? []));
        }
        let worked = false;
        for (const [batchId, entries] of mine) {
          const part = entries.splice(0, 500);
          if (!part.length) continue;
          worked = true;
          const r = (await timed(
            'outcomes',
            () =>
              fetch(`${base}/api/v1/batches/${batchId}/outcomes`, {
                method: 'POST',
                headers: { ...auth(token), 'content-type': 'application/json' },
                signal: stop.signal,
                body: JSON.stringify({
                  outcomes: part.map((e, k) => ({ entryId: e.entryId, outcome: k % 5 === 0 ? 'not_identified' : 'notified' })),
                }),
              }),
            (x) => x.json(),
          )) as { stored?: number; rejected?: unknown[] } | undefined;
          outcomesStored += r?.stored ?? 0;
          if (r?.rejected?.length) errors.push(`outcomes: ${r.rejected.length} rejected: ${JSON.stringify(r.rejected[0])}`);
        }
        if (!worked) {
          if (uploadsDone && (await allReleased()) && [...mine.values()].every((e) => e.length === 0)) return;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    };
    const allReleased = async () =>
      (await pool.query(`SELECT count(*) FILTER (WHERE state = 'released')::int AS r, count(*)::int AS n FROM lists`)).rows[0].r === LISTS;
    [listIds] = await Promise.all([uploads, ...Array.from({ length: CLIENTS }, (_, c) => client(c))]);
    seconds = (performance.now() - t0) / 1000;
    while (!stop.signal.aborted && !(await allReleased())) await new Promise((r) => setTimeout(r, 500));
  } catch (err) {
    cut(`stopped by an error: ${(err as Error).stack ?? err}`);
  }
  clearTimeout(hardStop);
  if (!seconds) seconds = (performance.now() - t0) / 1000;
  // final counts, whatever was reached (a run cut short reports what it did): every list exact, every stored outcome in the database
  const lists = (
    await pool.query(`SELECT id, state, received, delivered, returned, round FROM lists ORDER BY round`).catch(() => ({ rows: [] }))
  ).rows;
  const exact =
    lists.length === LISTS &&
    lists.every(
      (l: { state: string; received: number; delivered: number; returned: number }, i: number) =>
        l.state === 'released' && l.received === ENTRIES && l.delivered === files[i].delivered && l.delivered + l.returned === l.received,
    );
  const dbOutcomes: number = (await pool.query(`SELECT count(*)::int AS n FROM outcomes`).catch(() => ({ rows: [{ n: -1 }] }))).rows[0].n;
  const report = {
    seconds: Number(seconds.toFixed(1)),
    lists: LISTS,
    entriesPerList: ENTRIES,
    clients: CLIENTS,
    requests,
    requestsPerSecond: Number((requests / seconds).toFixed(1)),
    entriesPerSecond: Math.round((LISTS * ENTRIES) / seconds),
    latencyMs: Object.fromEntries(
      [...lat].map(([k, xs]) => [
        k,
        { n: xs.length, p50: Math.round(pct(xs, 50)), p95: Math.round(pct(xs, 95)), p99: Math.round(pct(xs, 99)) },
      ]),
    ),
    errors: errors.length,
    firstErrors: errors.slice(0, 5),
    countsExact: exact && listIds.length === LISTS && listIds.every(Boolean),
    outcomesStored,
    outcomesInDatabase: dbOutcomes,
    partial: cutShort !== null,
    ...(cutShort ? { cutShort } : {}),
    totalSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');

  await app?.close();
  await Promise.all(procs.map((p) => new Promise((r) => (p.once('exit', r), p.kill('SIGTERM')))));
  await queues.close();
  await pool.end();
  await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  await admin.end();
  fs.rmSync(dir, { recursive: true, force: true });
  if (report.partial || report.errors > 0 || !report.countsExact || dbOutcomes !== outcomesStored) process.exitCode = 1;
}

void main();
