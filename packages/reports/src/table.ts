import { csvLine } from '@deliveryline/shared';
import { formatRate } from '@deliveryline/shared';
import type { CampaignReport, ListFigures, TotalFigures } from './repositories/report.repository';
import { fmtInt, label, type LabelKey, type Lang } from './labels';

export interface TableRow {
  key: LabelKey;
  label: string;
  /** exact counts (null for rates) per column, total last */
  values: (number | null)[];
  cells: string[];
  rate: boolean;
}

export interface CampaignTable {
  columns: string[];
  rows: TableRow[];
}

type Col = ListFigures | TotalFigures;
const COUNT_ROWS: [LabelKey, (c: Col) => number][] = [
  ['received', (c) => c.received],
  ['delivered', (c) => c.delivered],
  ['returned', (c) => c.returned],
];
const LATER_ROWS: [LabelKey, (c: Col) => number][] = [
  ['rejected', (c) => c.rejected],
  ['duplicates', (c) => c.duplicates],
  ['notified', (c) => c.notified],
  ['notIdentified', (c) => c.notIdentified],
  ['unhandled', (c) => c.unhandled],
];

/**
 * The published GOZ table's layout: one column per round and a total; received, delivered,
 * returned, handling rate, then rejected, duplicates, notified, not identified, unhandled,
 * notify rate. `lang` undefined gives both languages in each label (the terminal default).
 */
export function campaignTable(r: CampaignReport, lang?: Lang): CampaignTable {
  const lab = (k: LabelKey, v: Record<string, string | number> = {}) =>
    lang ? label(lang, k, v) : `${label('en', k, v)} ${label('ja', k, v)}`;
  const columns = [...r.rounds.map((x) => (x.round != null ? lab('round', { n: x.round }) : lab('list', { n: x.listId }))), lab('total')];
  const all: Col[] = [...r.rounds, r.total];
  const num = (n: number) => (lang ? fmtInt(n, lang) : n.toLocaleString('en-US'));
  const count = ([k, f]: [LabelKey, (c: Col) => number]): TableRow => {
    const values = all.map(f);
    return { key: k, label: lab(k), values, cells: values.map(num), rate: false };
  };
  const rateRow = (k: LabelKey, part: (c: Col) => number, whole: (c: Col) => number): TableRow => ({
    key: k,
    label: lab(k),
    values: all.map(() => null),
    cells: all.map((c) => formatRate(part(c), whole(c))),
    rate: true,
  });
  return {
    columns,
    rows: [
      ...COUNT_ROWS.map(count),
      rateRow(
        'handlingRate',
        (c) => c.delivered,
        (c) => c.received,
      ),
      ...LATER_ROWS.map(count),
      rateRow(
        'notifyRate',
        (c) => c.notified,
        (c) => c.delivered,
      ),
    ],
  };
}

/** The table as CSV (UTF-8 with BOM so Excel in Japan opens it right): a row per figure, a column per round. */
export function campaignTableCsv(r: CampaignReport, lang: Lang): string {
  const t = campaignTable(r, lang);
  const numeric = new Set(t.columns.map((_, i) => i + 1));
  const lines = [csvLine(['', ...t.columns])];
  for (const row of t.rows) lines.push(csvLine([row.label, ...(row.rate ? row.cells : row.values)], numeric));
  return '\ufeff' + lines.join('');
}
