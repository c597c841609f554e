/**
 * e2e.1m: a 1,000,000-entry CSV (85% IPv4, 15% IPv6, 2,000 member prefixes, two thirds
 * delivered) from `dline ingest --wait` to every batch released, through the real queues,
 * worker processes and PostgreSQL. Baseline limit.1m: one process, no queues — plain split on
 * newlines and commas, net.isIP, the same prefix engine, COPY into PostgreSQL.
 * Also: scaling with list size (100k, 300k, 1M) and with 1 vs 2 route-worker processes.
 * The queues live in PostgreSQL (the default, no REDIS_URL) for every run, and the biggest list
 * runs once more with the queues in Redis (`e2e.1m.redis`); BENCH_QUEUE_BACKENDS=postgres skips it.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createPool, migrate, parseIp, repoRoot, WORKER_NODE_FLAGS } from '@deliveryline/shared';
import { buildMatcher, importMembers, importPrefixes } from '@deliveryline/router';
import { memberId, pick, rng } from '@deliveryline/cli/testing';
import type { BenchResult } from './run';

const ADMIN = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROOT = repoRoot();

async function admin(sql: string) {
  const c = new Client({ connectionString: ADMIN });
  await c.connect();
  await c.query(sql);
  await c.end();
}
const dbUrl = (name: string) => Object.assign(new URL(ADMIN), { pathname: `/${name}` }).toString();

/**
 * 200 members × 10 prefixes, shaped like the real registry: 8 IPv4 /16 and 2 IPv6 /32 each;
 * member ids of 1 to 63 characters and Japanese names; a /24 (and in some a /28) of another member
 * inside one /16 of each, and a /48 inside one /32; one /16 of each changes hands on 2024-05-04
 * (JST), in the middle of the list's observations; one time-bounded /16 each; four members that left.
 */
function writeRegistry(dir: string) {
  const r = rng(7);
  const m = ['member_id,name,contact_email,active,joined_on,left_on'];
  const p = ['member_id,cidr,valid_from,valid_to'];
  const v4: string[] = [];
  const v6: string[] = [];
  const ids: string[] = [];
  const taken = new Set<string>();
  for (let k = 0; k < 200; k++) {
    let id: string;
    do id = memberId(r, k % 10 === 0 ? 1 + Math.floor(r() * 63) : 3 + Math.floor(r() * 10));
    while (taken.has(id.toLowerCase()));
    taken.add(id.toLowerCase());
    ids.push(id);
  }
  for (let k = 0; k < 200; k++) {
    const id = ids[k];
    const other = (n: number) => ids[(k + n) % 200];
    m.push(
      `${id},${pick(r, ['東日本', '西日本', 'さくら', 'ひかり', '九州'])}ネット ${k},noc@m${k}.example,,2014-04-01,${k % 50 === 49 ? '2020-03-31' : ''}`,
    );
    for (let j = 0; j < 8; j++) {
      const a = 11 + Math.floor((k * 8 + j) / 256),
        b = (k * 8 + j) % 256;
      if (j === 7) p.push(`${id},${a}.${b}.0.0/16,2000-01-01T00:00:00Z,2030-01-01T00:00:00Z`);
      else if (j === 6) {
        p.push(`${id},${a}.${b}.0.0/16,,2024-05-04`);
        p.push(`${other(1)},${a}.${b}.0.0/16,2024-05-04,`);
      } else p.push(`${id},${a}.${b}.0.0/16,,`);
      if (j === 5) {
        p.push(`${other(7)},${a}.${b}.${k % 256}.0/24,,`);
        if (k % 3 === 0) p.push(`${other(11)},${a}.${b}.${k % 256}.16/28,,`);
      }
      v4.push(`${a}.${b}`);
    }
    for (let j = 0; j < 2; j++) {
      const g = (0x2400 + k * 2 + j).toString(16);
      p.push(`${id},${g}::/32,,`);
      if (j === 1) p.push(`${other(3)},${g}:1::/48,,`);
      v6.push(g);
    }
  }
  fs.writeFileSync(path.join(dir, 'members.csv'), m.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'prefixes.csv'), p.join('\n') + '\n');
  return { v4, v6 };
}

