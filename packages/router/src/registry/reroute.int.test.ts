import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'bullmq';
import { openTestContext, until, type TestContext } from '@deliveryline/shared/testing';
import { getList, withTransaction } from '@deliveryline/shared';
import { createBatches } from '../repositories/batch-release.repository';
import { startRouterWorker } from '../worker';
import { importMembers } from './member-import';
import { importPrefixes } from './prefix-import';
import { movedSince, reroute } from './reroute';
import { listMisrouted, resolveMisrouted } from './misrouted';

// Both ways a run stores its decisions: through routes (small lists, later runs) and, for a list
// bigger than ROUTE_OWN_TABLE_ABOVE, the first run's own table attached when the run finishes.
describe.each([
  ['decisions written through routes', {}],
  ['the first run in a table of its own', { ROUTE_OWN_TABLE_ABOVE: '2' }],
] as [string, Record<string, string>][])('%s', (_name, env) => {
  let ctx: TestContext;
  let workers: Worker[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reroute-'));
  const csv = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  // entries: seq → ip, all observed 2025-06-01 12:00 JST
  const ENTRIES = ['153.129.0.1', '153.139.0.2', '153.139.0.3', '126.0.0.9', '2400:4050::5', '10.1.1.1'];
  let listId: number;

  const routed = () =>
    until('routing', async () => {
      const l = await getList(ctx.pool, listId);
      return l?.state === 'awaiting_approval' ? l : undefined;
    });
  const labels = async () =>
    (
      await ctx.pool.query(`SELECT COALESCE(member_id, 'returned:' || reason) AS l FROM routes WHERE list_id = $1 ORDER BY seq`, [listId])
    ).rows.map((r) => r.l);
  /** the tables that hold the list's decisions, and no run table left over */
  const partitions = async () =>
    (
      await ctx.pool.query(
        `SELECT DISTINCT tableoid::regclass::text AS t FROM routes WHERE list_id = $1
     UNION ALL SELECT relname::text FROM pg_class WHERE relname LIKE 'routes\\_l%\\_r%' ORDER BY 1`,
        [listId],
      )
    ).rows.map((r) => r.t);
  /** stats_list_routes says what routes holds */
  const summaryMatches = async () =>
    (
      await ctx.pool.query(
        `SELECT NOT EXISTS (
       (SELECT member_id, state, reason, entries FROM stats_list_routes WHERE list_id = $1 AND entries <> 0
        EXCEPT SELECT coalesce(member_id, ''), state, coalesce(reason, ''), count(*) FROM routes WHERE list_id = $1 GROUP BY 1, 2, 3)
       UNION ALL
       (SELECT coalesce(member_id, ''), state, coalesce(reason, ''), count(*) FROM routes WHERE list_id = $1 GROUP BY 1, 2, 3
        EXCEPT SELECT member_id, state, reason, entries FROM stats_list_routes WHERE list_id = $1 AND entries <> 0)) AS ok`,
        [listId],
      )
    ).rows[0].ok;
  /** decisions that carry their entry's id (0012) */
  const entryIdsRight = async () =>
    (
      await ctx.pool.query(
        `SELECT count(*)::int AS n FROM routes r JOIN entries e ON e.list_id = r.list_id AND e.seq = r.seq AND e.id = r.entry_id
      WHERE r.list_id = $1`,
        [listId],
      )
    ).rows[0].n;
  const counters = async () => (await ctx.pool.query('SELECT received, delivered, returned FROM lists WHERE id = $1', [listId])).rows[0];

  beforeAll(async () => {
    ctx = await openTestContext(env);
    await importMembers(
      ctx.pool,
      csv('m.csv', 'member_id,name,contact_email\nocn,OCN,a@ocn.example\nkddi,KDDI,a@kddi.example\nsbb,SoftBank,a@sbb.example\n'),
    );
    await importPrefixes(
      ctx.pool,
      csv('p.csv', 'member_id,cidr,valid_from,valid_to\nocn,153.128.0.0/9,,\nocn,2400:4050::/30,,\nsbb,126.0.0.0/8,,\n'),
    );
    listId = await withTransaction(ctx.pool, async (tx) => {
      await tx.query(`INSERT INTO sources (id, name) VALUES ('jpcert', 'JPCERT/CC')`);
      await tx.query(`INSERT INTO campaigns (id, name, approval_required) VALUES ('goz', 'GOZ', true)`);
      await tx.query(`INSERT INTO files (sha256, size, chunks) VALUES ('\\x00', 0, 0)`);
      const id = Number(
        (
          await tx.query(
            `INSERT INTO lists (campaign_id, source_id, file_sha256, file_name, tlp, state, received)
         VALUES ('goz', 'jpcert', '\\x00', 'list.csv', 'amber', 'parsed', $1) RETURNING id`,
            [ENTRIES.length],
          )
        ).rows[0].id,
      );
      for (const [i, ip] of ENTRIES.entries()) {
        await tx.query(`INSERT INTO entries (list_id, seq, row_no, ip, observed_at) VALUES ($1, $2, $2, $3, '2025-06-01T12:00:00+09:00')`, [
          id,
          i + 1,
          ip,
        ]);
      }
      return id;
    });
    workers = startRouterWorker(ctx, { reminderEveryMs: 0 });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('re-routes a list that is not released after a registry change and reports what moved', async () => {
    await reroute(ctx, listId);
    await routed();
    expect(await labels()).toEqual(['ocn', 'ocn', 'ocn', 'sbb', 'ocn', 'returned:non_routable']);
    expect(await partitions()).toEqual(env.ROUTE_OWN_TABLE_ABOVE ? [`routes_l${listId}`] : ['routes_shared']);
    expect(await summaryMatches()).toBe(true);
    expect(await entryIdsRight()).toBe(6);

    // KDDI took 153.139/16 from 2025-01-01 (a more specific prefix), and OCN's IPv6 block ended 2025-05-01
    await importPrefixes(
      ctx.pool,
      csv('p2.csv', 'member_id,cidr,valid_from,valid_to\nkddi,153.139.0.0/16,2025-01-01,\nocn,2400:4050::/30,,2025-05-01\n'),
    );
    const { before } = await reroute(ctx, listId);
    await until(
      'the new run',
      async () =>
        ((await getList(ctx.pool, listId))?.route_run === 2 && (await getList(ctx.pool, listId))?.state === 'awaiting_approval') ||
        undefined,
    );
    expect(await labels()).toEqual(['ocn', 'kddi', 'kddi', 'sbb', 'returned:no_member', 'returned:non_routable']);
    expect(await movedSince(ctx, listId, before)).toEqual({ 'ocn -> kddi': 2, 'ocn -> returned:no_member': 1 });
    expect(await counters()).toEqual({ received: 6, delivered: 4, returned: 2 });
    // the second run replaced the decisions where they were, and left no table of its own
    expect(await partitions()).toEqual(env.ROUTE_OWN_TABLE_ABOVE ? [`routes_l${listId}`] : ['routes_shared']);
    expect(await summaryMatches()).toBe(true);
  });

  it('refuses to re-route a released list', async () => {
    await withTransaction(ctx.pool, async (tx) => {
      await createBatches(tx, listId, new Date('2025-07-01T00:00:00Z'), 5);
      await tx.query(`UPDATE lists SET state = 'released', released_at = now() WHERE id = $1`, [listId]);
    });
    await expect(reroute(ctx, listId)).rejects.toThrow(/is released; only a list not yet released/);
  });

  it('brings not_our_address entries back, re-routes them after a registry fix, or returns them, keeping counters exact', async () => {
    // the workers would announce the new batch; here the queue only has to receive the job
    await Promise.all(workers.map((w) => w.close()));
    workers = [];
    const entry = async (seq: number) =>
      (await ctx.pool.query('SELECT id FROM entries WHERE list_id = $1 AND seq = $2', [listId, seq])).rows[0].id;
    const batch = async (member: string) =>
      (await ctx.pool.query('SELECT id FROM batches WHERE list_id = $1 AND member_id = $2', [listId, member])).rows[0]?.id;
    for (const seq of [1, 4]) {
      const member = seq === 1 ? 'ocn' : 'sbb';
      await ctx.pool.query(
        `INSERT INTO outcomes (entry_id, batch_id, member_id, outcome, reported_by) VALUES ($1, $2, $3, 'not_our_address', 'test')`,
        [await entry(seq), await batch(member), member],
      );
    }
    const listed = await listMisrouted(ctx, listId);
    expect(listed.map((m) => [m.seq, m.member_id, m.now])).toEqual([
      [1, 'ocn', { state: 'delivered', memberId: 'ocn' }],
      [4, 'sbb', { state: 'delivered', memberId: 'sbb' }],
    ]);

    // the registry is fixed for 153.128.0.0/24 only: entry 1 moves to KDDI, entry 4 stays listed
    await importPrefixes(ctx.pool, csv('p3.csv', 'member_id,cidr,valid_from,valid_to\nkddi,153.129.0.0/24,2025-01-01,\n'));
    const moved = await resolveMisrouted(ctx, 'reroute', listId);
    expect(moved.moved).toEqual([{ entry_id: Number(await entry(1)), from: 'ocn', to: 'kddi' }]);
    expect((await listMisrouted(ctx, listId)).map((m) => m.seq)).toEqual([4]);
    const kddiEntries = (
      await ctx.pool.query(
        `SELECT be.seq FROM batch_entries be JOIN batches b ON b.id = be.batch_id WHERE b.list_id = $1 AND b.member_id = 'kddi' ORDER BY be.seq`,
        [listId],
      )
    ).rows.map((r) => r.seq);
    expect(kddiEntries).toEqual([1, 2, 3]);
    expect(await counters()).toEqual({ received: 6, delivered: 4, returned: 2 });

    const returned = await resolveMisrouted(ctx, 'return', listId);
    expect(returned.returned).toBe(1);
    expect(await labels()).toEqual(['kddi', 'kddi', 'kddi', 'returned:not_our_address', 'returned:no_member', 'returned:non_routable']);
    expect(await counters()).toEqual({ received: 6, delivered: 3, returned: 3 });
    expect(await listMisrouted(ctx, listId)).toEqual([]);
  });
});
