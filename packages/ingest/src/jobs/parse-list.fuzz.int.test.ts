import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import type { Worker } from 'bullmq';
import { submitList } from '@deliveryline/shared';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { startIngestWorker } from '../worker';
import { gzipOf, zipOf } from '../testing/fixtures';
import { settled } from '../testing/settled';

/**
 * Property and fuzz tests through the real worker: whatever arrives, the worker keeps
 * working, a list ends parsed or failed with a coded message, and a parsed list accounts for
 * every row exactly once (rowsRead = received + rejected + duplicates, each row stored once).
 */
describe('ingest never crashes, never stores a row twice, never loses one', () => {
  let ctx: TestContext;
  let workers: Worker[];
  let dir: string;
  beforeAll(async () => {
    ctx = await openTestContext();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-fuzz-'));
    workers = startIngestWorker(ctx);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  /** Ingests bytes and checks the invariants; returns the list's counters (null when it failed). */
  async function ingestAndCheck(bytes: Buffer, timezone: string | null = 'UTC') {
    const file = path.join(dir, `f${n}`);
    fs.writeFileSync(file, bytes);
    const listId = await submitList(ctx, { path: file, fileName: `fuzz-${n}.csv`, sourceId: 'fuzz', campaignId: `fuzz-${n++}`, timezone });
    const list = await settled(ctx.pool, listId);
    const stored = (
      await ctx.pool.query(
        `SELECT (SELECT count(*)::int FROM entries WHERE list_id = $1) AS entries,
              (SELECT count(*)::int FROM rejects WHERE list_id = $1) AS rejects,
              (SELECT count(DISTINCT (ip, observed_at, port))::int FROM entries WHERE list_id = $1) AS distinct_keys,
              (SELECT coalesce(max(seq), 0)::int FROM entries WHERE list_id = $1) AS max_seq,
              (SELECT count(*)::int FROM (SELECT row_no FROM entries WHERE list_id = $1 UNION ALL SELECT row_no FROM rejects WHERE list_id = $1) x) AS rows_stored,
              (SELECT count(DISTINCT row_no)::int FROM (SELECT row_no FROM entries WHERE list_id = $1 UNION ALL SELECT row_no FROM rejects WHERE list_id = $1) x) AS distinct_rows`,
        [listId],
      )
    ).rows[0];
    if (list.state === 'failed') {
      // a permanent input problem, with its stable code; nothing half-stored
      expect(list.failure).toMatch(/^[a-z_]+\.[a-z_]+: /);
      expect(stored).toMatchObject({ entries: 0, rejects: 0 });
      return null;
    }
    expect(list.rows_read).toBe(list.received! + list.rejected! + list.duplicates!);
    expect(stored.entries).toBe(list.received);
    expect(stored.rejects).toBe(list.rejected);
    expect(stored.distinct_keys).toBe(list.received);
    expect(stored.max_seq).toBe(list.received);
    expect(stored.distinct_rows).toBe(stored.rows_stored);
    return list;
  }

  it('arbitrary bytes, with or without a valid header in front', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.uint8Array({ maxLength: 3000 }), async (withHeader, body) => {
        await ingestAndCheck(Buffer.concat([Buffer.from(withHeader ? 'ip,observed_at,port\n' : ''), Buffer.from(body)]));
      }),
      { numRuns: 25 },
    );
  });

  const cell = fc.oneof(
    fc.constantFrom('203.0.113.5', '2001:db8::5', '::ffff:198.51.100.1', '192.168.001.1', '２０３．０．１１３．６', '', 'x'),
    fc.constantFrom('2015-04-20 10:00:00', '2015/4/20 9:05', '2015-04-20T10:00:00+09:00', '1429491600', '2099-01-01 00:00', 'never'),
    fc.constantFrom('80', '', '65536', '８０', '-1'),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: fc.constantFrom('"', ',', '\n', '\r', '\u0000', 'ア', '\t', ';'), maxLength: 12 }),
    fc.constant('z'.repeat(70_000)),
  );
  const quote = (f: string) => `"${f.replace(/"/g, '""')}"`;

  it('quoted records with hostile content: every record is read and accounted for', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(cell, cell, cell, cell), { minLength: 1, maxLength: 30 }),
        fc.constantFrom('\n', '\r\n'),
        fc.constantFrom('utf-8', 'cp932'),
        async (rows, eol, enc) => {
          const header = ['ip', 'observed_at', 'port', '__proto__'].join(',');
          const text = [header, ...rows.map((r) => r.map(quote).join(','))].join(eol) + eol;
          const list = await ingestAndCheck(enc === 'cp932' ? iconv.encode(text, 'cp932') : Buffer.from(text));
          // a record of only empty fields is a blank line; every other record is one row
          const expected = rows.filter((r) => r.some((f) => f.trim() !== '')).length;
          expect(list?.rows_read).toBe(expected);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('hostile headers: duplicate, blank, huge and prototype-named columns', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constantFrom('ip', 'IP', 'observed_at', '__proto__', 'constructor', '', ' ', 'x'.repeat(5000), 'port'),
            fc.string({ maxLength: 8 }),
          ),
          { maxLength: 12 },
        ),
        async (names) => {
          const header = ['ip', 'observed_at', ...names].map(quote).join(',');
          const row = ['203.0.113.9', '2015-04-20 10:00:00', ...names.map((_, i) => `v${i}`)].map(quote).join(',');
          const list = await ingestAndCheck(Buffer.from(`${header}\n${row}\n`));
          expect(list?.rows_read).toBe(1);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('truncated files: plain, gzip and zip cut anywhere', async () => {
    const csv =
      'ip,observed_at,port,note\n' +
      Array.from(
        { length: 200 },
        (_, i) => `203.0.113.${i % 250},2015-04-20 10:${String(i % 60).padStart(2, '0')}:00,${i},"a ""b"",\nc"`,
      ).join('\n') +
      '\n';
    const forms = [Buffer.from(csv), gzipOf(csv), zipOf([{ name: 'l.csv', data: csv }])];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 }), fc.double({ min: 0, max: 1, noNaN: true }), async (k, at) => {
        const b = forms[k];
        await ingestAndCheck(b.subarray(0, Math.floor(b.length * at)));
      }),
      { numRuns: 25 },
    );
  });
});
