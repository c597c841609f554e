import type { Queryable } from '@deliveryline/shared';
import type { Scope } from '../auth/caller';
import { LIST_CONTENT_VISIBLE, LIST_VISIBLE, SCOPE_CTE, scopeParams } from './scope';

export interface ListView {
  id: number;
  campaign_id: string;
  campaign_name: string;
  source_id: string;
  round: number | null;
  file_name: string;
  tlp: string;
  state: string;
  failure: string | null;
  rows_read: number | null;
  rejected: number | null;
  duplicates: number | null;
  received: number | null;
  delivered: number | null;
  returned: number | null;
  route_chunks: number | null;
  chunks_done: number;
  created_at: Date;
  parsed_at: Date | null;
  routed_at: Date | null;
  released_at: Date | null;
  uploaded_by: string | null;
  refused_by: string | null;
  refused_at: Date | null;
  refusal_reason: string | null;
}

const LIST_COLUMNS = `l.id, l.campaign_id, c.name AS campaign_name, l.source_id, l.round, l.file_name, l.tlp, l.state, l.failure,
  l.rows_read, l.rejected, l.duplicates, l.received, l.delivered, l.returned, l.route_chunks,
  (SELECT count(*)::int FROM route_chunks rc WHERE rc.list_id = l.id AND rc.run = l.route_run) AS chunks_done,
  l.created_at, l.parsed_at, l.routed_at, l.released_at, l.uploaded_by, l.refused_by, l.refused_at, l.refusal_reason`;

export interface ListFilter {
  campaignId?: string;
  sourceId?: string;
  state?: string;
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}

const LIST_WHERE = `${LIST_VISIBLE} AND ($4::text IS NULL OR l.campaign_id = $4) AND ($5::text IS NULL OR l.state = $5)
  AND ($6::text IS NULL OR l.source_id = $6) AND ($7::timestamptz IS NULL OR l.created_at >= $7) AND ($8::timestamptz IS NULL OR l.created_at < $8)`;
const listArgs = (scope: Scope, f: ListFilter) => [
  ...scopeParams(scope),
  f.campaignId || null,
  f.state || null,
  f.sourceId || null,
  f.from || null,
  f.to || null,
];

/** Newest first; `limit`/`offset` page through them (countLists gives the total for the same filter). */
export async function scopedLists(db: Queryable, scope: Scope, f: ListFilter = {}): Promise<ListView[]> {
  const r = await db.query(
    `${SCOPE_CTE}, page AS (SELECT l.id FROM lists l CROSS JOIN s WHERE ${LIST_WHERE} ORDER BY l.id DESC LIMIT $9 OFFSET $10)
     SELECT ${LIST_COLUMNS} FROM page JOIN lists l ON l.id = page.id JOIN campaigns c ON c.id = l.campaign_id ORDER BY l.id DESC`,
    [...listArgs(scope, f), f.limit ?? 500, f.offset ?? 0],
  );
  return r.rows;
}

export async function countLists(db: Queryable, scope: Scope, f: ListFilter = {}): Promise<number> {
  const r = await db.query(`${SCOPE_CTE} SELECT count(*)::int AS n FROM lists l CROSS JOIN s WHERE ${LIST_WHERE}`, listArgs(scope, f));
  return r.rows[0].n;
}

/** undefined both when the list does not exist and when the caller may not see it: no oracle */
export async function scopedList(db: Queryable, scope: Scope, id: number): Promise<ListView | undefined> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT ${LIST_COLUMNS} FROM lists l JOIN campaigns c ON c.id = l.campaign_id CROSS JOIN s
      WHERE ${LIST_VISIBLE} AND l.id = $4`,
    [...scopeParams(scope), id],
  );
  return r.rows[0];
}

export interface RejectView {
  row: number;
  line: number;
  reason: string;
  message: string;
  raw: string;
}
export interface Slice {
  limit?: number;
  offset?: number;
}

export async function scopedRejects(
  db: Queryable,
  scope: Scope,
  listId: number,
  limit = 100_000,
  f: Slice & { reason?: string } = {},
): Promise<RejectView[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT j.row_no AS row, j.line_no AS line, j.reason, j.message, j.raw
       FROM rejects j JOIN lists l ON l.id = j.list_id CROSS JOIN s
      WHERE ${LIST_CONTENT_VISIBLE} AND j.list_id = $4 AND ($7::text IS NULL OR j.reason = $7) ORDER BY j.row_no LIMIT $5 OFFSET $6`,
    [...scopeParams(scope), listId, f.limit ?? limit, f.offset ?? 0, f.reason || null],
  );
  return r.rows;
}

