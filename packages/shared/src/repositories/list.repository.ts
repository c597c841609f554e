import type { Queryable } from '../db/pool';

export type ListState =
  'uploaded' | 'parsing' | 'parsed' | 'routing' | 'routed' | 'awaiting_approval' | 'released' | 'returned_sent' | 'failed' | 'refused';

export interface ListRow {
  id: number;
  campaign_id: string;
  source_id: string;
  round: number | null;
  file_sha256: Buffer;
  file_name: string;
  profile: string | null;
  encoding: string | null;
  timezone: string | null;
  tlp: string;
  state: ListState;
  failure: string | null;
  columns: string[] | null;
  rows_read: number | null;
  rejected: number | null;
  duplicates: number | null;
  received: number | null;
  delivered: number | null;
  returned: number | null;
  route_run: number;
  route_chunks: number | null;
  created_at: Date;
  released_at: Date | null;
}

export async function ensureSource(db: Queryable, id: string, name = id): Promise<void> {
  await db.query(`INSERT INTO sources (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [id, name]);
}

export async function ensureCampaign(db: Queryable, id: string, name = id): Promise<void> {
  await db.query(`INSERT INTO campaigns (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [id, name]);
}

export async function getList(db: Queryable, id: number): Promise<ListRow | undefined> {
  const r = await db.query('SELECT * FROM lists WHERE id = $1', [id]);
  return r.rows[0];
}

export async function findListByFile(db: Queryable, campaignId: string, sha256: Buffer): Promise<ListRow | undefined> {
  // a failed list does not hold its file (0016): it may be uploaded again to retry
  const r = await db.query(`SELECT * FROM lists WHERE campaign_id = $1 AND file_sha256 = $2 AND state <> 'failed'`, [campaignId, sha256]);
  return r.rows[0];
}

export interface NewList {
  campaignId: string;
  sourceId: string;
  round?: number | null;
  sha256: Buffer;
  fileName: string;
  profile?: string | null;
  encoding?: string | null;
  timezone?: string | null;
  tlp?: string | null;
  uploadedBy?: string | null;
}

export async function insertList(db: Queryable, l: NewList): Promise<number> {
  const r = await db.query(
    `INSERT INTO lists (campaign_id, source_id, round, file_sha256, file_name, profile, encoding, timezone, tlp, uploaded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, COALESCE($9, (SELECT tlp FROM campaigns WHERE id = $1)), $10)
     RETURNING id`,
    [
      l.campaignId,
      l.sourceId,
      l.round ?? null,
      l.sha256,
      l.fileName,
      l.profile ?? null,
      l.encoding ?? null,
      l.timezone ?? null,
      l.tlp ?? null,
      l.uploadedBy ?? null,
    ],
  );
  return r.rows[0].id;
}

/** A guarded state transition: true only if the list was in one of `from`. */
export async function transition(
  db: Queryable,
  id: number,
  from: ListState[],
  to: ListState,
  extra: Record<string, unknown> = {},
): Promise<boolean> {
  const keys = Object.keys(extra);
  const sets = keys.map((k, i) => `${k} = $${i + 4}`);
  const r = await db.query(
    `UPDATE lists SET state = $2, updated_at = now()${sets.length ? ', ' + sets.join(', ') : ''} WHERE id = $1 AND state = ANY($3)`,
    [id, to, from, ...keys.map((k) => extra[k])],
  );
  return r.rowCount === 1;
}

export async function failList(db: Queryable, id: number, failure: string): Promise<void> {
  await db.query(`UPDATE lists SET state = 'failed', failure = $2, updated_at = now() WHERE id = $1`, [id, failure]);
}

export async function listsByState(db: Queryable, states: ListState[]): Promise<ListRow[]> {
  return (await db.query('SELECT * FROM lists WHERE state = ANY($1) ORDER BY id', [states])).rows;
}

/** What a failed list is given again when it is retried: read settings of the file. */
export interface RetrySettings {
  timezone?: string | null;
  encoding?: string | null;
  profile?: string | null;
}

/**
 * Opens a failed list again at the stage it failed in, in the caller's transaction: a list whose
 * file was never read to its end (no counts) goes back to `uploaded`, with the settings given;
 * a parsed one gets a new routing run. Anything else is left as it is and its state returned.
 */
export async function reopenFailedList(
  db: Queryable,
  id: number,
  settings: RetrySettings = {},
): Promise<
  { stage: 'parse'; failure: string | null } | { stage: 'route'; run: number; failure: string | null } | { state: ListState | null }
> {
  const l = (await db.query('SELECT state, received, route_run, failure FROM lists WHERE id = $1 FOR UPDATE', [id])).rows[0];
  if (!l || l.state !== 'failed') return { state: l?.state ?? null };
  if (l.received === null) {
    await db.query(
      `UPDATE lists SET state = 'uploaded', failure = NULL, updated_at = now(),
              timezone = COALESCE($2, timezone), encoding = COALESCE($3, encoding), profile = COALESCE($4, profile)
        WHERE id = $1`,
      [id, settings.timezone ?? null, settings.encoding ?? null, settings.profile ?? null],
    );
    return { stage: 'parse', failure: l.failure };
  }
  const run = l.route_run + 1;
  await db.query(
    `UPDATE lists SET state = 'parsed', failure = NULL, route_run = $2, route_chunks = NULL, updated_at = now() WHERE id = $1`,
    [id, run],
  );
  return { stage: 'route', run, failure: l.failure };
}

/** A list as a coordinator's decision needs it, locked (FOR UPDATE) in the caller's transaction. */
export interface ListForDecision {
  id: number;
  state: ListState;
  uploaded_by: string | null;
  returned: number | null;
  source_id: string;
}

export async function lockListForDecision(tx: Queryable, id: number): Promise<ListForDecision | undefined> {
  return (await tx.query('SELECT id, state, uploaded_by, returned, source_id FROM lists WHERE id = $1 FOR UPDATE', [id])).rows[0];
}

/** awaiting_approval → routed, with who approved and when (the caller checked the state under its lock). */
export async function markListApproved(tx: Queryable, id: number, by: string): Promise<void> {
  await tx.query(`UPDATE lists SET state = 'routed', approved_by = $2, approved_at = now(), updated_at = now() WHERE id = $1`, [id, by]);
}

/** released → returned_sent (the caller checked the state under its lock). */
export async function markListReturnsSent(tx: Queryable, id: number): Promise<void> {
  await tx.query(`UPDATE lists SET state = 'returned_sent', returned_sent_at = now(), updated_at = now() WHERE id = $1`, [id]);
}

export interface ReturnedEntryRow {
  seq: number;
  row_no: number;
  ip: string;
  port: number | null;
  observed_at: Date;
  malware: string | null;
  reason: string;
}

/** A list's returned entries after `afterSeq`, in seq order, at most `limit` (keyset paging). */
export async function returnedEntriesPage(db: Queryable, listId: number, afterSeq: number, limit: number): Promise<ReturnedEntryRow[]> {
  const r = await db.query(
    `SELECT r.seq, e.row_no, host(e.ip) AS ip, e.port, e.observed_at, e.malware, r.reason
       FROM routes r JOIN entries e ON e.list_id = r.list_id AND e.seq = r.seq
      WHERE r.list_id = $1 AND r.state = 'returned' AND r.seq > $2 ORDER BY r.seq LIMIT $3`,
    [listId, afterSeq, limit],
  );
  return r.rows;
}

export interface RejectRow {
  row: number;
  line: number;
  reason: string;
  message: string;
  raw: string;
}

/** A list's refused rows in file order: row and line, the reason code, the message, the raw text. */
export async function listRejects(db: Queryable, listId: number): Promise<RejectRow[]> {
  const r = await db.query('SELECT row_no, line_no, reason, message, raw FROM rejects WHERE list_id = $1 ORDER BY row_no', [listId]);
  return r.rows.map((x) => ({ row: x.row_no, line: x.line_no, reason: x.reason, message: x.message, raw: x.raw }));
}

/** The returned entries' row numbers in the source file, each with its return reason. */
export async function returnedRowReasons(db: Queryable, listId: number): Promise<Map<number, string>> {
  const r = await db.query(
    `SELECT e.row_no, r.reason FROM routes r JOIN entries e ON e.list_id = r.list_id AND e.seq = r.seq
      WHERE r.list_id = $1 AND r.state = 'returned'`,
    [listId],
  );
  return new Map<number, string>(r.rows.map((x) => [x.row_no as number, x.reason as string]));
}

/** Holds the list's row for the transaction (changes to its entries' routes wait for it). */
export async function lockList(tx: Queryable, listId: number): Promise<void> {
  await tx.query('SELECT 1 FROM lists WHERE id = $1 FOR UPDATE', [listId]);
}
