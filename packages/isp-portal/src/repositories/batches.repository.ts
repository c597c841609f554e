import type { Queryable } from '@deliveryline/shared';
import type { Scope } from '../auth/caller';
import { BATCH_VISIBLE, SCOPE_CTE, scopeParams } from './scope';

export interface BatchView {
  id: number;
  list_id: number;
  member_id: string;
  member_name: string;
  campaign_id: string;
  campaign_name: string;
  round: number | null;
  tlp: string;
  entries: number;
  state: string;
  due_at: Date | null;
  created_at: Date;
  notified_at: Date | null;
  first_downloaded_at: Date | null;
  closed_at: Date | null;
  reported: number;
  overdue: boolean;
}

const BATCH_COLUMNS = `b.id, b.list_id, b.member_id, m.name AS member_name, l.campaign_id, c.name AS campaign_name, l.round, l.tlp,
  b.entries, b.state, b.due_at, b.created_at, b.notified_at, b.first_downloaded_at, b.closed_at,
  (SELECT coalesce(sum(so.entries), 0)::int FROM stats_batch_outcomes so WHERE so.batch_id = b.id) AS reported,
  (b.state <> 'closed' AND b.due_at < now()) AS overdue`;
const BATCH_FROM = `batches b JOIN members m ON m.id = b.member_id JOIN lists l ON l.id = b.list_id JOIN campaigns c ON c.id = l.campaign_id CROSS JOIN s`;

export interface BatchFilter {
  listId?: number;
  overdue?: boolean;
  memberId?: string;
  campaignId?: string;
  state?: string;
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}

const BATCH_WHERE = `${BATCH_VISIBLE} AND ($4::bigint IS NULL OR b.list_id = $4) AND ($5::text IS NULL OR b.member_id = $5)
  AND (NOT $6::boolean OR (b.state <> 'closed' AND b.due_at < now())) AND ($7::text IS NULL OR l.campaign_id = $7)
  AND ($8::text IS NULL OR b.state = $8) AND ($9::timestamptz IS NULL OR b.created_at >= $9) AND ($10::timestamptz IS NULL OR b.created_at < $10)`;
const batchArgs = (scope: Scope, f: BatchFilter) => [
  ...scopeParams(scope),
  f.listId ?? null,
  f.memberId || null,
  f.overdue ?? false,
  f.campaignId || null,
  f.state || null,
  f.from || null,
  f.to || null,
];

/** Newest first, a page at a time (`limit`, default 1000; `offset`); countBatches gives the total. */
export async function scopedBatches(db: Queryable, scope: Scope, f: BatchFilter = {}): Promise<BatchView[]> {
  const r = await db.query(
    // the page's ids first, then its columns: the per-batch figures are computed for the page's rows only
    `${SCOPE_CTE}, page AS (SELECT b.id FROM batches b JOIN lists l ON l.id = b.list_id CROSS JOIN s WHERE ${BATCH_WHERE} ORDER BY b.id DESC LIMIT $11 OFFSET $12)
     SELECT ${BATCH_COLUMNS} FROM page JOIN batches b ON b.id = page.id JOIN members m ON m.id = b.member_id
       JOIN lists l ON l.id = b.list_id JOIN campaigns c ON c.id = l.campaign_id ORDER BY b.id DESC`,
    [...batchArgs(scope, f), f.limit ?? 1000, f.offset ?? 0],
  );
  return r.rows;
}

export async function countBatches(db: Queryable, scope: Scope, f: BatchFilter = {}): Promise<number> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT count(*)::int AS n FROM batches b JOIN lists l ON l.id = b.list_id CROSS JOIN s WHERE ${BATCH_WHERE}`,
    batchArgs(scope, f),
  );
  return r.rows[0].n;
}

export async function scopedBatch(db: Queryable, scope: Scope, id: number): Promise<BatchView | undefined> {
  const r = await db.query(`${SCOPE_CTE} SELECT ${BATCH_COLUMNS} FROM ${BATCH_FROM} WHERE ${BATCH_VISIBLE} AND b.id = $4`, [
    ...scopeParams(scope),
    id,
  ]);
  return r.rows[0];
}

// Outcome figures come from stats_batch_outcomes (0007: entries per batch by their current
// outcome, kept by triggers), never from a pass over outcomes: 100,000 batches answer in milliseconds.

/** Current (latest) outcome per entry of a batch, counted by value. */
export async function scopedOutcomeCounts(db: Queryable, scope: Scope, batchId: number): Promise<{ outcome: string; n: number }[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT so.outcome, so.entries::int AS n FROM stats_batch_outcomes so JOIN batches b ON b.id = so.batch_id CROSS JOIN s
      WHERE ${BATCH_VISIBLE} AND so.batch_id = $4 AND so.entries > 0 ORDER BY so.outcome`,
    [...scopeParams(scope), batchId],
  );
  return r.rows;
}

