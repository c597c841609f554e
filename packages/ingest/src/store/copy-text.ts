/** Escapes a value for PostgreSQL's COPY text format. */
export function copyText(v: string | null | undefined): string {
  if (v == null) return '\\N';
  if (v.includes('\u0000')) v = v.replace(/\u0000/g, '');

  return /[\\\t\n\r]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v;
}
