import type { Pool, PoolClient } from 'pg';

/**
 * A big list's own partition of `entries` (migration 0009). Its rows are COPYed into a table with
 * no index, on a connection of its own and outside the list's transaction (the table is not part
 * of `entries` yet, so nobody reads it). Once they are all in, its indexes are built in one sorted
 * pass each, two at a time on two connections, and the list's transaction attaches the table as
 * the list's partition, so readers see the whole list or nothing. Row by row, three indexes cost
 * PostgreSQL five times what the COPY itself does (docs/ingest.md). A table left behind by a
 * failed attempt is dropped by the next one, or at once when the list fails.
 */
export const listPartition = (listId: number): string => `entries_l${Math.trunc(listId)}`;

/** The table the list's rows go into; the CHECK lets ATTACH skip its validation scan. */
export async function createListPartition(client: PoolClient, listId: number): Promise<void> {
  const t = listPartition(listId);
  await client.query(`DROP TABLE IF EXISTS ${t}`);
  await client.query(
    `CREATE TABLE ${t} (LIKE entries INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                        CONSTRAINT ${t}_list CHECK (list_id = ${Math.trunc(listId)}))`);
}

/** Builds indexes one after the other on one connection, with the memory a sort of a list needs. */
async function build(client: PoolClient, statements: string[]): Promise<void> {
  // parallel workers made each build slower on two cores; the lanes are the parallelism
  await client.query(`SET maintenance_work_mem = '128MB'; SET max_parallel_maintenance_workers = 0`);
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.query('RESET maintenance_work_mem; RESET max_parallel_maintenance_workers').catch(() => undefined);
  }
}

/**
 * Builds the indexes every partition of entries has (0009) — `(ip, observed_at)`, the slowest, on
 * `own` (the connection the rows came through) while another connection builds `(list_id, seq)`
 * and `(id)` — then attaches the table in the list's transaction (`tx`).
 */
export async function attachListPartition(pool: Pool, own: PoolClient, tx: PoolClient, listId: number): Promise<void> {
  const t = listPartition(listId);
  const other = await pool.connect();
  // both lanes run to their end before either connection is given back
  const [a, b] = await Promise.allSettled([
    build(own, [`CREATE INDEX ${t}_ip_idx ON ${t} (ip, observed_at)`]),
    build(other, [`CREATE UNIQUE INDEX ${t}_list_seq_idx ON ${t} (list_id, seq)`, `CREATE INDEX ${t}_id_idx ON ${t} (id)`]),
  ]);
  other.release(b.status === 'rejected' ? (b.reason as Error) : undefined);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
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