/** Rejected rows of a list by reason: the filter's choices and the page's counts. */
export async function scopedRejectReasons(db: Queryable, scope: Scope, listId: number): Promise<{ reason: string; n: number }[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT j.reason, count(*)::int AS n FROM rejects j JOIN lists l ON l.id = j.list_id CROSS JOIN s
      WHERE ${LIST_CONTENT_VISIBLE} AND j.list_id = $4 GROUP BY j.reason ORDER BY j.reason`,
    [...scopeParams(scope), listId],
  );
  return r.rows;
}

export interface ReturnedView {
  row: number;
  ip: string;
  observed_at: Date;
  port: number | null;
  malware: string | null;
  reason: string;
}

export async function scopedReturned(
  db: Queryable,
  scope: Scope,
  listId: number,
  limit = 1_000_000,
  f: Slice & { reason?: string } = {},
): Promise<ReturnedView[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT e.row_no AS row, host(e.ip) AS ip, e.observed_at, e.port, e.malware, r.reason
       FROM routes r JOIN entries e ON e.list_id = r.list_id AND e.seq = r.seq JOIN lists l ON l.id = r.list_id CROSS JOIN s
      WHERE ${LIST_CONTENT_VISIBLE} AND r.list_id = $4 AND r.state = 'returned' AND ($7::text IS NULL OR r.reason = $7) ORDER BY r.seq LIMIT $5 OFFSET $6`,
    [...scopeParams(scope), listId, f.limit ?? limit, f.offset ?? 0, f.reason || null],
  );
  return r.rows;
}

/** Returned entries of a list by reason. */
export async function scopedReturnReasons(db: Queryable, scope: Scope, listId: number): Promise<{ reason: string; n: number }[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT r.reason, count(*)::int AS n FROM routes r JOIN lists l ON l.id = r.list_id CROSS JOIN s
      WHERE ${LIST_CONTENT_VISIBLE} AND r.list_id = $4 AND r.state = 'returned' GROUP BY r.reason ORDER BY r.reason`,
    [...scopeParams(scope), listId],
  );
  return r.rows;
}

export interface CampaignView {
  id: string;
  name: string;
  tlp: string;
  lists: number;
}

export async function scopedCampaigns(db: Queryable, scope: Scope): Promise<CampaignView[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT c.id, c.name, c.tlp, count(l.id)::int AS lists FROM campaigns c JOIN lists l ON l.campaign_id = c.id CROSS JOIN s
      WHERE ${LIST_VISIBLE} GROUP BY c.id ORDER BY max(l.id) DESC`,
    scopeParams(scope),
  );
  return r.rows;
}

/** Every campaign (for filters), visible lists or not. */
export async function allCampaigns(db: Queryable): Promise<{ id: string; name: string }[]> {
  return (await db.query('SELECT id, name FROM campaigns ORDER BY id')).rows;
}

export async function listsByState(db: Queryable): Promise<{ state: string; n: number }[]> {
  return (await db.query('SELECT state, count(*)::int AS n FROM lists GROUP BY state ORDER BY state')).rows;
}

/** Sources that have sent lists, for the coordinator's upload form */
export async function knownSources(db: Queryable): Promise<string[]> {
  return (await db.query('SELECT id FROM sources ORDER BY id')).rows.map((r) => r.id);
}

/** Locks a list for a decision (approve or refuse) and says who may be told about it. */
export async function lockListForDecision(
  db: Queryable,
  id: number,
): Promise<
  | {
      id: number;
      state: string;
      uploaded_by: string | null;
      source_id: string;
      campaign_id: string;
      round: number | null;
      file_name: string;
      received: number | null;
    }
  | undefined
