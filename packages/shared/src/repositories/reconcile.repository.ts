import type { Queryable } from '../db/pool';

export interface UnfinishedWork {
  toParse: number[];
  toRoute: { id: number; run: number }[];
  toFinish: { id: number; run: number }[];
  toRelease: number[];
}

/** What PostgreSQL says is not finished: the reconciler's input. */
export async function unfinishedWork(db: Queryable): Promise<UnfinishedWork> {
  const lists = (await db.query(
    `SELECT l.id, l.state, l.route_run, l.route_chunks,
            (SELECT count(*)::int FROM route_chunks c WHERE c.list_id = l.id AND c.run = l.route_run) AS chunks_done,
            EXISTS (SELECT 1 FROM batches b WHERE b.list_id = l.id AND b.notified_at IS NULL
                      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.batch_id = b.id AND d.response = 'the member has no contact e-mail address')) AS unannounced
       FROM lists l
      WHERE l.state IN ('uploaded', 'parsing', 'parsed', 'routing', 'routed', 'released')`)).rows;
  const w: UnfinishedWork = { toParse: [], toRoute: [], toFinish: [], toRelease: [] };
  for (const l of lists) {
    const id = Number(l.id);
    if (l.state === 'uploaded' || l.state === 'parsing') w.toParse.push(id);
    else if (l.state === 'parsed') w.toRoute.push({ id, run: Math.max(1, l.route_run) });
    else if (l.state === 'routing') {
      if (l.route_chunks != null && l.chunks_done >= l.route_chunks) w.toFinish.push({ id, run: l.route_run });
      else w.toRoute.push({ id, run: l.route_run });
    } else if (l.state === 'routed' || (l.state === 'released' && l.unannounced)) w.toRelease.push(id);
  }
  return w;
}
