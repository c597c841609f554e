import type { Queryable } from '@deliveryline/shared';
import {
  rate,
  sumCounts,
  zeroOutcomeFigures,
  outcomeFiguresOf,
  outcomeSumColumns,
  type ListCounts,
  type OutcomeFigures,
} from '@deliveryline/shared';

/**
 * What members reported (design.md "Figures"): an entry counts under its LATEST outcome; one
 * count per outcome of OUTCOMES (notified, notIdentified, notOurAddress, duplicate, declined).
 */
export type OutcomeCounts = OutcomeFigures & {
  /** entries with any outcome */
  reported: number;
  /** delivered − reported */
  unhandled: number;
};

export interface ListFigures extends ListCounts, OutcomeCounts {
  /** the round's first list (a round delivered as several files is one column: see `listIds`) */
  listId: number;
  /** every list of the round, in upload order */
  listIds: number[];
  round: number | null;
  state: string;
  handlingRate: number | null;
  /** notified / delivered */
  notifyRate: number | null;
}

export type TotalFigures = ListCounts & OutcomeCounts & { handlingRate: number | null; notifyRate: number | null };

export interface CampaignReport {
  campaignId: string;
  rounds: ListFigures[];
  total: TotalFigures;
}

const n = (v: unknown) => (v == null ? 0 : Number(v));

function outcomeCounts(row: Record<string, unknown>, delivered: number): OutcomeCounts {
  const reported = n(row.reported);
  return { reported, ...outcomeFiguresOf(row), unhandled: delivered - reported };
}

/** A lists row (with, when joined, its outcome counts) as figures. */
export function toFigures(row: Record<string, unknown>): ListFigures {
  const c: ListCounts = {
    rowsRead: n(row.rows_read),
    rejected: n(row.rejected),
    duplicates: n(row.duplicates),
    received: n(row.received),
    delivered: n(row.delivered),
    returned: n(row.returned),
  };
  const o = outcomeCounts(row, c.delivered);
  return {
    listId: Number(row.id),
    listIds: [Number(row.id)],
    round: (row.round as number | null) ?? null,
    state: String(row.state),
    ...c,
    handlingRate: rate(c.delivered, c.received),
    ...o,
    notifyRate: rate(o.notified, c.delivered),
  };
}

export function totalOf(rounds: ListFigures[]): TotalFigures {
  const t = sumCounts(rounds);
  const o: OutcomeCounts = { reported: 0, ...zeroOutcomeFigures(), unhandled: 0 };
  for (const r of rounds) for (const k of Object.keys(o) as (keyof OutcomeCounts)[]) o[k] += r[k];
  return { ...t, handlingRate: rate(t.delivered, t.received), ...o, notifyRate: rate(o.notified, t.delivered) };
}

/**
 * The per-round table (one row per list, in round order) and its total: the lists' counters and
 * the outcome summary kept by migration 0007 (a few rows per batch, never a scan of entries).
 * With `sourceId`, only that source's lists (what a source may see).
 */
export async function campaignReport(db: Queryable, campaignId: string, opts: { sourceId?: string } = {}): Promise<CampaignReport> {
  const r = await db.query({
    name: 'stats.campaign-report',
    text: `SELECT l.id, l.round, l.state, l.rows_read, l.rejected, l.duplicates, l.received, l.delivered, l.returned, o.*
       FROM lists l
       LEFT JOIN LATERAL (
         SELECT sum(s.entries) AS reported,
                ${outcomeSumColumns('s')}
           FROM batches b JOIN stats_batch_outcomes s ON s.batch_id = b.id WHERE b.list_id = l.id) o ON true
      WHERE l.campaign_id = $1 AND l.state NOT IN ('failed', 'refused') AND ($2::text IS NULL OR l.source_id = $2)
      ORDER BY l.round NULLS LAST, l.id`,
    values: [campaignId, opts.sourceId ?? null],
  });
  const rounds = byRound(r.rows.map(toFigures));
  return { campaignId, rounds, total: totalOf(rounds) };
}

// the pipeline's order: a round of several lists is as far as its least advanced list
const STATE_ORDER = ['uploaded', 'parsing', 'parsed', 'routing', 'routed', 'awaiting_approval', 'released', 'returned_sent'];

/**
 * One column per round, however many files it came in (Shadowserver's event4 and event6 reports
 * of one day are one round): lists with the same round are summed; a list without a round
 * stays a column of its own. Input is in round order.
 */
export function byRound(lists: ListFigures[]): ListFigures[] {
  const out: ListFigures[] = [];
  for (const l of lists) {
    const prev = out[out.length - 1];
    if (!prev || l.round == null || prev.round !== l.round) {
      out.push(l);
      continue;
    }
    const t = totalOf([prev, l]);
    const state = STATE_ORDER.indexOf(l.state) < STATE_ORDER.indexOf(prev.state) ? l.state : prev.state;
    out[out.length - 1] = { ...t, listId: prev.listId, listIds: [...prev.listIds, l.listId], round: prev.round, state };
  }
  return out;
}