> {
  return (
    await db.query(
      'SELECT id, state, uploaded_by, source_id, campaign_id, round, file_name, received FROM lists WHERE id = $1 FOR UPDATE',
      [id],
    )
  ).rows[0];
}

/** awaiting_approval → refused, with who and why; the caller holds the lock and writes the audit event. */
export async function markRefused(db: Queryable, id: number, by: string, reason: string): Promise<void> {
  await db.query(
    `UPDATE lists SET state = 'refused', refused_by = $2, refused_at = now(), refusal_reason = $3, updated_at = now()
    WHERE id = $1 AND state = 'awaiting_approval'`,
    [id, by, reason],
  );
}

/** The addresses of a source's active portal users (a refused list is told to them). */
export async function sourceContacts(db: Queryable, sourceId: string): Promise<{ email: string; language: 'ja' | 'en' }[]> {
  return (
    await db.query(`SELECT email, language FROM users WHERE role = 'source' AND source_id = $1 AND active ORDER BY email`, [sourceId])
  ).rows;
}

/** The counters summed over the lists a caller may see, as the campaign tables count them (no failed or refused list). */
export async function scopedListTotals(
  db: Queryable,
  scope: Scope,
): Promise<{
  lists: number;
  rowsRead: number;
  rejected: number;
  duplicates: number;
  received: number;
  delivered: number;
  returned: number;
}> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT count(*)::int AS lists, coalesce(sum(rows_read), 0)::bigint AS "rowsRead", coalesce(sum(rejected), 0)::bigint AS rejected,
        coalesce(sum(duplicates), 0)::bigint AS duplicates, coalesce(sum(received), 0)::bigint AS received,
        coalesce(sum(delivered), 0)::bigint AS delivered, coalesce(sum(returned), 0)::bigint AS returned
       FROM lists l CROSS JOIN s WHERE ${LIST_VISIBLE} AND l.state NOT IN ('failed', 'refused')`,
    scopeParams(scope),
  );
  const x = r.rows[0];
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, Number(v)])) as never;
}

export interface CampaignTotals {
  id: string;
  name: string;
  tlp: string;
  lists: number;
  received: number;
  delivered: number;
  returned: number;
  last_at: Date;
}

/** Every campaign the caller may see with its counters summed (no failed or refused list), most recent first. */
export async function scopedCampaignTotals(db: Queryable, scope: Scope): Promise<CampaignTotals[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT c.id, c.name, c.tlp, count(l.id)::int AS lists, coalesce(sum(l.received), 0)::bigint AS received,
        coalesce(sum(l.delivered), 0)::bigint AS delivered, coalesce(sum(l.returned), 0)::bigint AS returned, max(l.created_at) AS last_at
       FROM campaigns c JOIN lists l ON l.campaign_id = c.id CROSS JOIN s
      WHERE ${LIST_VISIBLE} AND l.state NOT IN ('failed', 'refused') GROUP BY c.id ORDER BY max(l.id) DESC`,
    scopeParams(scope),
  );
  return r.rows.map((x) => ({ ...x, received: Number(x.received), delivered: Number(x.delivered), returned: Number(x.returned) }));
}

/** Whether a member has a batch in a campaign (a member sees a campaign's figures only then). */
export async function memberHasBatchIn(db: Queryable, campaignId: string, memberId: string): Promise<boolean> {
  const r = await db.query(
    `SELECT 1 FROM batches b JOIN lists l ON l.id = b.list_id WHERE l.campaign_id = $1 AND b.member_id = $2 LIMIT 1`,
    [campaignId, memberId],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Whether a source sent a list in a campaign (a source sees a campaign's figures only then). */
export async function sourceHasListIn(db: Queryable, campaignId: string, sourceId: string): Promise<boolean> {
  const r = await db.query(`SELECT 1 FROM lists WHERE campaign_id = $1 AND source_id = $2 LIMIT 1`, [campaignId, sourceId]);
  return (r.rowCount ?? 0) > 0;
}
