import type { Queryable } from '../db/pool';

export interface UnfinishedList {
  id: number;
  /** times the reconciler has already put one of this list's failed or lost jobs back */
  requeues: number;
}

export interface UnfinishedWork {
  toParse: UnfinishedList[];
  toRoute: (UnfinishedList & { run: number })[];
  /** chunks of a routing run not yet done (the run's chunk count is known) */
  toRouteChunks: (UnfinishedList & { run: number; chunks: number[] })[];
  toFinish: (UnfinishedList & { run: number })[];
  toRelease: UnfinishedList[];
  /** released lists with an announcement (e-mail or webhook) not yet out: release-list enqueues them */
  toAnnounce: number[];
  /** batches whose notice is due another try: never sent, not stopped, last failure older than the retry interval */
  toNotify: number[];
  /** batches whose webhook is due another try: its member has one, it never went out, not stopped, last attempt older than the retry interval */
  toHook: number[];
}

/** What PostgreSQL says is not finished: the reconciler's input. */
export async function unfinishedWork(db: Queryable, o: { notifyRetryMinutes: number }): Promise<UnfinishedWork> {
  const lists = (
    await db.query(
      `SELECT l.id, l.state, l.route_run, l.route_chunks, l.requeues,
            (SELECT array_agg(c.chunk) FROM route_chunks c WHERE c.list_id = l.id AND c.run = l.route_run) AS chunks_done,
            EXISTS (SELECT 1 FROM batches b WHERE b.list_id = l.id AND b.notified_at IS NULL AND b.notify_stopped_at IS NULL
                      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.batch_id = b.id AND d.response = 'the member has no contact e-mail address')) AS unannounced
       FROM lists l
      WHERE l.state IN ('uploaded', 'parsing', 'parsed', 'routing', 'routed', 'released')`,
    )
  ).rows;
  const w: UnfinishedWork = {
    toParse: [],
    toRoute: [],
    toRouteChunks: [],
    toFinish: [],
    toRelease: [],
    toAnnounce: [],
    toNotify: [],
    toHook: [],
  };
  for (const l of lists) {
    const it = { id: Number(l.id), requeues: l.requeues as number };
    const done = new Set<number>(l.chunks_done ?? []);
    if (l.state === 'uploaded' || l.state === 'parsing') w.toParse.push(it);
    else if (l.state === 'parsed') w.toRoute.push({ ...it, run: Math.max(1, l.route_run) });
    else if (l.state === 'routing') {
      if (l.route_chunks == null) w.toRoute.push({ ...it, run: l.route_run });
      else if (done.size >= l.route_chunks) w.toFinish.push({ ...it, run: l.route_run });
      else {
        const chunks = Array.from({ length: l.route_chunks }, (_, c) => c).filter((c) => !done.has(c));
        w.toRouteChunks.push({ ...it, run: l.route_run, chunks });
      }
    } else if (l.state === 'routed') w.toRelease.push(it);
    else if (l.state === 'released' && l.unannounced) w.toAnnounce.push(it.id);
  }
  w.toNotify = (
    await db.query(
      `SELECT b.id FROM batches b JOIN lists l ON l.id = b.list_id
      WHERE b.notified_at IS NULL AND b.notify_stopped_at IS NULL AND l.state IN ('released', 'returned_sent')
        AND (b.notify_failed_at IS NULL OR b.notify_failed_at < now() - make_interval(mins => $1))
      ORDER BY b.id`,
      [o.notifyRetryMinutes],
    )
  ).rows.map((r) => Number(r.id));
  w.toHook = (
    await db.query(
      `SELECT b.id FROM batches b JOIN lists l ON l.id = b.list_id JOIN members m ON m.id = b.member_id
      WHERE m.webhook_url IS NOT NULL AND b.webhook_sent_at IS NULL AND b.notify_stopped_at IS NULL AND l.state IN ('released', 'returned_sent')
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.batch_id = b.id AND d.channel = 'webhook'
                          AND (d.at >= now() - make_interval(mins => $1) OR d.response = 'no webhook secret'))
      ORDER BY b.id`,
      [o.notifyRetryMinutes],
    )
  ).rows.map((r) => Number(r.id));
  return w;
}

/** Counts one more time the reconciler put a job of this list back. */
export async function countRequeue(db: Queryable, listId: number): Promise<void> {
  await db.query('UPDATE lists SET requeues = requeues + 1 WHERE id = $1', [listId]);
}

export interface NotAnnouncedBatch {
  batchId: number;
  listId: number;
  memberId: string;
  notifyFailedAt: Date | null;
  lastResponse: string | null;
  attempts: number;
  stoppedAt: Date | null;
  stoppedBy: string | null;
}

/** Batches of released lists whose notice has not gone out (failed, retrying, or stopped by a coordinator). */
export async function notAnnouncedBatches(db: Queryable, limit: number | null = null): Promise<NotAnnouncedBatch[]> {
  return (
    await db.query(
      `SELECT b.id AS "batchId", b.list_id AS "listId", b.member_id AS "memberId", b.notify_failed_at AS "notifyFailedAt",
            b.notify_stopped_at AS "stoppedAt", b.notify_stopped_by AS "stoppedBy",
            (SELECT count(*)::int FROM deliveries d WHERE d.batch_id = b.id AND d.channel = 'email' AND d.kind = 'ready') AS attempts,
            (SELECT d.response FROM deliveries d WHERE d.batch_id = b.id AND d.channel = 'email' AND d.kind = 'ready' ORDER BY d.id DESC LIMIT 1) AS "lastResponse"
       FROM batches b JOIN lists l ON l.id = b.list_id
      WHERE b.notified_at IS NULL AND l.state IN ('released', 'returned_sent')
      ORDER BY b.id LIMIT $1`,
      [limit],
    )
  ).rows.map((r) => ({ ...r, batchId: Number(r.batchId), listId: Number(r.listId) }));
}

/** How many batches are not announced: the figure the portal shows beside the batches. */
export async function notAnnouncedCount(db: Queryable): Promise<number> {
  return (
    await db.query(
      `SELECT count(*)::int AS n FROM batches b JOIN lists l ON l.id = b.list_id
      WHERE b.notified_at IS NULL AND l.state IN ('released', 'returned_sent')`,
    )
  ).rows[0].n;
}

/** A coordinator stops the retries of a batch's notice; false when it was sent or does not exist. */
export async function stopNotice(db: Queryable, batchId: number, by: string): Promise<boolean> {
  const r = await db.query(
    `UPDATE batches SET notify_stopped_at = now(), notify_stopped_by = $2 WHERE id = $1 AND notified_at IS NULL AND notify_stopped_at IS NULL`,
    [batchId, by],
  );
  return r.rowCount === 1;
}
