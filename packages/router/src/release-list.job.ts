import { type Payload, audit, createBatches, enqueue, withTransaction } from '@deliveryline/shared';
import type { RouterDeps } from './route-list.job';
import { dueDate } from './due-date';

/**
 * One batch per member with delivered entries, its entries fixed with opaque ids and relapse
 * marks; the due date is the campaign's `due_days` (or DEFAULT_DUE_DAYS) Japanese business days
 * after release. The list becomes `released`, then each batch is announced by e-mail and, when
 * the member has one, by webhook. Re-running it only re-announces what is not yet announced.
 */
export async function releaseList(p: Payload<'router.release-list'>, deps: RouterDeps & { now?: () => Date }): Promise<void> {
  const todo = await withTransaction(deps.pool, async (tx) => {
    const l = (await tx.query('SELECT * FROM lists WHERE id = $1 FOR UPDATE', [p.listId])).rows[0];
    if (!l) return undefined;
    if (l.state === 'routed') {
      const c = (await tx.query('SELECT due_days FROM campaigns WHERE id = $1', [l.campaign_id])).rows[0];
      const days: number = c?.due_days ?? deps.env.DEFAULT_DUE_DAYS;
      await createBatches(tx, p.listId, dueDate(deps.now?.() ?? new Date(), days), days);
      await tx.query(`UPDATE lists SET state = 'released', released_at = now(), updated_at = now() WHERE id = $1`, [p.listId]);
      await audit(tx, { actor: 'system', action: 'list.release', object: `list:${p.listId}`, details: { delivered: l.delivered, dueBusinessDays: days, approvedBy: l.approved_by } });
    } else if (l.state !== 'released' && l.state !== 'returned_sent') {
      return undefined;
    }
    const r = await tx.query(
      `SELECT b.id, b.notified_at IS NULL AS mail, (m.webhook_url IS NOT NULL AND b.webhook_sent_at IS NULL) AS hook
         FROM batches b JOIN members m ON m.id = b.member_id WHERE b.list_id = $1 ORDER BY b.id`, [p.listId]);
    return r.rows.map((x) => ({ batchId: Number(x.id), mail: x.mail as boolean, hook: x.hook as boolean }));
  });
  for (const b of todo ?? []) {
    if (b.mail) await enqueue(deps.queues, 'router.notify-batch', { batchId: b.batchId });
    if (b.hook) await enqueue(deps.queues, 'router.notify-webhook', { batchId: b.batchId });
  }
}
