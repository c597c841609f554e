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
}

const LIST_COLUMNS = `l.id, l.campaign_id, c.name AS campaign_name, l.source_id, l.round, l.file_name, l.tlp, l.state, l.failure,
  l.rows_read, l.rejected, l.duplicates, l.received, l.delivered, l.returned, l.route_chunks,
  (SELECT count(*)::int FROM route_chunks rc WHERE rc.list_id = l.id AND rc.run = l.route_run) AS chunks_done,
  l.created_at, l.parsed_at, l.routed_at, l.released_at`;

export async function scopedLists(db: Queryable, scope: Scope, f: { campaignId?: string; state?: string; limit?: number } = {}): Promise<ListView[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT ${LIST_COLUMNS} FROM lists l JOIN campaigns c ON c.id = l.campaign_id CROSS JOIN s
      WHERE ${LIST_VISIBLE} AND ($4::text IS NULL OR l.campaign_id = $4) AND ($6::text IS NULL OR l.state = $6) ORDER BY l.id DESC LIMIT $5`,
    [...scopeParams(scope), f.campaignId ?? null, f.limit ?? 500, f.state ?? null]);
  return r.rows;
}

/** undefined both when the list does not exist and when the caller may not see it: no oracle */
export async function scopedList(db: Queryable, scope: Scope, id: number): Promise<ListView | undefined> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT ${LIST_COLUMNS} FROM lists l JOIN campaigns c ON c.id = l.campaign_id CROSS JOIN s
      WHERE ${LIST_VISIBLE} AND l.id = $4`, [...scopeParams(scope), id]);
  return r.rows[0];
}

export interface RejectView { row: number; line: number; reason: string; message: string; raw: string }

export async function scopedRejects(db: Queryable, scope: Scope, listId: number, limit = 100_000): Promise<RejectView[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT j.row_no AS row, j.line_no AS line, j.reason, j.message, j.raw
       FROM rejects j JOIN lists l ON l.id = j.list_id CROSS JOIN s
      WHERE ${LIST_CONTENT_VISIBLE} AND j.list_id = $4 ORDER BY j.row_no LIMIT $5`, [...scopeParams(scope), listId, limit]);
  return r.rows;
}

export interface ReturnedView { row: number; ip: string; observed_at: Date; port: number | null; malware: string | null; reason: string }

export async function scopedReturned(db: Queryable, scope: Scope, listId: number, limit = 1_000_000): Promise<ReturnedView[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT e.row_no AS row, host(e.ip) AS ip, e.observed_at, e.port, e.malware, r.reason
       FROM routes r JOIN entries e ON e.list_id = r.list_id AND e.seq = r.seq JOIN lists l ON l.id = r.list_id CROSS JOIN s
      WHERE ${LIST_CONTENT_VISIBLE} AND r.list_id = $4 AND r.state = 'returned' ORDER BY e.seq LIMIT $5`,
    [...scopeParams(scope), listId, limit]);
  return r.rows;
}

export interface CampaignView { id: string; name: string; tlp: string; lists: number }

export async function scopedCampaigns(db: Queryable, scope: Scope): Promise<CampaignView[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT c.id, c.name, c.tlp, count(l.id)::int AS lists FROM campaigns c JOIN lists l ON l.campaign_id = c.id CROSS JOIN s
      WHERE ${LIST_VISIBLE} GROUP BY c.id ORDER BY max(l.id) DESC`, scopeParams(scope));
  return r.rows;
}

export async function listsByState(db: Queryable): Promise<{ state: string; n: number }[]> {
  return (await db.query('SELECT state, count(*)::int AS n FROM lists GROUP BY state ORDER BY state')).rows;
}

/** Sources that have sent lists, for the coordinator's upload form */
export async function knownSources(db: Queryable): Promise<string[]> {
  return (await db.query('SELECT id FROM sources ORDER BY id')).rows.map((r) => r.id);
}
