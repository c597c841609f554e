import { Readable } from 'node:stream';
import {
  audit,
  csvLine,
  importOutcomesCsv,
  OutcomeFileError,
  recordOutcomes,
  type AppContext,
  type OutcomeImportResult,
  type OutcomeRejection,
} from '@deliveryline/shared';
import { decodeTextFile, InputError } from '@deliveryline/ingest';
import type { Caller } from '../auth/caller';
import type { BatchView } from '../repositories/batches.repository';
import { HttpError } from '../web/errors';

export type OutcomeReport = Omit<OutcomeImportResult, 'rows'> & { rows: number; encoding?: string };

/** Excel's "Unicode text" is tab-separated; everything else a member saves is comma-separated. */
const delimiterOf = (text: string) => {
  const first = text.slice(0, Math.max(0, text.indexOf('\n')) || text.length);
  return first.includes('\t') && !first.includes(',') ? '\t' : ',';
};

/**
 * Stores a member's outcomes for a batch it may see (the caller checked that) and audits the
 * report. A file is decoded as lists are (UTF-8 with or without BOM, Shift_JIS as Excel in Japan
 * saves it, UTF-16) and refused whole when it cannot be — never stored garbled; then shared's
 * reader takes columns by header name, so the downloaded file, filled in, works. JSON rows go
 * straight to `recordOutcomes`.
 */
export async function reportOutcomes(
  ctx: AppContext,
  caller: Caller,
  b: BatchView,
  input: { bytes: Buffer } | { rows: unknown[] },
  via: string,
): Promise<OutcomeReport> {
  const who = { batchId: b.id, memberId: b.member_id, reportedBy: caller.email };
  let r: OutcomeReport;
  try {
    if ('bytes' in input) {
      const { encoding, text } = await decodeTextFile(input.bytes);
      r = { ...(await importOutcomesCsv(ctx.pool, { ...who, input: Readable.from([text]), delimiter: delimiterOf(text) })), encoding };
    } else {
      if (!input.rows.length) throw new HttpError(400, 'outcomes.empty');
      r = { ...(await recordOutcomes(ctx.pool, { ...who, rows: input.rows })), rows: input.rows.length };
    }
  } catch (e) {
    if (e instanceof InputError && e.code === 'file.undecodable') throw new HttpError(400, 'outcomes.undecodable', { detail: e.message });
    if (e instanceof OutcomeFileError) throw new HttpError(400, e.code, { detail: e.message });
    throw e;
  }
  await audit(ctx.pool, {
    actor: caller.actor,
    action: 'outcome.report',
    object: `batch:${b.id}`,
    details: {
      via,
      rows: r.rows,
      stored: r.stored,
      skipped: r.skipped,
      unchanged: r.unchanged,
      rejected: r.rejected.length,
      batchClosed: r.batchClosed,
      encoding: r.encoding ?? null,
    },
  });
  return r;
}

/** Every refused row as CSV (with a BOM, for Excel): what the result page offers beyond its first screenful. */
export const rejectionsCsv = (rows: OutcomeRejection[]) =>
  '\uFEFF' +
  csvLine(['row', 'field', 'code', 'message']) +
  rows.map((x) => csvLine([x.row, x.field, x.code, x.message], new Set([0]))).join('');
