import type { Queryable } from '../db/pool';

/**
 * Batches: one per member per list, `ready → notified → downloaded → closed`. Their entries
 * are fixed at release in `batch_entries` (opaque ids, relapse marks), so an export reads
 * exactly what was released, page by page.
 */
export type BatchState = 'ready' | 'notified' | 'downloaded' | 'closed';

export interface BatchSummary {
  batchId: number;
  listId: number;
  memberId: string;
  entries: number;
  state: string;
  dueAt: string | null;
  notifiedAt: string | null;
  createdAt?: string;
  firstDownloadedAt?: string | null;
  closedAt?: string | null;
  relapses?: number;
  /** entries whose current outcome is missing */
  open?: number;
}

export async function listBatches(db: Queryable, f: { listId?: number; memberId?: string } = {}): Promise<BatchSummary[]> {
  const r = await db.query(
    `SELECT b.id, b.list_id, b.member_id, b.entries, b.state, b.due_at, b.notified_at, b.created_at, b.first_downloaded_at, b.closed_at,
            (SELECT count(*)::int FROM batch_entries be WHERE be.batch_id = b.id AND be.relapse_of IS NOT NULL) AS relapses,
            b.entries - (SELECT count(DISTINCT o.entry_id)::int FROM outcomes o WHERE o.batch_id = b.id) AS open
       FROM batches b
      WHERE ($1::bigint IS NULL OR b.list_id = $1) AND ($2::text IS NULL OR b.member_id = $2) ORDER BY b.list_id, b.member_id`,
    [f.listId ?? null, f.memberId ?? null],
  );
  return r.rows.map((b) => ({
    batchId: Number(b.id),
    listId: Number(b.list_id),
    memberId: b.member_id,
    entries: b.entries,
    state: b.state,
    dueAt: b.due_at?.toISOString() ?? null,
    notifiedAt: b.notified_at?.toISOString() ?? null,
    createdAt: b.created_at.toISOString(),
    firstDownloadedAt: b.first_downloaded_at?.toISOString() ?? null,
    closedAt: b.closed_at?.toISOString() ?? null,
    relapses: b.relapses,
    open: b.open,
  }));
}

export interface BatchEntry {
  /** internal entries.id; never shown to a member (use `ref`) */
  entryId: number;
  /** the stable, opaque id a member sees and reports outcomes against (`e` + 24 hex digits) */
  ref: string;
  seq: number;
  ip: string;
  port: number | null;
  observedAt: Date;
  malware: string | null;
  /** the member already reported an earlier entry of this address as notified */
  relapse: boolean;
  /** what the member reported for it so far (its latest report), or nulls */
  outcome: string | null;
  notifiedAt: Date | null;
  channel: string | null;
  note: string | null;
}

export interface BatchHeader {
  id: number;
  listId: number;
  memberId: string;
  entries: number;
  campaignId: string;
  campaignName: string;
  round: number | null;
  tlp: string;
  state?: BatchState;
  dueAt?: Date | null;
  /** null when the source is anonymous: its name must never reach a member */
  sourceName?: string | null;
}

export async function getBatch(db: Queryable, id: number): Promise<BatchHeader | undefined> {
  const r = await db.query(
    `SELECT b.id, b.list_id, b.member_id, b.entries, b.state, b.due_at, l.campaign_id, c.name AS campaign_name, l.round, l.tlp,
            CASE WHEN s.anonymous IS NOT FALSE THEN NULL ELSE s.name END AS source_name
       FROM batches b JOIN lists l ON l.id = b.list_id JOIN campaigns c ON c.id = l.campaign_id
       -- LEFT: a member's scope sees no anonymous source at all (0025)
       LEFT JOIN sources s ON s.id = l.source_id
      WHERE b.id = $1`,
    [id],
  );
  const b = r.rows[0];
  return (
    b && {
      id: Number(b.id),
      listId: Number(b.list_id),
      memberId: b.member_id,
      entries: b.entries,
      campaignId: b.campaign_id,
      campaignName: b.campaign_name,
      round: b.round,
      tlp: b.tlp,
      state: b.state,
      dueAt: b.due_at,
      sourceName: b.source_name,
    }
  );
}

