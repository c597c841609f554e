import type { Queryable } from '@deliveryline/shared';

export interface CampaignInfo {
  id: string;
  name: string;
  tlp: string;
  /** the observation period: the earliest and latest observed_at of the campaign's entries */
  from: Date | null;
  to: Date | null;
}

export async function campaignInfo(db: Queryable, campaignId: string, sourceId?: string): Promise<CampaignInfo | undefined> {
  const r = await db.query({
    name: 'stats.campaign-info',
    // the period the report covers is when the entries were observed (the published tables' 期間),
    // not when the files were uploaded; each list's entries are one partition or a slice of the shared one
    text: `WITH ls AS (SELECT id FROM lists
                  WHERE campaign_id = $1 AND state NOT IN ('failed', 'refused', 'uploaded', 'parsing') AND ($2::text IS NULL OR source_id = $2)),
          o AS (SELECT min(e.observed_at) AS from_at, max(e.observed_at) AS to_at FROM entries e WHERE e.list_id IN (SELECT id FROM ls))
     SELECT c.id, c.name, c.tlp, o.from_at, o.to_at FROM campaigns c, o WHERE c.id = $1`,
    values: [campaignId, sourceId ?? null],
  });
  const x = r.rows[0];
  return x && { id: x.id, name: x.name, tlp: x.tlp, from: x.from_at ?? null, to: x.to_at ?? null };
}

export interface DayCount {
  /** YYYY-MM-DD, Japan time */
  day: string;
  notified: number;
  cumulative: number;
}

/** Entries whose current outcome is `notified`, per day (JST), with the running total. */
export async function notifiedByDay(db: Queryable, campaignId: string, sourceId?: string): Promise<DayCount[]> {
  const r = await db.query({
    name: 'stats.notified-by-day',
    text: `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, sum(d.entries) AS n
       FROM stats_batch_notified_days d JOIN batches b ON b.id = d.batch_id JOIN lists l ON l.id = b.list_id
      WHERE l.campaign_id = $1 AND l.state NOT IN ('failed', 'refused') AND ($2::text IS NULL OR l.source_id = $2)
      GROUP BY d.day HAVING sum(d.entries) <> 0 ORDER BY d.day`,
    values: [campaignId, sourceId ?? null],
  });
  let acc = 0;
  return r.rows.map((x) => ({ day: x.day, notified: Number(x.n), cumulative: (acc += Number(x.n)) }));
}

export interface ReasonCount {
  reason: string;
  entries: number;
}

/** Returned entries by reason (routes.reason), largest first. */
export async function returnsByReason(db: Queryable, campaignId: string, sourceId?: string): Promise<ReasonCount[]> {
  const r = await db.query({
    name: 'stats.returns-by-reason',
    text: `SELECT s.reason, sum(s.entries) AS n
       FROM stats_list_routes s JOIN lists l ON l.id = s.list_id
      WHERE l.campaign_id = $1 AND l.state NOT IN ('failed', 'refused') AND ($2::text IS NULL OR l.source_id = $2) AND s.state = 'returned'
      GROUP BY s.reason HAVING sum(s.entries) > 0 ORDER BY n DESC, s.reason`,
    values: [campaignId, sourceId ?? null],
  });
  return r.rows.map((x) => ({ reason: x.reason || 'unknown', entries: Number(x.n) }));
}
