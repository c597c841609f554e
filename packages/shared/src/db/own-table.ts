import type { Pool, PoolClient } from 'pg';
import type { Queryable } from './pool';

/**
 * A big list's own table of a table partitioned by list (entries 0009, batch_entries 0010, routes
 * 0011): filled with no index, indexed in one sorted pass per index, then attached as the list's
 * partition. Its CHECK on the list lets ATTACH skip the scan that would prove it.
 */
export async function createOwnTable(db: Queryable, parent: string, table: string, listId: number, checkName = `${table}_list`): Promise<void> {
  await db.query(
    `CREATE TABLE ${table} (LIKE ${parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                            CONSTRAINT ${checkName} CHECK (list_id = ${Math.trunc(listId)}))`);
}

/**
 * Builds indexes of a committed table in lanes, one connection per lane, the lanes side by side and
 * each lane's statements one after the other; the first lane runs on `own` when given (the
 * connection the rows came through). Parallel maintenance workers made each build slower on two
 * cores: the lanes are the parallelism. Both lanes run to their end before any error is thrown.
 */
export async function buildIndexesInLanes(pool: Pool, lanes: string[][], own?: PoolClient): Promise<void> {
  const results = await Promise.allSettled(lanes.map(async (statements, i) => {
    const c = i === 0 && own ? own : await pool.connect();
    try {
      await c.query(`SET maintenance_work_mem = '128MB'; SET max_parallel_maintenance_workers = 0`);
      for (const sql of statements) await c.query(sql);
      await c.query('RESET maintenance_work_mem; RESET max_parallel_maintenance_workers');
      if (c !== own) c.release();
    } catch (err) {
      if (c !== own) c.release(err as Error); // never hand a connection in an unknown state to the next user
      else await c.query('RESET maintenance_work_mem; RESET max_parallel_maintenance_workers').catch(() => undefined);
      throw err;
    }
  }));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
