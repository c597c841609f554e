import { Readable } from 'node:stream';
import { audit, importOutcomesCsv, OutcomeFileError, recordOutcomes, type AppContext, type OutcomeImportResult } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import type { BatchView } from '../data/batches.repository';
import { HttpError } from '../web/errors';

export type OutcomeReport = Omit<OutcomeImportResult, 'rows'> & { rows: number };

/**
 * Stores a member's outcomes for a batch it may see (the caller checked that) and audits the
 * report. CSV goes through shared's streaming reader (columns by header name, so the downloaded
 * file with an added `outcome` column works); JSON rows go straight to `recordOutcomes`.
 */
export async function reportOutcomes(ctx: AppContext, caller: Caller, b: BatchView, input: { csv: Readable } | { rows: unknown[] }, via: string): Promise<OutcomeReport> {
  const who = { batchId: b.id, memberId: b.member_id, reportedBy: caller.email };
  let r: OutcomeReport;
  try {
    if ('csv' in input) r = await importOutcomesCsv(ctx.pool, { ...who, input: input.csv });
    else {
      if (!input.rows.length) throw new HttpError(400, 'outcomes.empty');
      r = { ...(await recordOutcomes(ctx.pool, { ...who, rows: input.rows })), rows: input.rows.length };
    }
  } catch (e) {
    if (e instanceof OutcomeFileError) throw new HttpError(400, e.code, { detail: e.message });
    throw e;
  }
  await audit(ctx.pool, { actor: caller.actor, action: 'outcome.report', object: `batch:${b.id}`,
    details: { via, rows: r.rows, stored: r.stored, rejected: r.rejected.length, batchClosed: r.batchClosed } });
  return r;
}
