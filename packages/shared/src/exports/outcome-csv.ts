import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { Pool } from '../db/pool';
import { recordOutcomes, type OutcomeRejection } from '../repositories/outcome.repository';

/**
 * A member's outcome report as CSV: `entry_id, outcome[, notified_at, channel, note]` with a
 * header (any order, any case, UTF-8 with or without BOM). Read as a stream and stored a page
 * at a time, each page in its own transaction; every row that cannot be stored comes back with
 * its data row number (header excluded), field, stable code and a message.
 */
export const OUTCOME_COLUMNS = ['entry_id', 'outcome', 'notified_at', 'channel', 'note'] as const;

export class OutcomeFileError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface OutcomeImportResult {
  rows: number;
  stored: number;
  skipped: number;
  unchanged: number;
  rejected: OutcomeRejection[];
  batchClosed: boolean;
}

/** A time without an offset is Japan time (how ISPs write it); a bare date is its start in JST. */
export function normaliseNotifiedAt(v: string | undefined): string | null {
  const s = (v ?? '').trim();
  if (!s) return null;
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(s);
  if (!m) return s; // left for the schema to accept (ISO with offset) or refuse with a reason
  const p = (x: string | undefined, n = 2) => (x ?? '0').padStart(n, '0');
  return `${m[1]}-${p(m[2])}-${p(m[3])}T${p(m[4])}:${p(m[5])}:${p(m[6])}+09:00`;
}

/**
 * A text cell as the member meant it: empty is none, and the quote our download puts before a
 * leading = + - @ (so a spreadsheet does not run it, csv-safe.ts) is taken off again, so a
 * downloaded note comes back as it was.
 */
function textCell(v: string | undefined): string | null {
  if (!v) return null;
  return /^'[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(v) ? v.slice(1) : v;
}

export async function importOutcomesCsv(
  pool: Pool,
  a: {
    batchId: number;
    memberId: string;
    reportedBy: string;
    input: Readable;
    pageSize?: number;
    /** default ',' (Excel's "Unicode text" is tab-separated) */ delimiter?: string;
  },
): Promise<OutcomeImportResult> {
  const pageSize = a.pageSize ?? 10_000;
  const parser = a.input.pipe(
    parse({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, delimiter: a.delimiter ?? ',' }),
  );
  let index: Record<string, number> | undefined;
  let page: unknown[] = [];
  let rows = 0;
  const result: OutcomeImportResult = { rows: 0, stored: 0, skipped: 0, unchanged: 0, rejected: [], batchClosed: false };
  const flush = async () => {
    if (!page.length) return;
    const r = await recordOutcomes(pool, {
      batchId: a.batchId,
      memberId: a.memberId,
      reportedBy: a.reportedBy,
      rows: page,
      rowOffset: rows - page.length,
    });
    result.stored += r.stored;
    result.skipped += r.skipped;
    result.unchanged += r.unchanged;
    result.rejected.push(...r.rejected);
    result.batchClosed ||= r.batchClosed;
    page = [];
  };
  for await (const rec of parser as AsyncIterable<string[]>) {
    if (!index) {
      const names = rec.map((h) => h.trim().toLowerCase());
      index = Object.fromEntries(OUTCOME_COLUMNS.map((c) => [c, names.indexOf(c)]));
      const missing = ['entry_id', 'outcome'].filter((c) => index![c] < 0);
      if (missing.length) {
        throw new OutcomeFileError(
          'outcomes.header',
          `the header has no ${missing.join(' or ')} column (found: ${names.join(', ') || 'nothing'}); ` +
            `the first line must name the columns: ${OUTCOME_COLUMNS.join(',')} (notified_at, channel, note optional)`,
        );
      }
      continue;
    }
    const cell = (c: (typeof OUTCOME_COLUMNS)[number]) => (index![c] >= 0 ? rec[index![c]] : undefined);
    page.push({
      entryId: cell('entry_id'),
      outcome: cell('outcome')?.toLowerCase(),
      notifiedAt: normaliseNotifiedAt(cell('notified_at')),
      notifiedAtText: cell('notified_at'),
      channel: textCell(cell('channel')),
      note: textCell(cell('note')),
    });
    rows++;
    if (page.length >= pageSize) await flush();
  }
  if (!index)
    throw new OutcomeFileError('outcomes.empty', `the file is empty; the first line must name the columns: ${OUTCOME_COLUMNS.join(',')}`);
  await flush();
  result.rows = rows;
  return result;
}
