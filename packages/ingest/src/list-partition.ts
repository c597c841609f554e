import type { PoolClient } from 'pg';

/**
 * A big list's own partition of `entries` (migration 0009). Its rows are COPYed into a table with
 * no index; once they are all in, each index is built in one sorted pass and the table is attached
 * as the list's partition, all in the transaction that stores the list, so readers see the whole
 * list or nothing. Row by row, three indexes cost PostgreSQL five times what the COPY itself
 * does (docs/ingest.md).
 */
export const listPartition = (listId: number): string => `entries_l${Math.trunc(listId)}`;

/** The table the list's rows go into; the CHECK lets ATTACH skip its validation scan. */
export async function createListPartition(client: PoolClient, listId: number): Promise<string> {
  const t = listPartition(listId);
  await client.query(`DROP TABLE IF EXISTS ${t}`);
  await client.query(
    `CREATE TABLE ${t} (LIKE entries INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                        CONSTRAINT ${t}_list CHECK (list_id = ${Math.trunc(listId)}))`);
  return t;
}

/** Builds the indexes every partition of entries has (0009) and attaches the table. */
export async function attachListPartition(client: PoolClient, listId: number): Promise<void> {
  const t = listPartition(listId);
  await client.query(`SET LOCAL maintenance_work_mem = '128MB'`);
  await client.query(`CREATE UNIQUE INDEX ${t}_list_seq_idx ON ${t} (list_id, seq)`);
  await client.query(`CREATE INDEX ${t}_id_idx ON ${t} (id)`);
  await client.query(`CREATE INDEX ${t}_ip_idx ON ${t} (ip, observed_at)`);
  await client.query(`ALTER TABLE entries ATTACH PARTITION ${t} FOR VALUES IN (${Math.trunc(listId)})`);
}
