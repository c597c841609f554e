/**
 * Delivery: a 100,000-entry batch exported as the member's CSV (batchCsv: keyset pages of 5,000,
 * JST/UTC times, formula-safe cells) against a baseline `COPY (SELECT … the same rows) TO STDOUT
 * (FORMAT csv)`; and a 100,000-row outcome CSV imported (importOutcomesCsv: streamed parse,
 * validation, per-row checks against the batch, pages of 10,000 in transactions) against a
 * baseline `COPY … FROM STDIN (FORMAT csv)` of the same file into a bare table.
 * Own database, dropped at the end.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import { createPool, migrate, getBatch, batchCsv, importOutcomesCsv } from '@deliveryline/shared';
import { createBatches } from '@deliveryline/router';
import { adminQuery, dbUrl } from '@deliveryline/shared/testing';
import { makeRoutedList } from '@deliveryline/router/testing';
import type { BenchResult } from './run';

const fromShared = createRequire(path.join(__dirname, '../packages/shared/package.json'));
const { to: copyTo, from: copyFrom } = fromShared('pg-copy-streams') as typeof import('pg-copy-streams');

const N = Number(process.env.EXPORT_BENCH_ROWS ?? 100_000);
const OUTCOMES = ['notified', 'not_identified', 'not_our_address', 'duplicate', 'declined'];

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

export async function run(): Promise<BenchResult[]> {
  const name = `dl_bench_export_${crypto.randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const pool = createPool(dbUrl(name), 4);
  try {
    await migrate(pool);
    const listId = await makeRoutedList(pool, {
      members: [{ id: 'isp-bench' }],
      generated: { memberId: 'isp-bench', count: N, malware: '=HYPERLINK("http://x","y")' },
    });
    await createBatches(pool, listId, new Date(Date.now() + 14 * 86_400_000), 10);
    await pool.query('ANALYZE');
    const batch = (await getBatch(pool, Number((await pool.query('SELECT id FROM batches WHERE list_id = $1', [listId])).rows[0].id)))!;

    // Ours: the member's CSV, streamed; text kept for the import below.
    let bytes = 0;
    let peak = process.memoryUsage().rss;
    const refs: string[] = [];
    let t0 = process.hrtime.bigint();
    for await (const chunk of batchCsv(pool, batch)) {
      bytes += Buffer.byteLength(chunk);
      peak = Math.max(peak, process.memoryUsage().rss);
      for (const m of chunk.matchAll(/^e[0-9a-f]{24}/gm)) refs.push(m[0]);
    }
    const exportSec = seconds(t0);
    if (refs.length !== N) throw new Error(`export produced ${refs.length} entries, expected ${N}`);

    // Baseline: PostgreSQL writing the same rows and columns as CSV itself.
    const client = await pool.connect();
    let baseBytes = 0;
    t0 = process.hrtime.bigint();
    await pipeline(
      client.query(
        copyTo(`COPY (SELECT be.ref, host(e.ip), e.port, e.observed_at AT TIME ZONE 'Asia/Tokyo', e.observed_at AT TIME ZONE 'UTC', e.malware,
                                        'campaign', 1, 'TLP:AMBER', be.relapse_of IS NOT NULL
                                   FROM batch_entries be JOIN entries e ON e.id = be.entry_id WHERE be.batch_id = ${batch.id} ORDER BY be.seq)
                           TO STDOUT (FORMAT csv, HEADER)`),
      ),
      new Writable({
        write(c: Buffer, _e, cb) {
          baseBytes += c.length;
          cb();
        },
      }),
    );
    const baseSec = seconds(t0);

    // Outcomes: one row per entry of the batch.
    let csv = 'entry_id,outcome,notified_at,channel,note\n';
    refs.forEach((r, i) => (csv += `${r},${OUTCOMES[i % OUTCOMES.length]},${i % 2 ? '2014-06-10 09:30' : ''},letter,\n`));
    t0 = process.hrtime.bigint();
    const res = await importOutcomesCsv(pool, {
      batchId: batch.id,
      memberId: 'isp-bench',
      reportedBy: 'bench',
      input: Readable.from([csv]),
    });
    const importSec = seconds(t0);
    if (res.stored !== N || !res.batchClosed) throw new Error(`import stored ${res.stored} of ${N}, rejected ${res.rejected.length}`);

    await client.query('CREATE TABLE outcome_copy (entry_id text, outcome text, notified_at text, channel text, note text)');
    t0 = process.hrtime.bigint();
    await pipeline(Readable.from([csv]), client.query(copyFrom('COPY outcome_copy FROM STDIN (FORMAT csv, HEADER)')));
    const copyInSec = seconds(t0);
    client.release();

    const mbps = bytes / 1e6 / exportSec;
    const baseMbps = baseBytes / 1e6 / baseSec;
    return [
      {
        name: `batch export, ${N.toLocaleString('en-US')} entries as member CSV`,
        value: +mbps.toFixed(2),
        unit: 'MB/s',
        baseline: +baseMbps.toFixed(2),
        ratio: +(mbps / baseMbps).toFixed(3),
        notes: `${(bytes / 1e6).toFixed(1)} MB in ${exportSec.toFixed(2)} s (COPY TO: ${(baseBytes / 1e6).toFixed(1)} MB in ${baseSec.toFixed(2)} s); peak RSS ${(peak / 1e6).toFixed(0)} MB`,
      },
      {
        name: `outcome import, ${N.toLocaleString('en-US')} CSV rows`,
        value: Math.round(N / importSec),
        unit: 'rows/s',
        baseline: Math.round(N / copyInSec),
        ratio: +(N / importSec / (N / copyInSec)).toFixed(3),
        notes: `${importSec.toFixed(2)} s validated and checked against the batch (COPY FROM into a bare table: ${copyInSec.toFixed(2)} s)`,
      },
    ];
  } finally {
    await pool.end();
    await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}
