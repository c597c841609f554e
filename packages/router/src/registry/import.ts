import fs from 'node:fs';
import { parse } from 'csv-parse/sync';

export interface RowError {
  line: number;
  field: string;
  message: string;
  code?: string;
}

export class ImportError extends Error {
  constructor(
    public file: string,
    public errors: RowError[],
  ) {
    super(
      `${file}: ${errors.length} row(s) refused, nothing imported:\n` +
        errors
          .slice(0, 50)
          .map((e) => `  line ${e.line}, ${e.field}: ${e.message}${e.code ? ` [${e.code}]` : ''}`)
          .join('\n') +
        (errors.length > 50 ? `\n  … and ${errors.length - 50} more` : ''),
    );
  }
}

/** Other names for the columns, as registries exported by other tools tend to call them. */
const ALIASES: Record<string, string> = {
  member: 'member_id',
  prefix: 'cidr',
  network: 'cidr',
  from: 'valid_from',
  since: 'valid_from',
  valid_since: 'valid_from',
  to: 'valid_to',
  until: 'valid_to',
  valid_until: 'valid_to',
  email: 'contact_email',
  contact: 'contact_email',
  joined: 'joined_on',
  left: 'left_on',
};

export function readCsv(file: string): { header: string[]; rows: { line: number; rec: Record<string, string> }[] } {
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const records: string[][] = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true });
  const header = (records[0] ?? []).map((h) => ALIASES[h.toLowerCase().replace(/[\s-]+/g, '_')] ?? h.toLowerCase().replace(/[\s-]+/g, '_'));
  return {
    header,
    rows: records.slice(1).map((r, i) => ({ line: i + 2, rec: Object.fromEntries(header.map((h, k) => [h, r[k] ?? ''])) })),
  };
}

/** Refuses a file whose header lacks a required column. */
export function requireColumns(file: string, header: string[], need: string[]): void {
  const missing = need.filter((n) => !header.includes(n));
  if (missing.length)
    throw new ImportError(
      file,
      missing.map((m) => ({ line: 1, field: m, code: 'csv.missing_column', message: `the header has no "${m}" column` })),
    );
}

/** A bare date means 00:00 JST (the programme's day), a time without a zone is JST; else ISO 8601. */
export function parseDate(v: string): Date | null | 'bad' {
  if (!v) return null;
  const bare = /^(\d{4})[-/](\d{2})[-/](\d{2})$/.exec(v); // 2024-04-01 or 2024/04/01: the day in JST
  const noZone = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v); // a local time is JST too
  const d = new Date(bare ? `${bare[1]}-${bare[2]}-${bare[3]}T00:00:00+09:00` : noZone ? `${v.replace(' ', 'T')}+09:00` : v);
  return Number.isNaN(d.getTime()) ? 'bad' : d;
}
