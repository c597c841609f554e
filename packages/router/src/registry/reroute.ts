import { type AppContext, audit, enqueue, restartRouting, routeLabels, withTransaction } from '@deliveryline/shared';

export class RerouteRefused extends Error {
  constructor(
    public listId: number,
    public state: string | null,
  ) {
    super(
      state === null
        ? `list ${listId} does not exist`
        : `list ${listId} is ${state}; only a list not yet released can be routed again (for a released list use dline misrouted)`,
    );
  }
}

/**
 * Queues a new routing run of a list that is not released (after a registry change) and returns
 * the decisions as they were, to compare with `movedSince` once the run is done.
 */
export async function reroute(
  ctx: Pick<AppContext, 'pool' | 'queues'>,
  listId: number,
  actor = 'cli',
): Promise<{ run: number; before: Map<number, string> }> {
  const before = await routeLabels(ctx.pool, listId);
  const run = await withTransaction(ctx.pool, async (tx) => {
    const r = await restartRouting(tx, listId);
    if ('state' in r) throw new RerouteRefused(listId, r.state);
    await audit(tx, { actor, action: 'list.reroute', object: `list:${listId}`, details: { run: r.run } });
    return r.run;
  });
  await enqueue(ctx.queues, 'router.route-list', { listId, run });
  return { run, before };
}

/** How many entries moved between each pair of decisions (`ocn -> kddi`, `ocn -> returned:no_member`). */
export async function movedSince(
  ctx: Pick<AppContext, 'pool'>,
  listId: number,
  before: Map<number, string>,
): Promise<Record<string, number>> {
  const after = await routeLabels(ctx.pool, listId);
  const moved: Record<string, number> = {};
  for (const [seq, from] of before) {
    const to = after.get(seq) ?? 'none';
    if (from !== to) moved[`${from} -> ${to}`] = (moved[`${from} -> ${to}`] ?? 0) + 1;
  }
  return moved;
}
