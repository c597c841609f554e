import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { recordOutcomes } from '@deliveryline/shared';
import { campaignReport } from './repositories/report.repository';
import { HAND_MEMBERS, loadHandCampaign } from './testing/hand-fixture';
import { campaignStats, StatsError } from './scope';
import { campaignTable, campaignTableCsv } from './table';

const T0 = '2026-01-05T00:00:00Z';
const AT = new Date('2026-01-20T00:00:00Z');

/**
 * Hand-checked figures. list 1: 16 received (11 delivered, 5 returned), 2 rejected, 1 duplicate.
 * Outcomes (latest counts): alpha#1,#2 notified; alpha#3 notified then declined; alpha#4 none;
 * bravo#5 not identified; bravo#6 notified; charlie#7 notified; echo#9 duplicate
 * → reported 7, notified 4, not identified 1, unhandled 4. list 2: 5 received (4 delivered);
 * alpha#1 notified, alpha#2 not our address, bravo#4 notified → reported 3, notified 2, unhandled 1.
 */
describe('campaign figures on a hand-checked campaign', () => {
  let ctx: TestContext;
  let ids: { list1: number; list2: number };

  beforeAll(async () => {
    ctx = await openTestContext();
    const h = await loadHandCampaign(ctx.pool);
    ids = h;
    const db = ctx.pool;
    const [a1, b1, c1, e1, a2, b2] = await Promise.all([
      h.batch(h.list1, 'isp-alpha'),
      h.batch(h.list1, 'isp-bravo'),
      h.batch(h.list1, 'isp-charlie'),
      h.batch(h.list1, 'isp-echo'),
      h.batch(h.list2, 'isp-alpha'),
      h.batch(h.list2, 'isp-bravo'),
    ]);
    await db.query(`UPDATE batches SET created_at = $2, first_downloaded_at = $2::timestamptz + interval '2 hours' WHERE id = $1`, [
      a1,
      T0,
    ]);
    await db.query(`UPDATE batches SET created_at = $1 WHERE list_id = $2 AND member_id <> 'isp-alpha'`, [T0, h.list1]);
    await db.query(`UPDATE batches SET first_downloaded_at = created_at + interval '4 hours' WHERE id = $1`, [a2]);
    const entry = async (list: number, seq: number) =>
      Number((await db.query(`SELECT id FROM entries WHERE list_id = $1 AND seq = $2`, [list, seq])).rows[0].id);
    const put = (batch: number, member: string, rows: [number, string, string | null][], at: string) =>
      db.query(
        `INSERT INTO outcomes (entry_id, batch_id, member_id, outcome, notified_at, reported_at)
       SELECT e, $1, $2, o, n, $3 FROM unnest($4::bigint[], $5::text[], $6::timestamptz[]) AS u(e, o, n)`,
        [batch, member, at, rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
      );
    const l1 = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => entry(h.list1, s)));
    await put(
      a1,
      'isp-alpha',
      [
        [l1[0], 'notified', null],
        [l1[1], 'notified', null],
      ],
      '2026-01-05T10:00:00Z',
    );
    await put(a1, 'isp-alpha', [[l1[2], 'notified', null]], '2026-01-05T20:00:00Z');
    await put(a1, 'isp-alpha', [[l1[2], 'declined', null]], '2026-01-06T06:00:00Z');
    await put(
      b1,
      'isp-bravo',
      [
        [l1[4], 'not_identified', null],
        [l1[5], 'notified', null],
      ],
      '2026-01-06T01:00:00Z',
    );
    await put(c1, 'isp-charlie', [[l1[6], 'notified', '2026-01-06T16:00:00Z']], '2026-01-07T00:00:00Z');
    await put(e1, 'isp-echo', [[l1[8], 'duplicate', null]], '2026-01-07T00:00:00Z');
    // list 2 through the real outcome path (recordOutcomes, reported now)
    const l2 = await Promise.all([1, 2, 4].map((s) => entry(h.list2, s)));
    // the notifications of 2026-01-08 happened after the release: recordOutcomes refuses a notified_at
    // before it, so the release is moved back for the report and then exactly forward again (the times below count from it)
    await db.query(`UPDATE batches SET created_at = created_at - interval '1000 days' WHERE list_id = $1`, [h.list2]);
    const r1 = await recordOutcomes(db, {
      batchId: a2,
      memberId: 'isp-alpha',
      reportedBy: 'test',
      rows: [
        { entryId: l2[0], outcome: 'notified', notifiedAt: '2026-01-08T03:00:00+09:00' },
        { entryId: l2[1], outcome: 'not_our_address' },
      ],
    });
    const r2 = await recordOutcomes(db, {
      batchId: b2,
      memberId: 'isp-bravo',
      reportedBy: 'test',
      rows: [{ entryId: l2[2], outcome: 'notified', notifiedAt: '2026-01-08T03:00:00+09:00' }],
    });
    await db.query(`UPDATE batches SET created_at = created_at + interval '1000 days' WHERE list_id = $1`, [h.list2]);
    expect([r1.stored, r2.stored]).toEqual([2, 1]);
  });
  afterAll(() => ctx.close());

  it('gives the table by round and in total, with latest outcomes', async () => {
    const r = await campaignReport(ctx.pool, 'hand');
    expect(r.rounds.map((x) => x.listId)).toEqual([ids.list1, ids.list2]);
    expect(r.rounds[0]).toMatchObject({
      received: 16,
      delivered: 11,
      returned: 5,
      rejected: 2,
      duplicates: 1,
      reported: 7,
      notified: 4,
      notIdentified: 1,
      declined: 1,
      duplicate: 1,
      unhandled: 4,
    });
    expect(r.rounds[1]).toMatchObject({ received: 5, delivered: 4, returned: 1, reported: 3, notified: 2, notOurAddress: 1, unhandled: 1 });
    expect(r.total).toMatchObject({ received: 21, delivered: 15, returned: 6, reported: 10, notified: 6, notIdentified: 1, unhandled: 5 });
    const t = campaignTable(r, 'en');
    const row = (k: string) => t.rows.find((x) => x.key === k)!.cells;
    expect(t.columns).toEqual(['round 1', 'round 2', 'total']);
    expect(row('handlingRate')).toEqual(['68.8%', '80.0%', '71.4%']);
    expect(row('notifyRate')).toEqual(['36.4%', '50.0%', '40.0%']);
    expect(
      campaignTable(r, 'ja')
        .rows.map((x) => x.label)
        .slice(0, 4),
    ).toEqual(['受領数', '送付数', '返却数', '対応率']);
    const csv = campaignTableCsv(r, 'en').split('\r\n');
    expect(csv[0]).toBe('\ufeff,round 1,round 2,total');
    expect(csv).toContain('notified,4,2,6');
    expect(csv).toContain('notify rate,36.4%,50.0%,40.0%');
  });

  it('gives per-member figures, overdue and exact times to coordinators', async () => {
    const s = await campaignStats(ctx.pool, 'hand', { role: 'coordinator' }, { at: AT });
    const a = s.members!.find((m) => m.memberId === 'isp-alpha')!;
    expect(a).toMatchObject({
      name: 'Alpha Net',
      batches: 2,
      delivered: 7,
      reported: 5,
      notified: 3,
      unhandled: 2,
      overdueBatches: 1,
      overdueEntries: 1,
      downloadedBatches: 2,
    });
    expect(a.toFirstDownload).toEqual({ n: 2, medianSeconds: 2 * 3600, p90Seconds: 4 * 3600 });
    // first reports: 2 entries at 10 h, 1 at 20 h (list 1), 2 just after release (list 2)
    expect(a.toOutcome.n).toBe(5);
    expect(a.toOutcome.medianSeconds).toBe(10 * 3600);
    expect(a.toOutcome.p90Seconds).toBe(20 * 3600);
    expect(s.members!.map((m) => m.memberId)).toEqual(HAND_MEMBERS.map((m) => m.id));
    expect(s.members!.find((m) => m.memberId === 'isp-delta')).toMatchObject({
      delivered: 1,
      reported: 0,
      overdueBatches: 1,
      overdueEntries: 1,
    });
    expect(s.notifiedByDay).toEqual([
      { day: '2026-01-05', notified: 2, cumulative: 2 },
      { day: '2026-01-06', notified: 1, cumulative: 3 },
      { day: '2026-01-07', notified: 1, cumulative: 4 },
      { day: '2026-01-08', notified: 2, cumulative: 6 },
    ]);
    expect(s.returnsByReason).toEqual([
      { reason: 'no_member', entries: 5 },
      { reason: 'non_routable', entries: 1 },
    ]);
  });

  it('shows a member its own figures and the others only as anonymous quartiles', async () => {
    const s = await campaignStats(ctx.pool, 'hand', { role: 'member', memberId: 'isp-alpha' }, { at: AT });
    expect(s.members).toBeUndefined();
    expect(s.own).toMatchObject({ memberId: 'isp-alpha', delivered: 7, notified: 3 });
    expect(s.peers).toMatchObject({ members: 6, delivered: { n: 6, median: 1, q3: 1 } });
    const json = JSON.stringify(s);
    for (const m of HAND_MEMBERS.slice(1)) {
      expect(json).not.toContain(m.id);
      expect(json).not.toContain(m.name);
    }
    expect(json).not.toMatch(/jpcert|police/);
    expect(s.table.total.notified).toBe(6);
  });

  it('shows a source the totals of its own lists only, and a viewer totals only', async () => {
    const src = await campaignStats(ctx.pool, 'hand', { role: 'source', sourceId: 'police' }, { at: AT });
    expect(src.table.rounds.map((r) => r.listId)).toEqual([ids.list2]);
    expect(src.table.total).toMatchObject({ received: 5, delivered: 4, notified: 2 });
    expect(src.returnsByReason).toEqual([{ reason: 'no_member', entries: 1 }]);
    const viewer = await campaignStats(ctx.pool, 'hand', { role: 'viewer' }, { at: AT });
    for (const v of [src, viewer]) {
      expect(v.members ?? v.own ?? v.peers).toBeUndefined();
      const json = JSON.stringify(v);
      for (const m of HAND_MEMBERS) expect(json).not.toContain(m.id);
    }
    expect(viewer.table.total.received).toBe(21);
  });

  it('refuses a scope without its organisation and an unknown campaign, with codes', async () => {
    await expect(campaignStats(ctx.pool, 'hand', { role: 'member' })).rejects.toMatchObject({ code: 'stats.scope' });
    await expect(campaignStats(ctx.pool, 'nope', { role: 'viewer' })).rejects.toBeInstanceOf(StatsError);
  });

  it('keeps the summaries equal to a rebuild from routes and outcomes', async () => {
    const snap = async () =>
      (
        await ctx.pool.query(
          `SELECT json_build_object('r', (SELECT json_agg(x ORDER BY x) FROM (SELECT list_id, member_id, state, reason, entries FROM stats_list_routes WHERE entries <> 0) x),
              'o', (SELECT json_agg(x ORDER BY x) FROM (SELECT batch_id, outcome, entries FROM stats_batch_outcomes WHERE entries <> 0) x),
              'f', (SELECT json_agg(x ORDER BY x) FROM (SELECT batch_id, reported_at, entries FROM stats_batch_first_reports WHERE entries <> 0) x),
              'd', (SELECT json_agg(x ORDER BY x) FROM (SELECT batch_id, day, entries FROM stats_batch_notified_days WHERE entries <> 0) x)) AS s`,
        )
      ).rows[0].s;
    // a re-route (delete and re-insert) and a misroute fix (update) go through the triggers too
    await ctx.pool.query(`DELETE FROM routes WHERE list_id = $1 AND seq = 16`, [ids.list1]);
    await ctx.pool.query(
      `INSERT INTO routes (list_id, seq, member_id, state, reason) VALUES ($1, 16, NULL, 'returned', 'member_inactive')`,
      [ids.list1],
    );
    await ctx.pool.query(
      `UPDATE routes SET state = 'returned', member_id = NULL, reason = 'not_our_address' WHERE list_id = $1 AND seq = 11`,
      [ids.list1],
    );
    const kept = await snap();
    await ctx.pool.query('SELECT stats_rebuild()');
    expect(await snap()).toEqual(kept);
  });
});
