/** The one definition of every figure (design.md "Figures"). Rates come from exact integer counts. */
export interface ListCounts {
  rowsRead: number;
  rejected: number;
  duplicates: number;
  received: number;
  delivered: number;
  returned: number;
}

/** delivered / received as a number, or null when nothing was received. */
export function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

/** 0.670... → "67.0%": one decimal, rounded half up on the exact ratio. */
export function formatRate(part: number, whole: number): string {
  if (whole === 0) return '–';
  const tenths = Math.floor((part * 1000) / whole + 0.5 + 1e-9);
  return `${Math.floor(tenths / 10)}.${tenths % 10}%`;
}

export function sumCounts(rows: ListCounts[]): ListCounts {
  const t: ListCounts = { rowsRead: 0, rejected: 0, duplicates: 0, received: 0, delivered: 0, returned: 0 };
  for (const r of rows) for (const k of Object.keys(t) as (keyof ListCounts)[]) t[k] += r[k];
  return t;
}

/** The invariants every list must satisfy once routed; returns the broken ones. */
export function checkCounts(c: ListCounts): string[] {
  const broken: string[] = [];
  if (c.rowsRead !== c.received + c.rejected + c.duplicates) broken.push('rowsRead = received + rejected + duplicates');
  if (c.received !== c.delivered + c.returned) broken.push('received = delivered + returned');
  return broken;
}
