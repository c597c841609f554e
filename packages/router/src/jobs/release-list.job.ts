import { type Payload, audit, enqueue, withTransaction } from '@deliveryline/shared';
import { createBatches } from '../repositories/batch-release.repository';
import type { RouterDeps } from '../deps';
import {
  batchesToAnnounce,
  campaignDueDays,
  holdRoutedList,
  listState,
  markReleased,
  releaseDueBusinessDays,
} from '../repositories/release.repository';
import { dueDate } from '../delivery/due-date';

/**
 * One batch per member with delivered entries, its entries fixed with opaque ids and relapse
 * marks; the due date is the campaign's `due_days` (or DEFAULT_DUE_DAYS) Japanese business days
 * after release. Each batch is then announced by e-mail and, when the member has one, by webhook,
 * and only after those jobs are queued does the list become `released`: whoever sees `released`
 * knows every announcement is on its way. Re-running it (a crash between the steps, a duplicate
 * job) makes no second batch and re-announces only what is not yet announced.
 */
export async function releaseList(p: Payload<'router.release-list'>, deps: RouterDeps & { now?: () => Date }): Promise<void> {
  const { pool } = deps;
  const t0 = Date.now();
  const state = await listState(pool, p.listId);
  if (state !== 'routed' && state !== 'released' && state !== 'returned_sent') return;
  if (state === 'routed') {
    const days: number = (await campaignDueDays(pool, p.listId)) ?? deps.env.DEFAULT_DUE_DAYS;
    // Given the pool, a big first release prepares its entries on two connections before its
    // transaction; the guard, first in that transaction, holds the list and checks it is still routed.
    await createBatches(pool, p.listId, dueDate(deps.now?.() ?? new Date(), days), days, {
      ownPartitionAbove: deps.env.RELEASE_OWN_TABLE_ABOVE,
      guard: (tx) => holdRoutedList(tx, p.listId),
    });
  }
  const tBatches = Date.now();
  const todo = await batchesToAnnounce(pool, p.listId);
  // all at once: each is a Redis round trip, and a big list has hundreds of batches
  await Promise.all(
    todo.flatMap((b) => [
      ...(b.mail ? [enqueue(deps.queues, 'router.notify-batch', { batchId: Number(b.id) })] : []),
      ...(b.hook ? [enqueue(deps.queues, 'router.notify-webhook', { batchId: Number(b.id) })] : []),
    ]),
  );
  const tAnnounced = Date.now();
  await withTransaction(pool, async (tx) => {
    const l = await markReleased(tx, p.listId);
    if (!l) return;
    const days = await releaseDueBusinessDays(tx, p.listId);
    await audit(tx, {
      actor: 'system',
      action: 'list.release',
      object: `list:${p.listId}`,
      details: { delivered: l.delivered, dueBusinessDays: days, approvedBy: l.approved_by },
    });
  });
  deps.log.info(
    {
      listId: p.listId,
      batches: todo.length,
      ms: { batches: tBatches - t0, announce: tAnnounced - tBatches, released: Date.now() - tAnnounced },
    },
    'list released',
  );
}
