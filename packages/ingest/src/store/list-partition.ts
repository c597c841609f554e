import type { Pool, PoolClient } from 'pg';
import { buildIndexesInLanes, createOwnTable } from '@deliveryline/shared';

/**
 * A big list's own partition of `entries` (migration 0009). Its rows are COPYed into a table with
 * no index, on a connection of its own and outside the list's transaction (the table is not part
 * of `entries` yet, so nobody reads it). Once they are all in, its indexes are built in one sorted
 * pass each, two at a time on two connections, and the list's transaction attaches the table as
 * the list's partition, so readers see the whole list or nothing. Row by row, three indexes cost
 * PostgreSQL five times what the COPY itself does (docs/ingest.md). A table left behind by a
 * failed attempt is dropped by the next one, or at once when the list fails.
 *
 * Its DDL stays here in store/, beside the ListWriter that alone runs it, rather than in
 * repositories/: when the table is made, on which connection, how its indexes are built and when
 * it is attached or dropped is the writer's lifecycle, not a query over the list's data, and
 * split across two folders neither half would read whole. The statements that read or change
 * lists, entries and rejects are in repositories/.
 */
export const listPartition = (listId: number): string => `entries_l${Math.trunc(listId)}`;

/** The table the list's rows go into; the CHECK lets ATTACH skip its validation scan. */
export async function createListPartition(client: PoolClient, listId: number): Promise<void> {
  const t = listPartition(listId);
  await client.query(`DROP TABLE IF EXISTS ${t}`);
  await createOwnTable(client, 'entries', t, listId);
}

/**
 * Builds the indexes every partition of entries has (0009) — `(ip, observed_at)`, the slowest, on
 * `own` (the connection the rows came through) while another connection builds `(list_id, seq)`
 * and `(id)` — then attaches the table in the list's transaction (`tx`).
 */
export async function attachListPartition(pool: Pool, own: PoolClient, tx: PoolClient, listId: number): Promise<void> {
  const t = listPartition(listId);
  await buildIndexesInLanes(
    pool,
    [
      [`CREATE INDEX ${t}_ip_idx ON ${t} (ip, observed_at)`],
      [`CREATE UNIQUE INDEX ${t}_list_seq_idx ON ${t} (list_id, seq)`, `CREATE INDEX ${t}_id_idx ON ${t} (id)`],
    ],
    own,
  );
  await tx.query(`ALTER TABLE entries ATTACH PARTITION ${t} FOR VALUES IN (${Math.trunc(listId)})`);
}

/** Drops the table of a list whose attempt failed (best effort: the next attempt drops it too). */
export async function dropListPartition(pool: Pool, listId: number): Promise<void> {
  const c = await pool.connect().catch(() => null);
  if (!c) return;
  try {
    await c.query(`BEGIN; SET LOCAL lock_timeout = '10s'; DROP TABLE IF EXISTS ${listPartition(listId)}; COMMIT`);
    c.release();
  } catch (err) {
    c.release(err as Error); // never hand a connection in a failed transaction to the next user
  }
}
