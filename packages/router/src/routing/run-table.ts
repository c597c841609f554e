import type { Pool, PoolClient } from 'pg';
import { buildIndexesInLanes, createOwnTable, ownTableFor, type Queryable } from '@deliveryline/shared';

/**
 * A big list's first routing run writes its decisions into a table of the run with no index
 * (migration 0011): `routes_l<list>_r<run>`, chunk by chunk, each chunk in its own transaction
 * with its route_chunks row, so a chunk is in the table exactly once. Finishing the run builds the
 * indexes every partition of routes has (two at once, before its transaction), then, in the
 * finishing transaction, adds the run's figures to stats_list_routes and attaches the table as the
 * list's partition `routes_l<list>`: readers see the whole run's decisions or none. Later runs of the list replace decisions in place, through
 * `routes`. A run superseded before it finished leaves its table; the next run of the list drops it.
 */
const id = (listId: number) => Math.trunc(listId);
export const runTable = (listId: number, run: number): string => `routes_l${id(listId)}_r${Math.trunc(run)}`;
export const routesPartition = (listId: number): string => `routes_l${id(listId)}`;

/** Drops the tables of the list's runs that never finished. */
async function dropRunTables(tx: PoolClient, listId: number): Promise<void> {
  const r = await tx.query(`SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE $1`, [`${routesPartition(listId)}\\_r%`]);
  for (const t of r.rows) await tx.query(`DROP TABLE IF EXISTS ${t.relname as string}`);
}

/**
 * In the transaction that starts a run: a list of more than `above` entries that has no decision
 * yet gets a table for the run. Returns whether it did.
 */
export async function openRunTable(tx: PoolClient, listId: number, run: number, received: number, above: number): Promise<boolean> {
  if (!ownTableFor(received, above)) return false;
  const any = await tx.query('SELECT 1 FROM routes WHERE list_id = $1 LIMIT 1', [listId]);
  if (any.rowCount) return false;
  await dropRunTables(tx, listId);
  const t = runTable(listId, run);
  await createOwnTable(tx, 'routes', t, listId, `${routesPartition(listId)}_list`);
  return true;
}

export async function hasRunTable(db: Queryable, listId: number, run: number): Promise<boolean> {
  return (await db.query('SELECT to_regclass($1) IS NOT NULL AS t', [runTable(listId, run)])).rows[0].t === true;
}

/**
 * Before the finishing transaction: the two indexes of 0011, each on its own connection, side by
 * side (the table is committed, empty of readers, and only finishing uses it). A finish that runs
 * again finds them built.
 */
export async function indexRunTable(pool: Pool, listId: number, run: number): Promise<void> {
  const t = runTable(listId, run);
  const p = routesPartition(listId);
  await buildIndexesInLanes(pool, [
    [`CREATE UNIQUE INDEX IF NOT EXISTS ${p}_pkey ON ${t} (list_id, seq)`],
    [`CREATE INDEX IF NOT EXISTS ${p}_member_idx ON ${t} (list_id, member_id)`],
  ]);
}

export interface RunFigures {
  delivered: number;
  returned: number;
  /** decisions per member, state and reason ('' for none): the rows of stats_list_routes */
  groups: { member_id: string; state: string; reason: string; n: number }[];
}

/**
 * The run's figures: what its chunks recorded (0014), each in the transaction that stored its
 * decisions, so they add up to exactly what the table holds. A chunk stored before 0014 recorded
 * none; then the table itself is counted.
 */
export async function runTableFigures(tx: PoolClient, listId: number, run: number): Promise<RunFigures> {
  const unrecorded = await tx.query('SELECT 1 FROM route_chunks WHERE list_id = $1 AND run = $2 AND figures IS NULL LIMIT 1', [
    listId,
    run,
  ]);
  const r = unrecorded.rowCount
    ? await tx.query(
        `SELECT coalesce(member_id, '') AS member_id, state, coalesce(reason, '') AS reason, count(*)::int AS n
         FROM ${runTable(listId, run)} GROUP BY 1, 2, 3`,
      )
    : await tx.query(
        `SELECT f.member_id, f.state, f.reason, sum(f.n)::int AS n
         FROM route_chunks c, jsonb_to_recordset(c.figures) AS f(member_id text, state text, reason text, n int)
        WHERE c.list_id = $1 AND c.run = $2 GROUP BY 1, 2, 3`,
        [listId, run],
      );
  const sum = (state: string) => r.rows.filter((g) => g.state === state).reduce((n, g) => n + g.n, 0);
  return { delivered: sum('delivered'), returned: sum('returned'), groups: r.rows };
}

/**
 * In the transaction that finishes the run, once its figures are checked: the primary key from
 * its index (a chunk written twice would fail it, and the list with it), the figures the insert
 * trigger would have added, and the attach.
 */
export async function attachRunTable(tx: PoolClient, listId: number, run: number, figures: RunFigures): Promise<void> {
  const t = runTable(listId, run);
  const p = routesPartition(listId);
  await tx.query(`ALTER TABLE ${t} ADD CONSTRAINT ${p}_pkey PRIMARY KEY USING INDEX ${p}_pkey`);
  const g = figures.groups;
  await tx.query(
    `INSERT INTO stats_list_routes AS s (list_id, member_id, state, reason, entries)
     SELECT $1, m, st, rs, n FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[]) AS u(m, st, rs, n)
     ON CONFLICT (list_id, member_id, state, reason) DO UPDATE SET entries = s.entries + excluded.entries`,
    [listId, g.map((x) => x.member_id), g.map((x) => x.state), g.map((x) => x.reason), g.map((x) => x.n)],
  );
  await tx.query(`ALTER TABLE ${t} RENAME TO ${p}`);
  await tx.query(`ALTER TABLE routes ATTACH PARTITION ${p} FOR VALUES IN (${id(listId)})`);
  await dropRunTables(tx, listId);
}