/** The forms sources write times in: ISO with Z and milliseconds, with a +09:00 offset, and naive JST (the list is given --timezone Asia/Tokyo). */
function timeText(ms: number, i: number): string {
  const form = i % 3;
  if (form === 0) return new Date(ms).toISOString();
  const jst = new Date(ms + 9 * 3_600_000).toISOString();
  return form === 1 ? `${jst.slice(0, 19)}+09:00` : `${jst.slice(0, 10)} ${jst.slice(11, 19)}`;
}

function writeList(file: string, n: number, space: { v4: string[]; v6: string[] }, seed: number) {
  const rand = rng(seed);
  const fd = fs.openSync(file, 'w');
  let buf = 'ip,timestamp,port,malware\n';
  const base = Date.parse('2024-05-01T00:00:00Z');
  for (let i = 0; i < n; i++) {
    const ipv6 = rand() < 0.15;
    const inMember = rand() < 2 / 3;
    let ip: string;
    if (ipv6)
      ip = inMember
        ? `${space.v6[Math.floor(rand() * space.v6.length)]}:${(i & 0xffff).toString(16)}::${(i >>> 16).toString(16)}:1`
        : `2a0${i % 10}:${(i & 0xffff).toString(16)}::${(i >>> 16).toString(16)}`;
    else
      ip = inMember
        ? `${space.v4[Math.floor(rand() * space.v4.length)]}.${(i >>> 8) & 255}.${i & 255}`
        : `${150 + (i % 50)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
    buf += `${ip},${timeText(base + i * 1000, i)},${1024 + (i % 60000)},Emotet\n`;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

/** Peak RSS (VmHWM) of a process, read from /proc while it lives. */
function peakRss(pid: number | undefined): number {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

interface CpuSample {
  t: number;
  busy: number;
  total: number;
}

/** The machine's CPU time so far, busy and total, in jiffies of all cores (/proc/stat). */
function cpuSample(): CpuSample {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { t: Date.now(), busy: total - idle, total };
}

/** Busy share of all cores between two instants, from the samples nearest them (percent). */
function cpuBetween(samples: CpuSample[], from: number, to: number): string {
  const near = (t: number) => samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), samples[0]);
  if (!samples.length) return '?';
  const a = near(from),
    b = near(to);
  return b.total > a.total ? Math.round((100 * (b.busy - a.busy)) / (b.total - a.total)).toString() : '?';
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; 0 when it is gone. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on (the name may hold spaces)
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

function start(args: string[], env: Record<string, string>, nodeFlags: readonly string[] = []): ChildProcess {
  // node --import tsx (not the tsx CLI wrapper) so that the pid is the process whose memory we read
  // E2E_BENCH_LOG=info (or debug) shows the workers' own timings (list parsed, route chunk, routing
  // finished, list released) on stderr
  const worker = !args[0].includes('dline');
  const log = worker ? process.env.E2E_BENCH_LOG : undefined;
  const merged: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: log ?? 'warn', ...env };
  // the run says where its queues are: without REDIS_URL, in PostgreSQL
  if (!env.REDIS_URL) delete merged.REDIS_URL;
  return spawn(process.execPath, [...nodeFlags, '--import', 'tsx', ...args], {
    cwd: ROOT,
    env: merged,
    stdio: ['ignore', 'pipe', log ? 'inherit' : 'pipe'],
  });
}

interface E2E {
  rowsPerSec: number;
  seconds: number;
  peakRssBytes: number;
  /** each process's peak */
  each: string;
  counts: { received: number; delivered: number; returned: number };
  stages: string;
  /** seconds from the first route chunk done to the list routed: the other chunks and the run's end */
  routingSeconds: number;
  /** CPU seconds each route-worker process spent on the list (from listening to the list released) */
  routeCpu: number[];
}

type Backend = 'postgres' | 'redis';
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function e2e(file: string, rows: number, routeWorkers: number, backend: Backend = 'postgres'): Promise<E2E> {
  const name = `dlbench_${crypto.randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = dbUrl(name);
  const pool = createPool(url, 2);
  await migrate(pool);
  const dir = path.dirname(file);
  await importMembers(pool, path.join(dir, 'members.csv'));
  await importPrefixes(pool, path.join(dir, 'prefixes.csv'));
  const env: Record<string, string> = {
    DATABASE_URL: url,
    QUEUE_PREFIX: name,
    DATA_DIR: path.join(dir, name),
    RECONCILE_INTERVAL_MS: '0',
    ...(backend === 'redis' ? { REDIS_URL: REDIS } : {}),
  };
  const { openQueues } = await import('@deliveryline/shared');
  const q = await openQueues(pool, { redisUrl: env.REDIS_URL, databaseUrl: url, prefix: name });
  const workers = [start([path.join(ROOT, 'packages/ingest/src/main.ts')], env, WORKER_NODE_FLAGS)];
  for (let i = 0; i < routeWorkers; i++) workers.push(start([path.join(ROOT, 'packages/router/src/main.ts')], env, WORKER_NODE_FLAGS));
  const peaks = new Map<number, number>();
  const sample = setInterval(() => {
    for (const w of workers) if (w.pid) peaks.set(w.pid, Math.max(peaks.get(w.pid) ?? 0, peakRss(w.pid)));
  }, 200);
  const cpu: CpuSample[] = [];
  const cpuTimer = setInterval(() => cpu.push(cpuSample()), 100);
  // wait for the workers to be listening (BullMQ registers them in Redis, or as named PostgreSQL sessions)
  for (let i = 0; i < 300; i++) {
    const [a, b] = await Promise.all([q.queues.ingest.getWorkers(), q.queues.route.getWorkers()]);
    if (a.length >= 1 && b.length >= routeWorkers) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const routeCpu0 = workers.slice(1).map((w) => cpuSeconds(w.pid));
  const t0 = process.hrtime.bigint();
  const startedAt = new Date();
  const cli = start(
    [
      path.join(ROOT, 'packages/cli/src/dline.ts'),
      'ingest',
      file,
      '--source',
      'bench',
      '--campaign',
      'bench',
      '--timezone',
      'Asia/Tokyo',
      '--wait',
      '--json',
    ],
    env,
  );
  let out = '';
  let err = '';
  cli.stdout!.on('data', (d) => (out += d));
  cli.stderr!.on('data', (d) => (err += d));
  const cliPeak = setInterval(() => cli.pid && peaks.set(cli.pid, Math.max(peaks.get(cli.pid) ?? 0, peakRss(cli.pid))), 200);
  const code = await new Promise<number>((r) => cli.on('exit', (c) => r(c ?? 1)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(cliPeak);
  clearInterval(sample);
  clearInterval(cpuTimer);
  for (const w of workers) if (w.pid) peaks.set(w.pid, Math.max(peaks.get(w.pid) ?? 0, peakRss(w.pid)));
  const routeCpu = workers.slice(1).map((w, i) => cpuSeconds(w.pid) - routeCpu0[i]);
  await Promise.all(workers.map((w) => new Promise((r) => (w.once('exit', r), w.kill('SIGTERM')))));
  // where the time went: each stage's transaction start (now()) is recorded on the list row; the
  // machine's CPU use in each stage (of all cores: 100% = every core busy) comes from /proc/stat
  const at = (
    await pool.query(
      `SELECT extract(epoch FROM created_at) * 1000 AS created, extract(epoch FROM parsed_at) * 1000 AS parsed,
            extract(epoch FROM (SELECT min(done_at) FROM route_chunks WHERE list_id = l.id)) * 1000 AS first_chunk,
            extract(epoch FROM routed_at) * 1000 AS routed, extract(epoch FROM released_at) * 1000 AS released
       FROM lists l WHERE campaign_id = 'bench'`,
    )
  ).rows[0];
  const bounds: [string, number, number][] = at
    ? [
        ['start_and_upload', startedAt.getTime(), Number(at.created)],
        ['queued', Number(at.created), Number(at.parsed)],
        ['parse_and_first_chunk', Number(at.parsed), Number(at.first_chunk)],
        ['other_chunks', Number(at.first_chunk), Number(at.routed)],
        ['release', Number(at.routed), Number(at.released)],
      ]
    : [];
  const stages = bounds
    .map(([k, a, b]) => `${k} ${((b - a) / 1000).toFixed(1)}s${b - a >= 500 ? ` (CPU ${cpuBetween(cpu, a, b)}%)` : ''}`)
    .join(', ');
  await q.close();
  await pool.end();
  await admin(`DROP DATABASE ${name} WITH (FORCE)`);
  if (code !== 0) throw new Error(`dline ingest exited ${code}: ${err}`);
  const r = JSON.parse(out);
  if (r.state !== 'released' || r.received + 0 !== rows - (r.rejected + r.duplicates) || r.delivered + r.returned !== r.received) {
    throw new Error(`e2e counts are off: ${out}`);
  }
  const mib = (pid: number | undefined) => Math.round((peaks.get(pid ?? -1) ?? 0) / 2 ** 20);
  const each = `ingest ${mib(workers[0].pid)}, router ${workers
    .slice(1)
    .map((w) => mib(w.pid))
    .join(' + ')}, cli ${mib(cli.pid)} MiB`;
  const routingSeconds = at ? (Number(at.routed) - Number(at.first_chunk)) / 1000 : NaN;
  return {
    rowsPerSec: rows / seconds,
    seconds,
    peakRssBytes: [...peaks.values()].reduce((a, b) => a + b, 0),
    each,
    counts: r,
    stages,
    routingSeconds,
    routeCpu,
  };
}

/** The practical limit: one process, no queues, no validation beyond net.isIP, the same engine, COPY. */
async function limit(file: string, dir: string, rows: number): Promise<{ rowsPerSec: number; delivered: number }> {
  const name = `dlbench_${crypto.randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = dbUrl(name);
  const pool = createPool(url, 2);
  await migrate(pool);
  await importMembers(pool, path.join(dir, 'members.csv'));
  await importPrefixes(pool, path.join(dir, 'prefixes.csv'));
  const matcher = await buildMatcher(pool);
  const client = await pool.connect();
  await client.query(`SET timezone = 'Asia/Tokyo'`);
  await client.query('CREATE TABLE limit_rows (ip inet, observed_at timestamptz, port int, malware text, member text)');
  const t0 = process.hrtime.bigint();
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const out: string[] = [];
  let chunk = '';
  let delivered = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    const f = line.split(',');
    if (!net.isIP(f[0])) continue;
    const p = parseIp(f[0]);
    if (!p.ok) continue;
    // naive times are JST, as the list is given (--timezone Asia/Tokyo), and so is the session below for COPY
    const t = Date.parse(f[1].length === 19 ? `${f[1].replace(' ', 'T')}+09:00` : f[1]);
    const d = matcher.route(p.text, t);
    if (d.state === 'delivered') delivered++;
    chunk += `${p.text}\t${f[1]}\t${f[2]}\t${f[3]}\t${d.state === 'delivered' ? d.memberId : '\\N'}\n`;
    if (chunk.length > 1 << 20) {
      out.push(chunk);
      chunk = '';
    }
  }
  out.push(chunk);
  await pipeline(Readable.from(out), client.query(copyFrom('COPY limit_rows FROM STDIN')));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  client.release();
  await pool.end();
  await admin(`DROP DATABASE ${name} WITH (FORCE)`);
  return { rowsPerSec: rows / seconds, delivered };
}

export async function run(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-e2e-'));
  try {
    const space = writeRegistry(dir);
    const sizes = (process.env.BENCH_E2E_SIZES ?? '100000,300000,1000000').split(',').map(Number);
    const files = new Map<number, string>();
    for (const n of sizes) {
      const f = path.join(dir, `list-${n}.csv`);
      writeList(f, n, space, n);
      files.set(n, f);
    }
    const big = Math.max(...sizes);
    const { rowsPerSec: lim, delivered: limDelivered } = await limit(files.get(big)!, dir, big);
    const results: BenchResult[] = [];
    const label = (n: number) => (n >= 1e6 ? `${n / 1e6}m` : `${n / 1e3}k`);
    let e2eBig: E2E | undefined;
    const backends = (process.env.BENCH_QUEUE_BACKENDS ?? 'postgres,redis').split(',') as Backend[];
    for (const n of sizes) {
      const r = await e2e(files.get(n)!, n, 1, backends[0]);
      if (n === big) e2eBig = r;
      // the pipeline and the limit route the same file with the same engine: same decisions
      if (n === big && r.counts.delivered !== limDelivered)
        throw new Error(`e2e delivered ${r.counts.delivered}, the limit ${limDelivered}`);
      results.push({
        name: `e2e.${label(n)}`,
        value: r.rowsPerSec,
        unit: 'rows/s',
        baseline: n === big ? lim : null,
        ratio: n === big ? r.rowsPerSec / lim : null,
        target: n === big ? 0.4 : undefined,
        notes: `queues on ${backends[0]}; ${r.seconds.toFixed(1)} s, peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB (all processes: ${r.each}), delivered ${r.counts.delivered}/${r.counts.received}; stages: ${r.stages}`,
      });
    }
    for (const b of backends.slice(1)) {
      const r = await e2e(files.get(big)!, big, 1, b);
      if (r.counts.delivered !== limDelivered)
        throw new Error(`e2e (queues on ${b}) delivered ${r.counts.delivered}, the limit ${limDelivered}`);
      results.push({
        name: `e2e.${label(big)}.${b}`,
        value: r.rowsPerSec,
        unit: 'rows/s',
        baseline: lim,
        ratio: r.rowsPerSec / lim,
        target: 0.4,
        notes: `queues on ${b}; ${r.seconds.toFixed(1)} s, peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB; stages: ${r.stages}`,
      });
    }
    results.push({
      name: `limit.${label(big)}`,
      value: lim,
      unit: 'rows/s',
      baseline: null,
      ratio: null,
      notes: 'one process: split, net.isIP, same LPM engine, COPY',
    });
    if (!process.env.BENCH_E2E_SKIP_SCALING) {
      const two = await e2e(files.get(big)!, big, 2, backends[0]);
      if (two.counts.delivered !== limDelivered)
        throw new Error(`e2e (2 route workers) delivered ${two.counts.delivered}, the limit ${limDelivered}`);
      results.push({
        name: `e2e.${label(big)}.2-route-workers`,
        value: two.rowsPerSec,
        unit: 'rows/s',
        baseline: e2eBig!.rowsPerSec,
        ratio: two.rowsPerSec / e2eBig!.rowsPerSec,
        notes: `${two.seconds.toFixed(1)} s with 2 route-worker processes vs 1; stages: ${two.stages}`,
      });
      // the routing stage alone (every chunk but the first, and the run's end): what a second worker can change
      const routed = (r: E2E) => (big - Math.min(big, 100_000)) / r.routingSeconds; // ROUTE_CHUNK_SIZE: the first chunk is in the parse stage
      results.push({
        name: `e2e.${label(big)}.routing.2-route-workers`,
        value: routed(two),
        unit: 'rows/s',
        baseline: routed(e2eBig!),
        ratio: routed(two) / routed(e2eBig!),
        notes: `routing stage ${two.routingSeconds.toFixed(2)} s with 2 route-worker processes vs ${e2eBig!.routingSeconds.toFixed(2)} s with 1`,
      });
      // whether the work divides: the route workers' CPU for the same list, split over two processes
      // against one (ratio 1 = no cost for the split; each process's share shows both did work)
      const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
      const cpu1 = sum(e2eBig!.routeCpu),
        cpu2 = sum(two.routeCpu);
      results.push({
        name: `e2e.${label(big)}.route-cpu.2-route-workers`,
        value: big / cpu2,
        unit: 'rows/cpu-s',
        baseline: big / cpu1,
        ratio: cpu1 / cpu2,
        notes: `route workers' CPU for the list: ${cpu2.toFixed(2)} s over 2 processes (${two.routeCpu.map((c) => `${Math.round((100 * c) / cpu2)}%`).join(' + ')}) vs ${cpu1.toFixed(2)} s in 1`,
      });
    }
    results.push({
      name: `e2e.${label(big)}.peak-rss`,
      value: e2eBig!.peakRssBytes / 2 ** 20,
      unit: 'MiB',
      baseline: 1024,
      ratio: 1024 / (e2eBig!.peakRssBytes / 2 ** 20),
      target: 1,
      notes: 'sum of every process; ratio = 1 GiB / peak (higher is better)',
    });
    return results;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
