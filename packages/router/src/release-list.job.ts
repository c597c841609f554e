import { type Payload, enqueue, withTransaction } from '@deliveryline/shared';
import type { RouterDeps } from './route-list.job';
import { dueDate } from './due-date';

/** One batch per member with delivered entries; the list becomes `released`; each batch is announced. */
export async function releaseList(p: Payload<'router.release-list'>, deps: RouterDeps & { now?: () => Date }): Promise<void> {
  const batchIds = await withTransaction(deps.pool, async (tx) => {
    const l = (await tx.query('SELECT * FROM lists WHERE id = $1 FOR UPDATE', [p.listId])).rows[0];
    if (!l) return [];
    if (l.state === 'routed') {
      const c = (await tx.query('SELECT due_days FROM campaigns WHERE id = $1', [l.campaign_id])).rows[0];
      const due = dueDate(deps.now?.() ?? new Date(), c?.due_days ?? deps.env.DEFAULT_DUE_DAYS);
      await tx.query(
        `INSERT INTO batches (list_id, member_id, entries, due_at)
         SELECT $1, member_id, count(*), $2 FROM routes WHERE list_id = $1 AND state = 'delivered' GROUP BY member_id
         ON CONFLICT (list_id, member_id) DO NOTHING`,
        [p.listId, due]);
      await tx.query(`UPDATE lists SET state = 'released', released_at = now(), updated_at = now() WHERE id = $1`, [p.listId]);
    } else if (l.state !== 'released' && l.state !== 'returned_sent') {
      return [];
    }
    return (await tx.query(`SELECT id FROM batches WHERE list_id = $1 AND notified_at IS NULL ORDER BY id`, [p.listId])).rows.map((r) => Number(r.id));
  });
  for (const batchId of batchIds) await enqueue(deps.queues, 'router.notify-batch', { batchId });
}
