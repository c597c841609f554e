import { Pool, PoolClient, types } from 'pg';

// int8 (counts, ids) as JS numbers: every count we keep is far below 2^53.
types.setTypeParser(20, (v) => Number(v));
// numeric stays a string on purpose: rates are computed from integer counts, not read back.

export type Db = Pool;
export type { Pool, PoolClient };
export type Tx = PoolClient;
export type Queryable = Pool | PoolClient;

export function createPool(connectionString: string, max = 10): Pool {
  // No JIT: our big statements are simple scans, joins and COPYs, where compiling costs more than
  // it saves (0.85 s of a 1.0 s relapse check at release of a million-entry list).
  const pool = new Pool({ connectionString, max, application_name: 'deliveryline', options: '-c jit=off' });
  // An idle client that loses its server (restart, failover) must not crash the process.
  pool.on('error', () => undefined);
  // Neither must a checked-out one that loses it between two queries (a worker parsing the next
  // chunk while it holds its transaction): the next query on it fails, and the job is retried.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export async function withTransaction<T>(pool: Pool, fn: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Runs `fn` with planner settings changed on this connection, and sets them back after. For
 * statements whose per-row index probes must not become bitmap scans ANDed with the
 * `(list_id, seq)` index: on rows just written and not yet analysed, the planner took that index
 * for selective, and each probe then read every row of a list (docs/ingest.md, repeats).
 */
export async function withPlanner<T>(client: PoolClient, settings: Record<string, 'on' | 'off'>, fn: () => Promise<T>): Promise<T> {
  const before: [string, string][] = [];
  for (const [n, v] of Object.entries(settings)) {
    before.push([n, (await client.query(`SELECT current_setting($1) AS v`, [n])).rows[0].v]);
    await client.query(`SELECT set_config($1, $2, false)`, [n, v]);
  }
  try {
    return await fn();
  } finally {
    for (const [n, v] of before) await client.query(`SELECT set_config($1, $2, false)`, [n, v]).catch(() => undefined);
  }
}

/** Whether the database answers (readiness checks). */
export async function ping(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}
