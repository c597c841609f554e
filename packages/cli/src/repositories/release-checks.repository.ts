import type { Queryable } from '@deliveryline/shared';

/** What the fault suite checks of a released list: its rows, routes, batches and sends, counted in the database. */
export interface ReleaseFacts {
  entries: number;
  routes: number;
  /** routes that went to a member */
  delivered: number;
  /** the entries the list's batches say they hold */
  in_batches: number;
  batches: number;
  /** batches whose count is not the number of the member's delivered routes */
  wrong_batches: number;
  /** batches without exactly one recorded send */
  batches_not_mailed_once: number;
}

export async function releaseFacts(db: Queryable, listId: number): Promise<ReleaseFacts> {
  return (
    await db.query(
      `SELECT (SELECT count(*)::int FROM entries WHERE list_id = $1) AS entries,
            (SELECT count(*)::int FROM routes WHERE list_id = $1) AS routes,
            (SELECT count(*)::int FROM routes WHERE list_id = $1 AND state = 'delivered') AS delivered,
            (SELECT coalesce(sum(entries), 0)::int FROM batches WHERE list_id = $1) AS in_batches,
            (SELECT count(*)::int FROM batches WHERE list_id = $1) AS batches,
            (SELECT count(*)::int FROM batches b WHERE list_id = $1 AND entries <> (SELECT count(*) FROM routes r WHERE r.list_id = b.list_id AND r.member_id = b.member_id AND r.state = 'delivered')) AS wrong_batches,
            (SELECT count(*)::int FROM batches b WHERE list_id = $1 AND (SELECT count(*) FROM deliveries d WHERE d.batch_id = b.id AND d.status = 'sent') <> 1) AS batches_not_mailed_once`,
      [listId],
    )
  ).rows[0];
}

/** A list's state, its failure and how many of its batches are not announced yet (undefined: no such list). */
export async function releaseProgress(
  db: Queryable,
  listId: number,
): Promise<{ state: string; failure: string | null; unannounced: number } | undefined> {
  return (
    await db.query(
      `SELECT l.state, l.failure, (SELECT count(*)::int FROM batches b WHERE b.list_id = l.id AND b.notified_at IS NULL) AS unannounced
         FROM lists l WHERE l.id = $1`,
      [listId],
    )
  ).rows[0];
}
