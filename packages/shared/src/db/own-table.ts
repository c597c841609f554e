import type { Pool, PoolClient } from 'pg';
import type { Queryable } from './pool';

/**
 * The one big-list policy of the three tables partitioned by list (entries 0009, batch_entries
 * 0010, routes 0011): a list with more than BIG_LIST_ENTRIES rows for a table gets a table of its
 * own for them, filled with no index, indexed in bulk and attached as the list's partition; a
 * smaller list's rows go into the shared default partition row by row. Ingest applies it when its
 * first sorted window fills (INGEST_SORT_WINDOW, by default this size), routing to the entries a
 * run decides on (ROUTE_OWN_TABLE_ABOVE), the release to the delivered entries
 * (RELEASE_OWN_TABLE_ABOVE); each setting defaults to this size and exists so tests can put
 * lists on either side of it.
 */
export const BIG_LIST_ENTRIES = 100_000;

/** Whether `rows` of a list are written into a table of the list's own (`above`: the stage's setting). */
export const ownTableFor = (rows: number, above: number = BIG_LIST_ENTRIES): boolean => rows > above;

/**
 * A big list's own table of a table partitioned by list (entries 0009, batch_entries 0010, routes
 * 0011): filled with no index, indexed in one sorted pass per index, then attached as the list's
 * partition. Its CHECK on the list lets ATTACH skip the scan that would prove it.
 */
export async function createOwnTable(
  db: Queryable,
  parent: string,
  table: string,
  listId: number,
  checkName = `${table}_list`,
): Promise<void> {
  await db.query(
    `CREATE TABLE ${table} (LIKE ${parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                            CONSTRAINT ${checkName} CHECK (list_id = ${Math.trunc(listId)}))`,
  );
}

/**
 * Runs lanes side by side, one connection per lane; the first lane runs on `own` when given (the
 * caller's connection), the others on connections of the pool. Every lane runs to its end before
 * the first error is thrown, and a pool connection whose lane failed is closed, never handed to
 * the next user in an unknown state.
 */
export async function inLanes(pool: Pool, lanes: ((c: PoolClient) => Promise<void>)[], own?: PoolClient): Promise<void> {
  const results = await Promise.allSettled(
    lanes.map(async (lane, i) => {
      if (i === 0 && own) return lane(own);
      const c = await pool.connect();
      try {
        await lane(c);
        c.release();
      } catch (err) {
        c.release(err as Error);
        throw err;
      }
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Builds indexes of a committed table in lanes (`inLanes`), each lane's statements one after the
 * other. Parallel maintenance workers made each build slower on two cores: the lanes are the
 * parallelism.
 */
export async function buildIndexesInLanes(pool: Pool, lanes: string[][], own?: PoolClient): Promise<void> {
  await inLanes(
    pool,
    lanes.map((statements) => async (c: PoolClient) => {
      await c.query(`SET maintenance_work_mem = '128MB'; SET max_parallel_maintenance_workers = 0`);
      try {
        for (const sql of statements) await c.query(sql);
      } finally {
        await c.query('RESET maintenance_work_mem; RESET max_parallel_maintenance_workers').catch(() => undefined);
      }
    }),
    own,
  );
}
