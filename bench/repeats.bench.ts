/**
 * Repeats and relapses at scale: one campaign of REPEATS_BENCH_LISTS lists (20) of
 * REPEATS_BENCH_ROWS entries (100,000), each list repeating 30 % of its entries from the lists
 * before it (same address, time and port) and observing 10 % of earlier addresses again later.
 * After each release, members report half of their entries `notified`, so every later release
 * has relapses to mark. Measured per list: parseList (decode to stored entries, repeats marked)
 * and the release (batches, relapses), and the peak size of PostgreSQL's temporary files during
 * the releases (pg_ls_tmpdir, sampled every 50 ms). Targets: every list parsed in under 10 s,
 * and releases within REPEATS_BENCH_TEMP_MB (64 MB) of temporary files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import {
  createPool,
  migrate,
  parseEnv,
  createQueues,
  createLogger,
  submitList,
  getList,
  enqueue,
  type AppContext,
} from '@deliveryline/shared';
import { adminQuery, dbUrl, TEST_REDIS_URL } from '@deliveryline/shared/testing';
import { parseList } from '@deliveryline/ingest';
import { startRouterWorker, importMembers, importPrefixes } from '@deliveryline/router';
import type { BenchResult } from './run';
import { rng } from '@deliveryline/cli/testing';

const LISTS = Number(process.env.REPEATS_BENCH_LISTS ?? 20);
const ROWS = Number(process.env.REPEATS_BENCH_ROWS ?? 100_000);
const TEMP_MB = Number(process.env.REPEATS_BENCH_TEMP_MB ?? 64);
const T0 = Date.UTC(2014, 5, 1);

interface Obs {
  ip: string;
  t: number;
  port: number;
}

function ipOf(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export async function run(): Promise<BenchResult[]> {
  const name = `dlbench_rep_${crypto.randomBytes(3).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = dbUrl(name);
  const prefix = `dlbench-${crypto.randomBytes(3).toString('hex')}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-rep-'));
  const env = parseEnv({ DATABASE_URL: url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent', DATA_DIR: dir });
  const pool = createPool(url, 12);
  await migrate(pool);
  const queues = createQueues(TEST_REDIS_URL, prefix);
  const ctx: AppContext = { env, pool, queues, log: createLogger('bench', 'silent'), databaseUrl: url, close: async () => undefined };
  // eight members hold 60.0.0.0/8 in /11s; the rest of the addresses are nobody's
  fs.writeFileSync(
    path.join(dir, 'm.csv'),
    'member_id,name,contact_email\n' + Array.from({ length: 8 }, (_, i) => `isp-${i},ISP ${i},abuse@isp-${i}.example\n`).join(''),
  );
  fs.writeFileSync(
    path.join(dir, 'p.csv'),
    'member_id,cidr\n' + Array.from({ length: 8 }, (_, i) => `isp-${i},60.${i * 32}.0.0/11\n`).join(''),
  );
  await importMembers(pool, path.join(dir, 'm.csv'));
  await importPrefixes(pool, path.join(dir, 'p.csv'));
  const workers = startRouterWorker(ctx, {
    reminderEveryMs: 0,
    mailer: { send: async () => ({ messageId: '<x>', response: '250' }), close: () => undefined },
  });

  const r = rng(7);
  const seen: Obs[] = [];
  const parseMs: number[] = [];
  const releaseMs: number[] = [];
  let tempPeak = 0;
  let repeatsMarked = 0;
  let relapses = 0;
  try {
    for (let l = 0; l < LISTS; l++) {
      const rows: string[] = ['ip,observed_at,port,malware'];
      const fresh: Obs[] = [];
      for (let i = 0; i < ROWS; i++) {
        const u = r();
        let o: Obs;
        if (seen.length && u < 0.3)
          o = seen[Math.floor(r() * seen.length)]; // a repeat of an earlier list's entry
        else if (seen.length && u < 0.4) {
          const p = seen[Math.floor(r() * seen.length)];
          o = { ip: p.ip, t: p.t + (1 + Math.floor(r() * 30)) * 86_400_000, port: p.port }; // the address seen again, later
        } else {
          const ip = r() < 0.7 ? ((60 << 24) | Math.floor(r() * (1 << 24))) >>> 0 : Math.floor(r() * 0xdfffffff) + 0x01000000;
          o = { ip: ipOf(ip), t: T0 + Math.floor(r() * 30 * 86_400) * 1000, port: 1024 + Math.floor(r() * 60000) };
        }
        fresh.push(o);
        rows.push(`${o.ip},${new Date(o.t).toISOString()},${o.port},goz`);
      }
      const file = path.join(dir, `list-${l}.csv`);
      fs.writeFileSync(file, rows.join('\n') + '\n');
      const listId = await submitList(ctx, { path: file, sourceId: 'jpcert', campaignId: 'goz-bench', round: l + 1 });
      const t = performance.now();
      await parseList({ listId }, ctx);
      parseMs.push(performance.now() - t);
      repeatsMarked += (await pool.query('SELECT count(*)::int AS n FROM entries WHERE list_id = $1 AND repeat_of IS NOT NULL', [listId]))
        .rows[0].n;
      fs.rmSync(file);
      for (const o of fresh) if (seen.length < 2_000_000) seen.push(o);

      await enqueue(queues, 'router.route-list', { listId, run: 1 });
      let stopSampling = false;
      const sampling = (async () => {
        while (!stopSampling) {
          const s = await pool.query(`SELECT coalesce(sum(size), 0)::bigint AS b FROM pg_ls_tmpdir()`).catch(() => ({ rows: [{ b: 0 }] }));
          tempPeak = Math.max(tempPeak, Number(s.rows[0].b));
          await new Promise((res) => setTimeout(res, 50));
        }
      })();
      for (;;) {
        const x = (await getList(pool, listId))!;
        if (x.state === 'released') break;
        if (x.state === 'failed') throw new Error(`list ${listId} failed: ${x.failure}`);
        await new Promise((res) => setTimeout(res, 50));
      }
      stopSampling = true;
      await sampling;
      const times = (await pool.query(`SELECT extract(epoch FROM released_at - routed_at) * 1000 AS ms FROM lists WHERE id = $1`, [listId]))
        .rows[0];
      releaseMs.push(Number(times.ms));
      relapses += (await pool.query(`SELECT count(*)::int AS n FROM batch_entries WHERE list_id = $1 AND relapse_of IS NOT NULL`, [listId]))
        .rows[0].n;
      // members report half of what they got as notified (the source of the next lists' relapses)
      await pool.query(
        `INSERT INTO outcomes (entry_id, batch_id, member_id, outcome, reported_by)
         SELECT be.entry_id, be.batch_id, b.member_id, 'notified', 'bench' FROM batch_entries be JOIN batches b ON b.id = be.batch_id
          WHERE be.list_id = $1 AND be.seq % 2 = 0`,
        [listId],
      );
      process.stderr.write(
        `repeats: list ${l + 1}/${LISTS} parsed in ${(parseMs[l] / 1000).toFixed(2)} s, released in ${(releaseMs[l] / 1000).toFixed(2)} s\n`,
      );
    }
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await queues.close();
    await pool.end();
    if (process.env.REPEATS_BENCH_KEEP) process.stderr.write(`repeats: database ${name} kept\n`);
    else await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const maxParse = Math.max(...parseMs) / 1000;
  const maxRelease = Math.max(...releaseMs) / 1000;
  const tempMb = tempPeak / (1 << 20);
  return [
    {
      name: `repeats.${LISTS}x${ROWS}.parse-max`,
      value: Number(maxParse.toFixed(2)),
      unit: 's',
      baseline: 10,
      ratio: Number((10 / maxParse).toFixed(2)),
      target: 1,
      notes: `slowest of ${LISTS} lists (30 % repeats): ${repeatsMarked} repeats marked in all; median ${(median(parseMs) / 1000).toFixed(2)} s`,
    },
    {
      name: `repeats.${LISTS}x${ROWS}.release-max`,
      value: Number(maxRelease.toFixed(2)),
      unit: 's',
      baseline: null,
      ratio: null,
      notes: `${relapses} relapses marked in all; median ${(median(releaseMs) / 1000).toFixed(2)} s`,
    },
    {
      name: `repeats.${LISTS}x${ROWS}.temp-files-peak`,
      value: Number(tempMb.toFixed(1)),
      unit: 'MB',
      baseline: TEMP_MB,
      ratio: Number((TEMP_MB / Math.max(tempMb, 0.001)).toFixed(2)),
      target: 1,
      notes: `peak of pg_ls_tmpdir() during routing and releases; bound ${TEMP_MB} MB`,
    },
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
