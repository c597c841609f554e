import fs from 'node:fs';
import { parse } from 'csv-parse/sync';

export interface RowError {
  line: number;
  field: string;
  message: string;
  code?: string;
}

export class ImportError extends Error {
  constructor(public file: string, public errors: RowError[]) {
    super(`${file}: ${errors.length} row(s) refused, nothing imported:\n` +
      errors.slice(0, 50).map((e) => `  line ${e.line}, ${e.field}: ${e.message}${e.code ? ` [${e.code}]` : ''}`).join('\n') +
      (errors.length > 50 ? `\n  … and ${errors.length - 50} more` : ''));
  }
}

export function readCsv(file: string): { header: string[]; rows: { line: number; rec: Record<string, string> }[] } {
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const records: string[][] = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true });
  const header = (records[0] ?? []).map((h) => h.toLowerCase());
  return {
    header,
    rows: records.slice(1).map((r, i) => ({ line: i + 2, rec: Object.fromEntries(header.map((h, k) => [h, r[k] ?? ''])) })),
  };
}

const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;

/** Refuses a file whose header lacks a required column. */
export function requireColumns(file: string, header: string[], need: string[]): void {
  const missing = need.filter((n) => !header.includes(n));
  if (missing.length) throw new ImportError(file, missing.map((m) => ({ line: 1, field: m, code: 'csv.missing_column', message: `the header has no "${m}" column` })));
}

/** A bare date means 00:00 JST (the programme's day); anything else must be ISO 8601 with a zone. */
export function parseDate(v: string): Date | null | 'bad' {
  if (!v) return null;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00+09:00` : v);
  return Number.isNaN(d.getTime()) ? 'bad' : d;
}

