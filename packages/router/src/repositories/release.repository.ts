import type { Queryable } from '@deliveryline/shared';

/** The SQL of a list's release around `createBatches`: its state, its due days, what to announce, the released state. */

export async function listState(db: Queryable, listId: number): Promise<string | undefined> {
  return (await db.query('SELECT state FROM lists WHERE id = $1', [listId])).rows[0]?.state;
}

/** The list's campaign's due days (null: the campaign does not say). */
export async function campaignDueDays(db: Queryable, listId: number): Promise<number | null> {
  const r = await db.query('SELECT c.due_days FROM lists l JOIN campaigns c ON c.id = l.campaign_id WHERE l.id = $1', [listId]);
  return r.rows[0]?.due_days ?? null;
}

/** Holds the list for the release's transaction; true while it is still routed. */
export async function holdRoutedList(tx: Queryable, listId: number): Promise<boolean> {
  return (await tx.query('SELECT state FROM lists WHERE id = $1 FOR UPDATE', [listId])).rows[0]?.state === 'routed';
}

/** The list's batches with what each still needs: its e-mail, its webhook. */
export async function batchesToAnnounce(db: Queryable, listId: number): Promise<{ id: string; mail: boolean; hook: boolean }[]> {
  const r = await db.query(
    `SELECT b.id, b.notified_at IS NULL AS mail, (m.webhook_url IS NOT NULL AND b.webhook_sent_at IS NULL) AS hook
       FROM batches b JOIN members m ON m.id = b.member_id WHERE b.list_id = $1 ORDER BY b.id`,
    [listId],
  );
  return r.rows;
}

/** Moves a routed list to `released`; its delivered count and approver, or undefined when it was not routed. */
export async function markReleased(tx: Queryable, listId: number): Promise<{ delivered: number; approved_by: string | null } | undefined> {
  const r = await tx.query(
    `UPDATE lists SET state = 'released', released_at = now(), updated_at = now() WHERE id = $1 AND state = 'routed' RETURNING delivered, approved_by`,
    [listId],
  );
  return r.rows[0];
}

/** The business days the list's batches were given (null: it has none). */
export async function releaseDueBusinessDays(db: Queryable, listId: number): Promise<number | null> {
  return (await db.query('SELECT due_business_days FROM batches WHERE list_id = $1 LIMIT 1', [listId])).rows[0]?.due_business_days ?? null;
}
