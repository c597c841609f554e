/**
 * CSV cells that a spreadsheet will not execute: a text cell starting with = + - @ tab or CR
 * (or their full-width forms ＝ ＋ － ＠, which Japanese spreadsheet setups may convert) is
 * prefixed with a single quote (OWASP's advice for CSV injection), then quoted as RFC 4180 asks.
 * Numbers written as numbers (e.g. a port) are left alone.
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

export function csvCell(v: unknown, opts: { numeric?: boolean } = {}): string {
  if (v == null) return '';
  let s = String(v);
  if (!opts.numeric && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: unknown[], numericCols: ReadonlySet<number> = new Set()): string {
  return cells.map((c, i) => csvCell(c, { numeric: numericCols.has(i) && typeof c === 'number' })).join(',') + '\r\n';
}
