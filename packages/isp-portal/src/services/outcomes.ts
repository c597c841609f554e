import { parse } from 'csv-parse/sync';
import { audit, recordOutcomes, type AppContext, type OutcomeResult } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import type { BatchView } from '../data/batches.repository';
import { HttpError } from '../web/errors';

/**
 * The member's CSV (the downloaded batch with its outcome column filled in) as outcome rows.
 * Rows whose outcome is still empty are not reports yet and are skipped, not refused; each
 * kept row remembers its data record number so a refusal points at the right line.
 */
export function outcomeRowsFromCsv(text: string): { rows: Record<string, unknown>[]; rowNos: number[]; skipped: number } {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: (h: string[]) => h.map((x) => x.trim().toLowerCase()), bom: true, skip_empty_lines: true, relax_column_count: true, trim: true });
  } catch (e) {
    throw new HttpError(400, 'outcomes.csv', { detail: (e as Error).message });
  }
  const rows: Record<string, unknown>[] = [];
  const rowNos: number[] = [];
  let skipped = 0;
  records.forEach((r, i) => {
    if (!r.outcome) {
      skipped++;
      return;
    }
    rows.push({ entryId: r.entry_id, outcome: r.outcome, notifiedAt: r.notified_at || null, channel: r.channel || null, note: r.note || null });
    rowNos.push(i + 1);
  });
  return { rows, rowNos, skipped };
}

export interface OutcomeReport extends OutcomeResult { skipped: number }

/** Stores a member's outcomes for a batch it may see (the caller checked that) and audits the report. */
export async function reportOutcomes(ctx: AppContext, caller: Caller, b: BatchView, input: { rows: unknown[]; rowNos?: number[]; skipped?: number; via: string }): Promise<OutcomeReport> {
  if (!input.rows.length) throw new HttpError(400, 'outcomes.empty');
  const r = await recordOutcomes(ctx.pool, { batchId: b.id, memberId: b.member_id, reportedBy: caller.email, rows: input.rows });
  const rejected = input.rowNos ? r.rejected.map((x) => ({ ...x, row: input.rowNos![x.row - 1] ?? x.row })) : r.rejected;
  await audit(ctx.pool, { actor: caller.actor, action: 'outcome.report', object: `batch:${b.id}`,
    details: { via: input.via, stored: r.stored, rejected: rejected.length, batchClosed: r.batchClosed } });
  return { ...r, rejected, skipped: input.skipped ?? 0 };
}
