import type { Readable, Writable } from 'node:stream';
import type { PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { ListRow, Queryable } from '@deliveryline/shared';

/**
 * The SQL of a routing run: starting it, a chunk's entries out and decisions in, the chunks done,
 * the decisions' sums and the list's routed state. The run's own table (a big list's first run)
 * is made, indexed and attached in routing/run-table.ts.
 */

/** Moves a parsed list to `routing` for run `run` in `chunks` chunks; false when it was not parsed at that run. */
export async function startRouting(tx: Queryable, listId: number, run: number, chunks: number): Promise<boolean> {
  const r = await tx.query(
    `UPDATE lists SET state = 'routing', route_chunks = $3, updated_at = now()
      WHERE id = $1 AND route_run = $2 AND state = 'parsed'`,
    [listId, run, chunks],
  );
  return r.rowCount === 1;
}

/** Holds the list in `routing` at run `run` for the transaction; false when it is no longer there. */
export async function holdRoutingList(tx: PoolClient, listId: number, run: number): Promise<boolean> {
  const r = await tx.query(`SELECT state, route_run FROM lists WHERE id = $1 FOR SHARE`, [listId]);
  return r.rows[0]?.state === 'routing' && r.rows[0]?.route_run === run;
}

export async function chunkDone(db: Queryable, listId: number, run: number, chunk: number): Promise<boolean> {
  const r = await db.query('SELECT 1 FROM route_chunks WHERE list_id = $1 AND run = $2 AND chunk = $3', [listId, run, chunk]);
  return (r.rowCount ?? 0) > 0;
}

/** Removes an earlier run's decisions for the entries seq first..last (a run that writes into `routes`). */
export async function clearDecisions(tx: Queryable, listId: number, first: number, last: number): Promise<void> {
  await tx.query('DELETE FROM routes WHERE list_id = $1 AND seq BETWEEN $2 AND $3', [listId, first, last]);
}

/** COPY FROM into `table` (routes or the run's own table): the decision rows DecisionRows writes. */
export function decisionsIn(tx: PoolClient, table: string): Writable {
  return tx.query(copyFrom(`COPY ${table} (list_id, seq, entry_id, member_id, state, reason) FROM STDIN`));
}

/** COPY TO of the entries seq first..last: seq, id, address, observed time in ms, a line each (what DecisionRows reads). */
export function entriesOut(db: PoolClient, listId: number, first: number, last: number): Readable {
  return db.query(
    copyTo(
      `COPY (SELECT seq, id, host(ip), (date_part('epoch', observed_at) * 1000)::bigint FROM entries
            WHERE list_id = ${Math.trunc(listId)} AND seq BETWEEN ${Math.trunc(first)} AND ${Math.trunc(last)} ORDER BY seq) TO STDOUT`,
    ),
  );
}

/** Records a chunk as done with its figures, in the chunk's transaction (so a re-run changes nothing). */
export async function recordChunk(tx: Queryable, listId: number, run: number, chunk: number, figures: unknown): Promise<void> {
  await tx.query('INSERT INTO route_chunks (list_id, run, chunk, figures) VALUES ($1, $2, $3, $4)', [
    listId,
    run,
    chunk,
    JSON.stringify(figures),
  ]);
}

export async function chunksDone(db: Queryable, listId: number, run: number): Promise<number> {
  const r = await db.query('SELECT count(*)::int AS n FROM route_chunks WHERE list_id = $1 AND run = $2', [listId, run]);
  return r.rows[0].n;
}

/** The list, locked for the run's end. */
export async function lockListForFinish(tx: Queryable, listId: number): Promise<(ListRow & { uploaded_by: string | null }) | undefined> {
  return (await tx.query('SELECT * FROM lists WHERE id = $1 FOR UPDATE', [listId])).rows[0];
}

/** The decisions' sums over `routes` (a run without a table of its own). */
export async function decisionSums(tx: Queryable, listId: number): Promise<{ delivered: number; returned: number }> {
  const r = await tx.query(
    `SELECT count(*) FILTER (WHERE state = 'delivered')::int AS delivered,
            count(*) FILTER (WHERE state = 'returned')::int AS returned
       FROM routes WHERE list_id = $1`,
    [listId],
  );
  return r.rows[0];
}

/** Whether the list's campaign asks for a second coordinator's approval (null: the campaign does not say). */
export async function campaignApproval(db: Queryable, campaignId: string): Promise<boolean | null> {
  const r = await db.query('SELECT approval_required FROM campaigns WHERE id = $1', [campaignId]);
  return r.rows[0]?.approval_required ?? null;
}

/** The run's end: the list's counters and its next state (`routed`, or `awaiting_approval`). */
export async function markRouted(
  tx: Queryable,
  listId: number,
  state: 'routed' | 'awaiting_approval',
  c: { delivered: number; returned: number },
): Promise<void> {
  await tx.query(`UPDATE lists SET state = $2, delivered = $3, returned = $4, routed_at = now(), updated_at = now() WHERE id = $1`, [
    listId,
    state,
    c.delivered,
    c.returned,
  ]);
}
