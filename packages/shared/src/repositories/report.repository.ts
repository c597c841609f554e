import type { Queryable } from '../db/pool';
import { rate, sumCounts, type ListCounts } from '../figures';

export interface ListFigures extends ListCounts {
  listId: number;
  round: number | null;
  state: string;
  handlingRate: number | null;
}

export interface CampaignReport {
  campaignId: string;
  rounds: ListFigures[];
  total: ListCounts & { handlingRate: number | null };
}

const n = (v: unknown) => (v == null ? 0 : Number(v));

export function toFigures(row: Record<string, unknown>): ListFigures {
  const c: ListCounts = {
    rowsRead: n(row.rows_read),
    rejected: n(row.rejected),
    duplicates: n(row.duplicates),
    received: n(row.received),
    delivered: n(row.delivered),
    returned: n(row.returned),
  };
  return { listId: Number(row.id), round: (row.round as number | null) ?? null, state: String(row.state), ...c, handlingRate: rate(c.delivered, c.received) };
}

/** The per-round table (one row per list, in round order) and its total, from the lists' counters. */
export async function campaignReport(db: Queryable, campaignId: string): Promise<CampaignReport> {
  const r = await db.query(
    `SELECT id, round, state, rows_read, rejected, duplicates, received, delivered, returned
       FROM lists WHERE campaign_id = $1 AND state <> 'failed' ORDER BY round NULLS LAST, id`,
    [campaignId],
  );
  const rounds = r.rows.map(toFigures);
  const t = sumCounts(rounds);
  return { campaignId, rounds, total: { ...t, handlingRate: rate(t.delivered, t.received) } };
}
