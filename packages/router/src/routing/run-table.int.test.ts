import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { withTransaction } from '@deliveryline/shared';
import { openRunTable, runTable, runTableFigures } from './run-table';

// A run's figures come from what its chunks recorded (0014), or, for chunks stored before that
// migration, from its table: both give the same answer.
describe('the figures of a big list’s routing run', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await openTestContext();
  });
  afterAll(() => ctx.close());

  it('add up what the chunks recorded, and count the table when a chunk recorded nothing', async () => {
    const listId = 4242;
    const rows = [
      ['m1', 'delivered', null],
      ['m1', 'delivered', null],
      ['m2', 'delivered', null],
      [null, 'returned', 'no_member'],
      [null, 'returned', 'non_routable'],
      [null, 'returned', 'no_member'],
    ] as const;
    const expected = [
      { member_id: '', state: 'returned', reason: 'no_member', n: 2 },
      { member_id: '', state: 'returned', reason: 'non_routable', n: 1 },
      { member_id: 'm1', state: 'delivered', reason: '', n: 2 },
      { member_id: 'm2', state: 'delivered', reason: '', n: 1 },
    ];
    const sorted = (g: { member_id: string; state: string; reason: string }[]) =>
      [...g].sort((a, b) => `${a.member_id}|${a.state}|${a.reason}`.localeCompare(`${b.member_id}|${b.state}|${b.reason}`));
    await withTransaction(ctx.pool, async (tx) => {
      expect(await openRunTable(tx, listId, 1, rows.length, 2)).toBe(true);
      for (const [i, [m, st, rs]] of rows.entries()) {
        await tx.query(
          `INSERT INTO ${runTable(listId, 1)} (list_id, seq, entry_id, member_id, state, reason) VALUES ($1, $2, $3, $4, $5, $6)`,
          [listId, i + 1, i + 1, m, st, rs],
        );
      }
      // two chunks: seq 1–3 and 4–6, as the route chunk records them
      await tx.query(`INSERT INTO route_chunks (list_id, run, chunk, figures) VALUES ($1, 1, 0, $2), ($1, 1, 1, $3)`, [
        listId,
        JSON.stringify([
          { member_id: 'm1', state: 'delivered', reason: '', n: 2 },
          { member_id: 'm2', state: 'delivered', reason: '', n: 1 },
        ]),
        JSON.stringify([
          { member_id: '', state: 'returned', reason: 'no_member', n: 2 },
          { member_id: '', state: 'returned', reason: 'non_routable', n: 1 },
        ]),
      ]);
    });
    const recorded = await withTransaction(ctx.pool, (tx) => runTableFigures(tx, listId, 1));
    expect({ ...recorded, groups: sorted(recorded.groups) }).toEqual({ delivered: 3, returned: 3, groups: expected });

    await ctx.pool.query(`UPDATE route_chunks SET figures = NULL WHERE list_id = $1 AND chunk = 1`, [listId]);
    const counted = await withTransaction(ctx.pool, (tx) => runTableFigures(tx, listId, 1));
    expect({ ...counted, groups: sorted(counted.groups) }).toEqual({ delivered: 3, returned: 3, groups: expected });
  });
});
