import type { PoolClient } from 'pg';
import { withPlanner, type ListRow, type Queryable } from '@deliveryline/shared';

/** A parsed list's counters: every row read is exactly one of rejected, duplicate or received. */
export interface ListCounts {
  rowsRead: number;
  rejected: number;
  duplicates: number;
  received: number;
}

export async function listSource(
  db: Queryable,
  sourceId: string,
): Promise<{ default_timezone: string | null; default_profile: string | null }> {
  const r = await db.query('SELECT default_timezone, default_profile FROM sources WHERE id = $1', [sourceId]);
  return r.rows[0] ?? { default_timezone: null, default_profile: null };
}

/**
 * Marks the list's entries that repeat one of an earlier list of the same campaign. `table` is
 * where the list's rows are: `entries`, or a big list's own table before it is attached (then on
 * that table's own connection, before its indexes are built: list-partition.ts).
 *
 * Each of the list's entries probes the earlier lists' `(ip, observed_at)` index once (a
 * correlated subquery, so the plan cannot turn on the row estimate of a table just written and
 * not yet analysed: a join had been planned as a nested loop over the new rows, and a 50,000-row
 * list took minutes once a campaign had repeats). The earlier lists are named by id, so only
 * their partitions are searched. Rows are written only where a repeat is found.
 */
export async function markRepeats(client: PoolClient, list: ListRow, table = 'entries'): Promise<void> {
  const earlier = (
    await client.query(`SELECT id FROM lists WHERE campaign_id = $1 AND id < $2 AND state <> 'failed' ORDER BY id`, [
      list.campaign_id,
      list.id,
    ])
  ).rows.map((r) => Number(r.id));
  if (!earlier.length) return;
  // ids are integers from the database: written into the statement, so partitions are pruned when it is planned
  const ids = `'{${earlier.join(',')}}'::bigint[]`;
  const first = (n: string) =>
    `SELECT p.id FROM entries p
      WHERE p.ip = ${n}.ip AND p.observed_at = ${n}.observed_at AND p.port IS NOT DISTINCT FROM ${n}.port AND p.list_id = ANY(${ids})
      ORDER BY p.id LIMIT 1`;
  await withPlanner(client, { enable_bitmapscan: 'off' }, () =>
    client.query(
      `UPDATE ${table} e SET repeat_of = (${first('e')})
      WHERE e.list_id = $1 AND EXISTS (${first('e')})`,
      [list.id],
    ),
  );
}

/** Moves the list to `parsed` with its counters. */
export async function finishParsedList(client: PoolClient, list: ListRow, c: ListCounts, header: string[], readAs: string): Promise<void> {
  const done = await client.query(
    `UPDATE lists SET state = 'parsed', rows_read = $2, rejected = $3, duplicates = $4, received = $5,
            columns = $6, read_as = $7, parsed_at = now(), route_run = 1, updated_at = now()
      WHERE id = $1 AND state = 'parsing'`,
    [list.id, c.rowsRead, c.rejected, c.duplicates, c.received, header, readAs],
  );
  if (done.rowCount !== 1) throw new Error(`list ${list.id} left the parsing state while it was parsed`);
}

/** Clears what an earlier attempt of the list stored, in the attempt's transaction. */
export async function clearAttempt(tx: Queryable, listId: number): Promise<void> {
  await tx.query('DELETE FROM entries WHERE list_id = $1', [listId]);
  await tx.query('DELETE FROM rejects WHERE list_id = $1', [listId]);
}
