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
  (SELECT count(DISTINCT o.entry_id)::int FROM outcomes o WHERE o.batch_id = b.id) AS reported,
  (b.state <> 'closed' AND b.due_at < now()) AS overdue`;
const BATCH_FROM = `batches b JOIN members m ON m.id = b.member_id JOIN lists l ON l.id = b.list_id JOIN campaigns c ON c.id = l.campaign_id CROSS JOIN s`;

export async function scopedBatches(db: Queryable, scope: Scope, f: { listId?: number; overdue?: boolean; memberId?: string } = {}): Promise<BatchView[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT ${BATCH_COLUMNS} FROM ${BATCH_FROM}
      WHERE ${BATCH_VISIBLE} AND ($4::bigint IS NULL OR b.list_id = $4) AND ($5::text IS NULL OR b.member_id = $5)
        AND (NOT $6::boolean OR (b.state <> 'closed' AND b.due_at < now()))
      ORDER BY b.id DESC LIMIT 1000`,
    [...scopeParams(scope), f.listId ?? null, f.memberId ?? null, f.overdue ?? false]);
  return r.rows;
}

export async function scopedBatch(db: Queryable, scope: Scope, id: number): Promise<BatchView | undefined> {
  const r = await db.query(`${SCOPE_CTE} SELECT ${BATCH_COLUMNS} FROM ${BATCH_FROM} WHERE ${BATCH_VISIBLE} AND b.id = $4`,
    [...scopeParams(scope), id]);
  return r.rows[0];
}

/** Current (latest) outcome per entry of a batch, counted by value. */
export async function scopedOutcomeCounts(db: Queryable, scope: Scope, batchId: number): Promise<{ outcome: string; n: number }[]> {
  const r = await db.query(
    `${SCOPE_CTE} SELECT x.outcome, count(*)::int AS n FROM (
       SELECT DISTINCT ON (o.entry_id) o.outcome FROM outcomes o JOIN batches b ON b.id = o.batch_id CROSS JOIN s
        WHERE ${BATCH_VISIBLE} AND o.batch_id = $4 ORDER BY o.entry_id, o.id DESC) x GROUP BY x.outcome ORDER BY x.outcome`,
    [...scopeParams(scope), batchId]);
  return r.rows;
}

export interface Figures { batches: number; entries: number; reported: number; notified: number; closed: number; overdue: number }

/** Figures over the batches a caller may see: a member gets its own, a coordinator everyone's. */
export async function scopedBatchFigures(db: Queryable, scope: Scope): Promise<Figures> {
  const r = await db.query(
    `${SCOPE_CTE}, v AS (SELECT b.* FROM batches b CROSS JOIN s WHERE ${BATCH_VISIBLE}),
     cur AS (SELECT DISTINCT ON (o.entry_id) o.outcome FROM outcomes o JOIN v ON v.id = o.batch_id ORDER BY o.entry_id, o.id DESC)
     SELECT (SELECT count(*)::int FROM v) AS batches, (SELECT coalesce(sum(entries), 0)::int FROM v) AS entries,
            (SELECT count(*)::int FROM cur) AS reported, (SELECT count(*)::int FROM cur WHERE outcome = 'notified') AS notified,
            (SELECT count(*)::int FROM v WHERE state = 'closed') AS closed,
            (SELECT count(*)::int FROM v WHERE state <> 'closed' AND due_at < now()) AS overdue`, scopeParams(scope));
  return r.rows[0];
}

/** Per member: batches, entries, entries with an outcome, open batches past due; for the coordinator's members page. */
export async function scopedFiguresByMember(db: Queryable, scope: Scope): Promise<Map<string, Figures>> {
  const r = await db.query(
    `${SCOPE_CTE}, v AS (SELECT b.* FROM batches b CROSS JOIN s WHERE ${BATCH_VISIBLE}),
     cur AS (SELECT DISTINCT ON (o.entry_id) o.member_id, o.outcome FROM outcomes o JOIN v ON v.id = o.batch_id ORDER BY o.entry_id, o.id DESC)
     SELECT v.member_id, count(*)::int AS batches, sum(v.entries)::int AS entries,
            (SELECT count(*)::int FROM cur WHERE cur.member_id = v.member_id) AS reported,
            (SELECT count(*)::int FROM cur WHERE cur.member_id = v.member_id AND outcome = 'notified') AS notified,
            count(*) FILTER (WHERE v.state = 'closed')::int AS closed,
            count(*) FILTER (WHERE v.state <> 'closed' AND v.due_at < now())::int AS overdue
       FROM v GROUP BY v.member_id`, scopeParams(scope));
  return new Map(r.rows.map((x) => [x.member_id, x]));
}

/** The first download moves a batch to `downloaded`; later ones change nothing (the audit log keeps each). */
export async function markDownloaded(db: Queryable, batchId: number): Promise<void> {
  await db.query(
    `UPDATE batches SET first_downloaded_at = coalesce(first_downloaded_at, now()),
            state = CASE WHEN state IN ('ready', 'notified') THEN 'downloaded' ELSE state END
      WHERE id = $1`, [batchId]);
}

export async function batchDepths(db: Queryable): Promise<{ state: string; n: number }[]> {
  return (await db.query('SELECT state, count(*)::int AS n FROM batches GROUP BY state')).rows;
}