export interface Figures {
  batches: number;
  entries: number;
  reported: number;
  notified: number;
  closed: number;
  overdue: number;
}

const FIGURES = `count(*)::int AS batches, coalesce(sum(v.entries), 0)::bigint AS entries,
  coalesce(sum(o.reported), 0)::bigint AS reported, coalesce(sum(o.notified), 0)::bigint AS notified,
  count(*) FILTER (WHERE v.state = 'closed')::int AS closed, count(*) FILTER (WHERE v.state <> 'closed' AND v.due_at < now())::int AS overdue`;
const FIGURES_FROM = `v LEFT JOIN (SELECT batch_id, sum(entries) AS reported, sum(entries) FILTER (WHERE outcome = 'notified') AS notified
  FROM stats_batch_outcomes GROUP BY batch_id) o ON o.batch_id = v.id`;
const num = <T extends Record<string, unknown>>(x: T) =>
  Object.fromEntries(Object.entries(x).map(([k, v]) => [k, k === 'member_id' ? v : Number(v)])) as T;

/** Figures over the batches a caller may see: a member gets its own, a coordinator everyone's. */
export async function scopedBatchFigures(db: Queryable, scope: Scope): Promise<Figures> {
  if (scope.role === 'coordinator') {
    // every batch is visible: the outcome sums need no join to batches
    const r = await db.query(
      `SELECT (SELECT count(*)::int FROM batches) AS batches, (SELECT coalesce(sum(entries), 0)::bigint FROM batches) AS entries,
              coalesce(sum(entries), 0)::bigint AS reported, coalesce(sum(entries) FILTER (WHERE outcome = 'notified'), 0)::bigint AS notified,
              (SELECT count(*)::int FROM batches WHERE state = 'closed') AS closed,
              (SELECT count(*)::int FROM batches WHERE state <> 'closed' AND due_at < now()) AS overdue
         FROM stats_batch_outcomes`,
    );
    return num(r.rows[0]);
  }
  const r = await db.query(
    `${SCOPE_CTE}, v AS (SELECT b.id, b.entries, b.state, b.due_at FROM batches b CROSS JOIN s WHERE ${BATCH_VISIBLE})
     SELECT ${FIGURES} FROM ${FIGURES_FROM}`,
    scopeParams(scope),
  );
  return num(r.rows[0]);
}

/** Per member: batches, entries, entries with an outcome, open batches past due; for the coordinator's members page. */
export async function scopedFiguresByMember(db: Queryable, scope: Scope): Promise<Map<string, Figures>> {
  const r = await db.query(
    `${SCOPE_CTE}, v AS (SELECT b.id, b.member_id, b.entries, b.state, b.due_at FROM batches b CROSS JOIN s WHERE ${BATCH_VISIBLE})
     SELECT v.member_id, ${FIGURES} FROM ${FIGURES_FROM} GROUP BY v.member_id`,
    scopeParams(scope),
  );
  return new Map(r.rows.map((x) => [x.member_id, num(x)]));
}

export async function batchDepths(db: Queryable): Promise<{ state: string; n: number }[]> {
  return (await db.query('SELECT state, count(*)::int AS n FROM batches GROUP BY state')).rows;
}

/** Campaigns the caller has batches in (a member's filter choices). */
export async function scopedBatchCampaigns(db: Queryable, scope: Scope): Promise<{ id: string; name: string }[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT DISTINCT c.id, c.name FROM batches b JOIN lists l ON l.id = b.list_id JOIN campaigns c ON c.id = l.campaign_id CROSS JOIN s
      WHERE ${BATCH_VISIBLE} ORDER BY c.id`,
    scopeParams(scope),
  );
  return r.rows;
}
