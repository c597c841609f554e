import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { getBatch, batchCsv, batchJson, returnedJson, importOutcomesCsv, listBatches, type Queryable } from '@deliveryline/shared';
import { createBatches } from '../repositories/batch-release.repository';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { dueDate } from './due-date';
import { makeRoutedList } from '../testing/routed-list.fixture';

const EVIL = '=HYPERLINK("http://x","y")';
const collect = async (g: AsyncIterable<string>) => {
  let s = '';
  for await (const c of g) s += c;
  return s;
};
const release = async (db: Queryable, listId: number) => createBatches(db, listId, dueDate(new Date(), 10), 10);
const batchOf = async (ctx: TestContext, listId: number, member: string) =>
  (await getBatch(
    ctx.pool,
    Number((await ctx.pool.query('SELECT id FROM batches WHERE list_id = $1 AND member_id = $2', [listId, member])).rows[0].id),
  ))!;

describe('batch exports, outcomes and relapses', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await openTestContext();
  });
  afterAll(() => ctx.close());

  it('exports exactly the routed entries with opaque ids, and a malicious malware name stays inert', async () => {
    const listId = await makeRoutedList(ctx.pool, {
      campaignName: 'VAWTRAK 2015',
      tlp: 'green',
      round: 1,
      members: [{ id: 'isp-a' }, { id: 'isp-b' }],
      entries: [
        { ip: '203.0.113.1', observedAt: '2015-04-20T01:15:30Z', port: 1234, malware: EVIL, memberId: 'isp-a' },
        { ip: '2001:db8::5', observedAt: '2015-04-20T02:00:00Z', malware: '@SUM(1+1)*cmd|" /C calc"!A0', memberId: 'isp-a' },
        { ip: '198.51.100.9', observedAt: '2015-04-20T03:00:00Z', malware: 'vawtrak', memberId: 'isp-b' },
        { ip: '192.0.2.1', observedAt: '2015-04-20T03:00:00Z', malware: EVIL, memberId: null },
      ],
    });
    await release(ctx.pool, listId);
    const b = await batchOf(ctx, listId, 'isp-a');
    const csv = await collect(batchCsv(ctx.pool, b, { bom: true }));
    expect(
      csv.startsWith(
        '\uFEFFentry_id,ip,port,observed_at_jst,observed_at_utc,malware,campaign,round,tlp,relapse,outcome,notified_at,channel,note\r\n',
      ),
    ).toBe(true);
    const rows: string[][] = parse(csv, { bom: true, from_line: 2 });
    expect(rows.map((r) => r[1])).toEqual(['203.0.113.1', '2001:db8::5']); // exactly isp-a's entries, in file order
    expect(rows[0].slice(2, 9)).toEqual([
      '1234',
      '2015-04-20T10:15:30+09:00',
      '2015-04-20T01:15:30Z',
      `'${EVIL}`,
      'VAWTRAK 2015',
      '1',
      'TLP:GREEN',
    ]);
    expect(rows[1][5].startsWith("'@")).toBe(true);
    for (const r of rows) expect(r[0]).toMatch(/^e[0-9a-f]{24}$/);
    // No cell of any line starts with a formula character.
    for (const r of rows) for (const cell of r) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    // Stable: a second export gives the same ids.
    expect(await collect(batchCsv(ctx.pool, b, { bom: true }))).toBe(csv);
    const json = JSON.parse(await collect(batchJson(ctx.pool, b)));
    expect(json.map((x: { entryId: string }) => x.entryId)).toEqual(rows.map((r) => r[0]));
    expect(json[0].malware).toBe(EVIL); // JSON carries the value as it is: no spreadsheet reads it
    const returned = JSON.parse(await collect(returnedJson(ctx.pool, listId)));
    expect(returned).toEqual([expect.objectContaining({ ip: '192.0.2.1', returnReason: 'no_member', row: 4 })]);
  });

  it('streams a 100,000-entry batch page by page, never reading it whole', async () => {
    const listId = await makeRoutedList(ctx.pool, {
      round: 9,
      members: [{ id: 'isp-big' }],
      generated: { memberId: 'isp-big', count: 100_000, malware: EVIL },
    });
    await release(ctx.pool, listId);
    const b = await batchOf(ctx, listId, 'isp-big');
    expect(b.entries).toBe(100_000);
    let queries = 0;
    let maxRows = 0;
    const spy = {
      query: async (...args: unknown[]) => {
        queries++;
        const r = await (ctx.pool.query as (...a: unknown[]) => Promise<{ rowCount: number }>)(...args);
        maxRows = Math.max(maxRows, r.rowCount ?? 0);
        return r;
      },
    } as unknown as Queryable;
    const gen = batchCsv(spy, b, { pageSize: 5000 });
    await gen.next(); // header
    await gen.next(); // first page
    expect(queries).toBe(1); // the rest is not read until asked for
    let lines = 2 + 5000 - 1;
    let inert = true;
    for await (const chunk of gen) {
      lines += chunk.split('\r\n').length - 1;
      if (chunk.includes(`,${EVIL}`) || chunk.includes(`,"${EVIL.replace(/"/g, '""')}"`)) inert = false;
    }
    expect(lines).toBe(100_001);
    expect(maxRows).toBeLessThanOrEqual(5000);
    expect(queries).toBeGreaterThanOrEqual(20);
    expect(inert).toBe(true);
  });

  it('imports an outcome CSV row by row, replaces earlier reports but keeps history, and closes the batch', async () => {
    const listId = await makeRoutedList(ctx.pool, {
      round: 2,
      members: [{ id: 'isp-c' }, { id: 'isp-d' }],
      entries: [
        { ip: '203.0.113.21', observedAt: '2014-06-01T00:00:00Z', memberId: 'isp-c' },
        { ip: '203.0.113.22', observedAt: '2014-06-01T00:00:00Z', memberId: 'isp-c' },
        { ip: '198.51.100.23', observedAt: '2014-06-01T00:00:00Z', memberId: 'isp-d' },
      ],
    });
    await release(ctx.pool, listId);
    const c = await batchOf(ctx, listId, 'isp-c');
    const d = await batchOf(ctx, listId, 'isp-d');
    const ids = parse(await collect(batchCsv(ctx.pool, c)), { from_line: 2 }).map((r: string[]) => r[0]);
    const other = parse(await collect(batchCsv(ctx.pool, d)), { from_line: 2 })[0][0];
    // a notification after the release (the batch was released now), written as a person in Japan does
    const later = new Date(Date.now() + 86_400_000 + 9 * 3_600_000);
    const laterText = `${later.getUTCFullYear()}/${later.getUTCMonth() + 1}/${later.getUTCDate()} 9:30`;
    const file = [
      '\uFEFFEntry_ID,Outcome,Notified_At,Channel,Note',
      `${ids[0]},notified,${laterText},letter,`,
      `${other},notified,,,`,
      `e000000000000000000000000,declined,,,`,
      `${ids[1]},forgotten,,,`,
      `${ids[1]},not_identified,,,"no subscriber at that time"`,
    ].join('\r\n');
    const r = await importOutcomesCsv(ctx.pool, { batchId: c.id, memberId: 'isp-c', reportedBy: 'op@isp-c', input: Readable.from([file]) });
    expect(r).toMatchObject({ rows: 5, stored: 2, batchClosed: true });
    expect(r.rejected.map((x) => [x.row, x.code])).toEqual([
      [2, 'entry.not_in_batch'],
      [3, 'entry.not_in_batch'],
      [4, 'outcome.invalid'],
    ]);
    expect(r.rejected[2].message).toContain('not_identified');
    const stored = await ctx.pool.query(`SELECT outcome, notified_at FROM outcomes WHERE batch_id = $1 ORDER BY id`, [c.id]);
    expect(stored.rows[0].notified_at.toISOString()).toBe(`${later.toISOString().slice(0, 10)}T00:30:00.000Z`); // JST without offset
    // A later report replaces the current one; both stay.
    const again = await importOutcomesCsv(ctx.pool, {
      batchId: c.id,
      memberId: 'isp-c',
      reportedBy: 'op@isp-c',
      input: Readable.from([`entry_id,outcome\n${ids[0]},duplicate\n`]),
    });
    expect(again.stored).toBe(1);
    const hist = await ctx.pool.query(
      `SELECT outcome FROM outcomes o JOIN batch_entries be ON be.entry_id = o.entry_id WHERE be.ref = $1 ORDER BY o.id`,
      [ids[0]],
    );
    expect(hist.rows.map((x) => x.outcome)).toEqual(['notified', 'duplicate']);
    expect((await listBatches(ctx.pool, { listId })).find((x) => x.memberId === 'isp-c')).toMatchObject({ state: 'closed', open: 0 });
    // A file without the required columns is refused as a whole, saying which.
    await expect(
      importOutcomesCsv(ctx.pool, { batchId: c.id, memberId: 'isp-c', reportedBy: 'x', input: Readable.from(['id,result\n1,notified\n']) }),
    ).rejects.toThrow(/no entry_id or outcome column/);
  });

  it('marks an address the member had already notified as a relapse in a later list', async () => {
    const first = await makeRoutedList(ctx.pool, {
      campaignId: 'goz-2014',
      round: 5,
      members: [{ id: 'isp-e' }],
      entries: [
        { ip: '203.0.113.99', observedAt: '2014-06-01T00:00:00Z', memberId: 'isp-e' },
        { ip: '203.0.113.98', observedAt: '2014-06-01T00:00:00Z', memberId: 'isp-e' },
      ],
    });
    await release(ctx.pool, first);
    const b1 = await batchOf(ctx, first, 'isp-e');
    const refs = parse(await collect(batchCsv(ctx.pool, b1)), { from_line: 2 }).map((r: string[]) => r[0]);
    await importOutcomesCsv(ctx.pool, {
      batchId: b1.id,
      memberId: 'isp-e',
      reportedBy: 'op',
      input: Readable.from([`entry_id,outcome\n${refs[0]},notified\n${refs[1]},not_identified\n`]),
    });
    const later = await makeRoutedList(ctx.pool, {
      campaignId: 'goz-2014',
      round: 6,
      entries: [
        { ip: '203.0.113.99', observedAt: '2014-07-01T00:00:00Z', memberId: 'isp-e' },
        { ip: '203.0.113.98', observedAt: '2014-07-01T00:00:00Z', memberId: 'isp-e' },
      ],
    });
    await release(ctx.pool, later);
    const b2 = await batchOf(ctx, later, 'isp-e');
    const rows = parse(await collect(batchCsv(ctx.pool, b2)), { from_line: 2 });
    expect(rows.map((r: string[]) => [r[1], r[9]])).toEqual([
      ['203.0.113.99', 'relapse'],
      ['203.0.113.98', ''],
    ]);
    expect((await listBatches(ctx.pool, { listId: later }))[0].relapses).toBe(1);
  });

  it('writes a big first release into a partition of its own, and reads, reports, relapses and additions work the same', async () => {
    const first = await makeRoutedList(ctx.pool, {
      campaignId: 'own-2026',
      round: 1,
      members: [{ id: 'isp-own' }],
      entries: [{ ip: '203.0.113.77', observedAt: '2026-01-01T00:00:00Z', memberId: 'isp-own' }],
    });
    await release(ctx.pool, first);
    const b1 = await batchOf(ctx, first, 'isp-own');
    const ref1 = parse(await collect(batchCsv(ctx.pool, b1)), { from_line: 2 })[0][0];
    await importOutcomesCsv(ctx.pool, {
      batchId: b1.id,
      memberId: 'isp-own',
      reportedBy: 'op',
      input: Readable.from([`entry_id,outcome\n${ref1},notified\n`]),
    });
    const entries = [
      ...Array.from({ length: 7 }, (_, i) => ({ ip: `203.0.113.${71 + i}`, observedAt: '2026-02-01T00:00:00Z', memberId: 'isp-own' })),
      ...Array.from({ length: 4 }, (_, i) => ({ ip: `198.51.100.${70 + i}`, observedAt: '2026-02-01T00:00:00Z', memberId: 'isp-own2' })),
      { ip: '192.0.2.70', observedAt: '2026-02-01T00:00:00Z', memberId: null },
    ];
    const big = await makeRoutedList(ctx.pool, {
      campaignId: 'own-2026',
      round: 2,
      members: [{ id: 'isp-own2' }, { id: 'isp-own3' }],
      entries,
    });
    const bigRelease = (db: Queryable) => createBatches(db, big, dueDate(new Date(), 10), 10, { ownPartitionAbove: 5 });
    await bigRelease(ctx.pool);
    const part = `batch_entries_l${big}`;
    const attached = await ctx.pool.query(
      `SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass($1) AND inhparent = 'batch_entries'::regclass`,
      [part],
    );
    expect(attached.rowCount).toBe(1);
    const inPart = await ctx.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT ref)::int AS refs, bool_and(ref ~ '^e[0-9a-f]{24}$') AS ok FROM ${part}`,
    );
    expect(inPart.rows[0]).toEqual({ n: 11, refs: 11, ok: true });
    const shared = await ctx.pool.query(`SELECT count(*)::int AS n FROM batch_entries_shared WHERE list_id = $1`, [big]);
    expect(shared.rows[0].n).toBe(0);
    // every delivered entry once, with its own entry id, in its member's batch
    const joined = await ctx.pool.query(
      `SELECT b.member_id, count(*)::int AS n, count(*) FILTER (WHERE e.seq = be.seq AND r.member_id = b.member_id)::int AS right
         FROM batch_entries be JOIN batches b ON b.id = be.batch_id JOIN entries e ON e.id = be.entry_id JOIN routes r ON r.list_id = be.list_id AND r.seq = be.seq
        WHERE be.list_id = $1 GROUP BY 1 ORDER BY 1`,
      [big],
    );
    expect(joined.rows).toEqual([
      { member_id: 'isp-own', n: 7, right: 7 },
      { member_id: 'isp-own2', n: 4, right: 4 },
    ]);
    const b2 = await batchOf(ctx, big, 'isp-own');
    const rows = parse(await collect(batchCsv(ctx.pool, b2)), { from_line: 2 });
    expect(rows.map((r: string[]) => r[1])).toEqual(entries.slice(0, 7).map((e) => e.ip)); // file order
    expect(rows.find((r: string[]) => r[1] === '203.0.113.77')[9]).toBe('relapse'); // notified in the first list
    expect(rows.filter((r: string[]) => r[9] === 'relapse')).toHaveLength(1);
    const r = await importOutcomesCsv(ctx.pool, {
      batchId: b2.id,
      memberId: 'isp-own',
      reportedBy: 'op',
      input: Readable.from([`entry_id,outcome\n${rows[0][0]},notified\n${rows[1][0]},declined\n`]),
    });
    expect(r).toMatchObject({ stored: 2, rejected: [] });
    // Released again (a crash between two steps): nothing changes.
    await bigRelease(ctx.pool);
    expect((await ctx.pool.query(`SELECT count(*)::int AS n FROM batch_entries WHERE list_id = $1`, [big])).rows[0].n).toBe(11);
    // A misrouted entry moved to another member later goes into the same partition, through the parent.
    await ctx.pool.query(`UPDATE routes SET member_id = 'isp-own3' WHERE list_id = $1 AND seq = 8`, [big]);
    await ctx.pool.query(`DELETE FROM batch_entries WHERE list_id = $1 AND seq = 8`, [big]);
    await bigRelease(ctx.pool);
    const moved = await ctx.pool.query(`SELECT b.member_id FROM ${part} be JOIN batches b ON b.id = be.batch_id WHERE be.seq = 8`);
    expect(moved.rows).toEqual([{ member_id: 'isp-own3' }]);
  });
  it("prepares a big release outside its transaction: a crashed attempt's table is replaced, a called-off release keeps nothing, two at once make one", async () => {
    const entries = Array.from({ length: 9 }, (_, i) => ({
      ip: `203.0.113.${101 + i}`,
      observedAt: '2026-03-01T00:00:00Z',
      memberId: i % 3 ? 'isp-p1' : 'isp-p2',
    }));
    const list = await makeRoutedList(ctx.pool, {
      campaignId: 'prep-2026',
      round: 1,
      members: [{ id: 'isp-p1' }, { id: 'isp-p2' }],
      entries,
    });
    const part = `batch_entries_l${list}`;
    const due = dueDate(new Date(), 10);
    const bigRelease = (guard?: () => Promise<boolean>) =>
      createBatches(ctx.pool, list, due, 10, { ownPartitionAbove: 5, guard: guard && (() => guard()) });
    const tableExists = async () => (await ctx.pool.query('SELECT to_regclass($1) IS NOT NULL AS t', [part])).rows[0].t as boolean;
    // a crash left a table with a row in it, not attached
    await ctx.pool.query(`CREATE TABLE ${part} (LIKE batch_entries)`);
    await ctx.pool.query(`INSERT INTO ${part} (batch_id, seq, list_id, entry_id, ref) VALUES (0, 1, $1, 0, 'e000000000000000000000000')`, [
      list,
    ]);
    // the list moved on before the transaction: no batch, no table
    await bigRelease(async () => false);
    expect((await ctx.pool.query('SELECT count(*)::int AS n FROM batches WHERE list_id = $1', [list])).rows[0].n).toBe(0);
    expect(await tableExists()).toBe(false);
    // two attempts at once: one prepares and attaches, the other finds the batches and adds nothing
    await Promise.all([bigRelease(), bigRelease()]);
    const batches = await ctx.pool.query('SELECT id, member_id, entries FROM batches WHERE list_id = $1 ORDER BY member_id', [list]);
    expect(batches.rows.map((b) => [b.member_id, b.entries])).toEqual([
      ['isp-p1', 6],
      ['isp-p2', 3],
    ]);
    const attached = await ctx.pool.query(`SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass($1)`, [part]);
    expect(attached.rowCount).toBe(1);
    // every delivered entry once, in its member's batch (the batch ids drawn before the transaction)
    const rows = await ctx.pool.query(
      `SELECT b.member_id, count(*)::int AS n, count(DISTINCT be.ref)::int AS refs
         FROM ${part} be JOIN batches b ON b.id = be.batch_id JOIN routes r ON r.list_id = be.list_id AND r.seq = be.seq AND r.member_id = b.member_id
        GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.rows).toEqual([
      { member_id: 'isp-p1', n: 6, refs: 6 },
      { member_id: 'isp-p2', n: 3, refs: 3 },
    ]);
    expect((await ctx.pool.query(`SELECT count(*)::int AS n FROM batch_entries WHERE list_id = $1`, [list])).rows[0].n).toBe(9);
    // the row the crash left is gone
    expect((await ctx.pool.query(`SELECT count(*)::int AS n FROM batch_entries WHERE ref = 'e000000000000000000000000'`)).rows[0].n).toBe(
      0,
    );
  });
  it('refuses a malformed entry id in an outcome file with the value and what an entry id looks like', async () => {
    const listId = await makeRoutedList(ctx.pool, {
      campaignId: 'bad-ref-2026',
      round: 1,
      members: [{ id: 'isp-r' }],
      entries: [{ ip: '203.0.113.201', observedAt: '2026-04-01T00:00:00Z', memberId: 'isp-r' }],
    });
    await release(ctx.pool, listId);
    const b = await batchOf(ctx, listId, 'isp-r');
    const r = await importOutcomesCsv(ctx.pool, {
      batchId: b.id,
      memberId: 'isp-r',
      reportedBy: 'op',
      input: Readable.from(['entry_id,outcome\ne00000000000000000000000z,notified\n']),
    });
    expect(r.rejected).toEqual([
      {
        row: 1,
        field: 'entryId',
        code: 'entry.invalid',
        message:
          '"e00000000000000000000000z" is not an entry id; copy the entry_id column of the batch as downloaded ("e" and 24 hex digits)',
      },
    ]);
  });
});
