import type { Queryable } from '@deliveryline/shared';

/** The SQL of a batch's notices: e-mail and webhook sent or failed, stopped, reminders. */

export async function markNotifyFailed(db: Queryable, batchId: number): Promise<void> {
  await db.query(`UPDATE batches SET notify_failed_at = now() WHERE id = $1`, [batchId]);
}

/** Whether a coordinator stopped this notice's retries (dline batches stop-notice). */
export async function noticeStopped(db: Queryable, batchId: number): Promise<boolean> {
  return Boolean((await db.query('SELECT notify_stopped_at FROM batches WHERE id = $1', [batchId])).rows[0]?.notify_stopped_at);
}

export async function markNotified(tx: Queryable, batchId: number): Promise<void> {
  await tx.query(
    `UPDATE batches SET notified_at = now(), notify_failed_at = NULL, state = CASE WHEN state = 'ready' THEN 'notified' ELSE state END WHERE id = $1`,
    [batchId],
  );
}

export async function markWebhookSent(tx: Queryable, batchId: number): Promise<void> {
  await tx.query(`UPDATE batches SET webhook_sent_at = now() WHERE id = $1`, [batchId]);
}

export interface OpenBatch {
  id: string;
  state: string;
  notified_at: Date;
  first_downloaded_at: Date | null;
  due_at: Date | null;
  last_reminded_at: Date | null;
  /** entries without an outcome yet */
  open: number;
}

/** Announced batches not closed, with their entries still without an outcome (what reminders look at). */
export async function openBatches(db: Queryable): Promise<OpenBatch[]> {
  const r = await db.query(
    `SELECT b.id, b.state, b.notified_at, b.first_downloaded_at, b.due_at, b.last_reminded_at,
            b.entries - (SELECT count(DISTINCT o.entry_id)::int FROM outcomes o WHERE o.batch_id = b.id) AS open
       FROM batches b WHERE b.state <> 'closed' AND b.notified_at IS NOT NULL`,
  );
  return r.rows;
}

export async function markReminded(tx: Queryable, batchId: number, at: Date): Promise<void> {
  await tx.query(`UPDATE batches SET last_reminded_at = $2, reminders = reminders + 1 WHERE id = $1`, [batchId, at]);
}
