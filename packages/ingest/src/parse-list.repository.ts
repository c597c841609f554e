import type { PoolClient } from 'pg';
import type { ListRow, Queryable } from '@deliveryline/shared';
import type { ListCounts } from './parse-list.job';

export async function listSource(db: Queryable, sourceId: string): Promise<{ default_timezone: string | null; default_profile: string | null }> {
  const r = await db.query('SELECT default_timezone, default_profile FROM sources WHERE id = $1', [sourceId]);
  return r.rows[0] ?? { default_timezone: null, default_profile: null };
}

/**
 * Marks the list's entries that repeat one of an earlier list of the same campaign. `table` is
 * where the list's rows are: `entries`, or a big list's own table before it is attached (then on
 * that table's own connection, before its indexes are built: list-partition.ts).
 */
export async function markRepeats(client: PoolClient, list: ListRow, table = 'entries'): Promise<void> {
  const earlier = await client.query(
    `SELECT 1 FROM lists WHERE campaign_id = $1 AND id < $2 AND state <> 'failed' LIMIT 1`, [list.campaign_id, list.id]);
  if (earlier.rowCount) {
    await client.query(
      `UPDATE ${table} e SET repeat_of = m.first_id
         FROM (SELECT DISTINCT ON (n.id) n.id, p.id AS first_id
                 FROM ${table} n
                 JOIN entries p ON p.ip = n.ip AND p.observed_at = n.observed_at
                               AND p.port IS NOT DISTINCT FROM n.port AND p.list_id < n.list_id
                 JOIN lists pl ON pl.id = p.list_id AND pl.campaign_id = $2 AND pl.state <> 'failed'
                WHERE n.list_id = $1
                ORDER BY n.id, p.id) m
        WHERE e.list_id = $1 AND e.id = m.id`,
      [list.id, list.campaign_id]);
  }
}

/** Moves the list to `parsed` with its counters. */
export async function finishParsedList(client: PoolClient, list: ListRow, c: ListCounts, header: string[], readAs: string): Promise<void> {
  const done = await client.query(
    `UPDATE lists SET state = 'parsed', rows_read = $2, rejected = $3, duplicates = $4, received = $5,
            columns = $6, read_as = $7, parsed_at = now(), route_run = 1, updated_at = now()
      WHERE id = $1 AND state = 'parsing'`,
    [list.id, c.rowsRead, c.rejected, c.duplicates, c.received, header, readAs]);
  if (done.rowCount !== 1) throw new Error(`list ${list.id} left the parsing state while it was parsed`);
}
