import { rate, sumCounts, type AppContext } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import { withScope } from '../repositories/scope';
import { scopedBatch, scopedBatchFigures, type BatchView } from '../repositories/batches.repository';
import { scopedListTotals } from '../repositories/lists.repository';
import { notFound } from '../web/errors';

/** A caller's batch (404 when it is not theirs) and a caller's figures; the API and the pages both call these. */
export async function batchOr404(ctx: AppContext, caller: Caller, batchId: number): Promise<BatchView> {
  const b = await withScope(ctx.pool, caller, (db) => scopedBatch(db, caller, batchId));
  if (!b) throw notFound();
  return b;
}

/** What each role's figures are: a member's own batches, a source's own lists, everyone's for coordinators and viewers. */
export async function figuresFor(ctx: AppContext, caller: Caller) {
  return withScope(ctx.pool, caller, async (db) => {
    // summed in SQL: a coordinator's figures over every list, without reading the lists one by one
    const { lists: count, ...counts } = caller.role === 'member' ? { lists: 0, ...sumCounts([]) } : await scopedListTotals(db, caller);
    const batches = caller.role === 'coordinator' || caller.role === 'member' ? await scopedBatchFigures(db, caller) : null;
    return {
      lists: caller.role === 'member' ? null : { count, ...counts, handlingRate: rate(counts.delivered, counts.received) },
      batches: batches && { ...batches, notifiedRate: rate(batches.notified, batches.entries) },
    };
  });
}
