import {
  lockList,
  type AppContext,
  audit,
  enqueue,
  listDueDays,
  misroutedEntries,
  moveRoute,
  returnMisrouted,
  unannouncedBatches,
  withTransaction,
  type MisroutedEntry,
} from '@deliveryline/shared';
import { createBatches } from '../repositories/batch-release.repository';
import { dueDate } from '../delivery/due-date';
import { buildMatcher, type RouteDecision } from './matcher';

/**
 * Entries an ISP reported `not_our_address` come back to the coordinator. After fixing the
 * registry the coordinator re-routes them (those the registry now gives to another member move
 * there, in a batch of that member that is announced) or returns them with `not_our_address`.
 */
export interface MisroutedView extends MisroutedEntry {
  /** what the registry says now */
  now: RouteDecision;
}

export async function listMisrouted(ctx: Pick<AppContext, 'pool'>, listId: number | null): Promise<MisroutedView[]> {
  const matcher = await buildMatcher(ctx.pool);
  const rows = await misroutedEntries(ctx.pool, listId);
  return rows.map((r) => ({ ...r, now: matcher.route(r.ip, new Date(r.observed_at).getTime()) }));
}

export interface MisroutedResult {
  moved: { entry_id: number; from: string; to: string }[];
  returned: number;
  unchanged: number[];
}

/**
 * `reroute`: moves the entries the registry now routes to another member (others stay listed);
 * `return`: returns them all with reason `not_our_address`. One audit event per list.
 */
export async function resolveMisrouted(
  ctx: Pick<AppContext, 'pool' | 'queues' | 'env'>,
  action: 'reroute' | 'return',
  listId: number | null,
  actor = 'cli',
): Promise<MisroutedResult> {
  const views = await listMisrouted(ctx, listId);
  const result: MisroutedResult = { moved: [], returned: 0, unchanged: [] };
  const byList = new Map<number, MisroutedView[]>();
  for (const v of views) byList.set(v.list_id, [...(byList.get(v.list_id) ?? []), v]);
  for (const [list, items] of byList) {
    const announce = await withTransaction(ctx.pool, async (tx) => {
      await lockList(tx, list);
      if (action === 'return') {
        const n = await returnMisrouted(
          tx,
          list,
          items.map((v) => v.seq),
        );
        result.returned += n;
        await audit(tx, {
          actor,
          action: 'route.return_misrouted',
          object: `list:${list}`,
          details: { entries: items.map((v) => v.entry_id), returned: n },
        });
        return [];
      }
      const moved: MisroutedResult['moved'] = [];
      for (const v of items) {
        if (
          v.now.state === 'delivered' &&
          v.now.memberId !== v.member_id &&
          (await moveRoute(tx, list, v.seq, v.member_id, v.now.memberId))
        ) {
          moved.push({ entry_id: v.entry_id, from: v.member_id, to: v.now.memberId });
        } else result.unchanged.push(v.entry_id);
      }
      if (!moved.length) return [];
      result.moved.push(...moved);
      const days = (await listDueDays(tx, list)) ?? ctx.env.DEFAULT_DUE_DAYS;
      // the new holder gets a batch (or the entry joins its batch of this list)
      await createBatches(tx, list, dueDate(new Date(), days), days);
      await audit(tx, { actor, action: 'route.reroute_misrouted', object: `list:${list}`, details: { moved } });
      return unannouncedBatches(tx, list);
    });
    for (const batchId of announce) await enqueue(ctx.queues, 'router.notify-batch', { batchId });
  }
  return result;
}