/** A batch's entries in file order, a page at a time (keyset on seq): a big batch never sits in memory. */
export async function* batchEntries(
  db: Queryable,
  batch: Pick<BatchHeader, 'id' | 'listId'>,
  pageSize = 5000,
): AsyncGenerator<BatchEntry[]> {
  let after = 0;
  for (;;) {
    const r = await db.query(
      `SELECT be.seq, be.ref, be.entry_id, host(e.ip) AS ip, e.port, e.observed_at, e.malware, be.relapse_of IS NOT NULL AS relapse,
              o.outcome, o.notified_at, o.channel, o.note
         FROM batch_entries be JOIN entries e ON e.id = be.entry_id
         -- the latest report so far, so a download can be filled in and sent back in parts
         LEFT JOIN LATERAL (SELECT o.outcome, o.notified_at, o.channel, o.note FROM outcomes o
                             WHERE o.entry_id = be.entry_id AND o.batch_id = be.batch_id ORDER BY o.id DESC LIMIT 1) o ON true
        WHERE be.batch_id = $1 AND be.list_id = $4 AND be.seq > $2
        ORDER BY be.seq LIMIT $3`,
      [batch.id, after, pageSize, batch.listId],
    );
    if (r.rowCount === 0) return;
    after = r.rows[r.rows.length - 1].seq;
    yield r.rows.map((e) => ({
      entryId: Number(e.entry_id),
      ref: e.ref,
      seq: e.seq,
      ip: e.ip,
      port: e.port,
      observedAt: e.observed_at,
      malware: e.malware,
      relapse: e.relapse,
      outcome: e.outcome,
      notifiedAt: e.notified_at,
      channel: e.channel,
      note: e.note,
    }));
    if (r.rowCount! < pageSize) return;
  }
}

/**
 * The first download moves a batch to `downloaded` (a closed batch stays closed); later
 * downloads keep the first timestamp. Returns whether this was the first.
 */
export async function markBatchDownloaded(db: Queryable, batchId: number, at: Date = new Date()): Promise<boolean> {
  const r = await db.query(
    `UPDATE batches SET first_downloaded_at = $2,
            state = CASE WHEN state IN ('ready', 'notified') THEN 'downloaded' ELSE state END
      WHERE id = $1 AND first_downloaded_at IS NULL`,
    [batchId, at],
  );
  return r.rowCount === 1;
}

export interface OverdueBatch {
  batchId: number;
  listId: number;
  memberId: string;
  memberName: string;
  campaignName: string;
  round: number | null;
  state: string;
  entries: number;
  open: number;
  notifiedAt: string | null;
  firstDownloadedAt: string | null;
  dueAt: string | null;
  lastRemindedAt: string | null;
  reminders: number;
}

/** Open batches (not closed) that are past due at `now`, or not downloaded; the coordinator's `dline overdue`. */
export async function openBatches(db: Queryable, f: { now?: Date; overdueOnly?: boolean } = {}): Promise<OverdueBatch[]> {
  const r = await db.query(
    `SELECT b.id, b.list_id, b.member_id, m.name AS member_name, c.name AS campaign_name, l.round, b.state, b.entries,
            b.entries - (SELECT count(DISTINCT o.entry_id)::int FROM outcomes o WHERE o.batch_id = b.id) AS open,
            b.notified_at, b.first_downloaded_at, b.due_at, b.last_reminded_at, b.reminders
       FROM batches b JOIN members m ON m.id = b.member_id JOIN lists l ON l.id = b.list_id JOIN campaigns c ON c.id = l.campaign_id
      WHERE b.state <> 'closed' AND (NOT $2::boolean OR b.due_at < $1 OR b.first_downloaded_at IS NULL)
      ORDER BY b.due_at NULLS LAST, b.id`,
    [f.now ?? new Date(), f.overdueOnly ?? false],
  );
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return r.rows.map((b) => ({
    batchId: Number(b.id),
    listId: Number(b.list_id),
    memberId: b.member_id,
    memberName: b.member_name,
    campaignName: b.campaign_name,
    round: b.round,
    state: b.state,
    entries: b.entries,
    open: b.open,
    notifiedAt: iso(b.notified_at),
    firstDownloadedAt: iso(b.first_downloaded_at),
    dueAt: iso(b.due_at),
    lastRemindedAt: iso(b.last_reminded_at),
    reminders: b.reminders,
  }));
}

export interface DeliveryAttempt {
  batchId: number;
  listId: number;
  memberId: string;
  channel: string;
  kind: string;
  attempt: number;
  recipients: string[];
  status: string;
  final: boolean;
  response: string | null;
  messageId: string | null;
  at: string;
}

/** Every e-mail and webhook attempt, with what the server answered: the record behind "was it sent?". */
export async function deliveryAttempts(
  db: Queryable,
  f: { batchId?: number; listId?: number; failedOnly?: boolean } = {},
): Promise<DeliveryAttempt[]> {
  const r = await db.query(
    `SELECT d.batch_id, b.list_id, b.member_id, d.channel, d.kind, d.attempt, d.recipients, d.status, d.final, d.response, d.message_id, d.at
       FROM deliveries d JOIN batches b ON b.id = d.batch_id
      WHERE ($1::bigint IS NULL OR d.batch_id = $1) AND ($2::bigint IS NULL OR b.list_id = $2) AND (NOT $3::boolean OR d.status = 'failed')
      ORDER BY d.id`,
    [f.batchId ?? null, f.listId ?? null, f.failedOnly ?? false],
  );
  return r.rows.map((d) => ({
    batchId: Number(d.batch_id),
    listId: Number(d.list_id),
    memberId: d.member_id,
    channel: d.channel,
    kind: d.kind,
    attempt: d.attempt,
    recipients: d.recipients,
    status: d.status,
    final: d.final,
    response: d.response,
    messageId: d.message_id,
    at: d.at.toISOString(),
  }));
}
