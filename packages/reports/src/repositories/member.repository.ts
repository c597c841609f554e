import { OUTCOMES, outcomeFiguresOf, outcomeSumColumns, type OutcomeFigures, type Queryable } from '@deliveryline/shared';

/** Per member: its batches and entries, and its entries per latest outcome (one count per outcome of OUTCOMES). */
export interface MemberCountsRow extends OutcomeFigures {
  memberId: string;
  name: string;
  batches: number;
  delivered: number;
  reported: number;
  overdueBatches: number;
  overdueEntries: number;
  downloadedBatches: number;
}

export interface MemberTimeRow {
  memberId: string;
  /** seconds from release (the batch's creation) */
  seconds: number;
  /** how many entries (outcomes) or 1 (a batch's first download) */
  weight: number;
}

// the per-batch outcome sums, summed per member: one column per outcome, named after it
const OUTCOME_TOTALS = OUTCOMES.map((o) => `sum(o.${o}) AS ${o}`).join(', ');

const CAMPAIGN_BATCHES = `FROM batches b JOIN lists l ON l.id = b.list_id
  WHERE l.campaign_id = $1 AND l.state NOT IN ('failed', 'refused') AND ($2::text IS NULL OR b.member_id = $2)`;

/** Per member: batches, delivered, current outcomes, overdue (due date passed with unreported entries). */
export async function memberCounts(db: Queryable, campaignId: string, at: Date, memberId?: string): Promise<MemberCountsRow[]> {
  const r = await db.query({
    name: 'stats.member-counts',
    text: `SELECT b.member_id, m.name, count(*) AS batches, sum(b.entries) AS delivered,
            sum(o.reported) AS reported, ${OUTCOME_TOTALS},
            count(*) FILTER (WHERE b.due_at < $3 AND b.entries > coalesce(o.reported, 0)) AS overdue_batches,
            coalesce(sum(b.entries - coalesce(o.reported, 0)) FILTER (WHERE b.due_at < $3), 0) AS overdue_entries,
            count(b.first_downloaded_at) AS downloaded_batches
       FROM batches b JOIN lists l ON l.id = b.list_id JOIN members m ON m.id = b.member_id
       LEFT JOIN LATERAL (
         SELECT sum(s.entries) AS reported,
                ${outcomeSumColumns('s')}
           FROM stats_batch_outcomes s WHERE s.batch_id = b.id) o ON true
      WHERE l.campaign_id = $1 AND l.state NOT IN ('failed', 'refused') AND ($2::text IS NULL OR b.member_id = $2)
      GROUP BY b.member_id, m.name ORDER BY b.member_id`,
    values: [campaignId, memberId ?? null, at],
  });
  const n = (v: unknown) => (v == null ? 0 : Number(v));
  return r.rows.map((x) => ({
    memberId: x.member_id,
    name: x.name,
    batches: n(x.batches),
    delivered: n(x.delivered),
    reported: n(x.reported),
    ...outcomeFiguresOf(x),
    overdueBatches: n(x.overdue_batches),
    overdueEntries: n(x.overdue_entries),
    downloadedBatches: n(x.downloaded_batches),
  }));
}

/** Release → first download, one row per downloaded batch. */
export async function downloadTimes(db: Queryable, campaignId: string, memberId?: string): Promise<MemberTimeRow[]> {
  const r = await db.query({
    name: 'stats.download-times',
    text: `SELECT b.member_id, extract(epoch FROM b.first_downloaded_at - b.created_at)::float8 AS s
       ${CAMPAIGN_BATCHES} AND b.first_downloaded_at IS NOT NULL`,
    values: [campaignId, memberId ?? null],
  });
  return r.rows.map((x) => ({ memberId: x.member_id, seconds: Math.max(0, x.s), weight: 1 }));
}

/** Release → first outcome, weighted by entries: one row per batch and upload moment. */
export async function outcomeTimes(db: Queryable, campaignId: string, memberId?: string): Promise<MemberTimeRow[]> {
  const r = await db.query({
    name: 'stats.outcome-times',
    text: `SELECT b.member_id, extract(epoch FROM f.reported_at - b.created_at)::float8 AS s, f.entries
       FROM stats_batch_first_reports f JOIN batches b ON b.id = f.batch_id JOIN lists l ON l.id = b.list_id
      WHERE l.campaign_id = $1 AND l.state NOT IN ('failed', 'refused') AND ($2::text IS NULL OR b.member_id = $2) AND f.entries > 0`,
    values: [campaignId, memberId ?? null],
  });
  return r.rows.map((x) => ({ memberId: x.member_id, seconds: Math.max(0, x.s), weight: Number(x.entries) }));
}
