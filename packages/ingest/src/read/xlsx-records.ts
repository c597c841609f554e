import type { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { InputError } from './input-error';

/**
 * The first worksheet of an .xlsx, row by row, as text fields: exceljs's streaming reader
 * (never the whole workbook in memory). Dates are written back as the wall-clock text the
 * cell shows (`2015-04-20 10:15:30`): Excel stores no time zone, so the list's zone applies
 * exactly as for a CSV typed by the same person. `line` is the sheet's row number.
 */

export interface SheetRow {
  fields: string[];
  line: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function dateText(d: Date): string {
  if (Number.isNaN(d.getTime())) return '';
  const ms = d.getUTCMilliseconds();
  // Excel keeps fractions of a second as binary floats: round to the second unless it is meant
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return `${base}:${pad(d.getUTCSeconds())}${ms && ms !== 999 && ms !== 1 ? '.' + pad(ms, 3) : ''}`;
}

export function cellText(v: unknown): string {
  if (v == null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) return dateText(v);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.richText)) return (o.richText as { text: string }[]).map((r) => r.text).join('');
    if ('result' in o) return cellText(o.result);
    if ('text' in o) return cellText(o.text);
    if ('error' in o) return String(o.error);
  }
  return String(v);
}

/**
 * exceljs unzips the workbook itself, so the decompressed bound is kept on the text it yields:
 * past `maxBytes` characters of cells the file fails as any other too-large file.
 */
export async function* xlsxRows(stream: Readable, maxBytes = Number.MAX_SAFE_INTEGER): AsyncGenerator<SheetRow> {
  let total = 0;
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(stream, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'emit',
  });
  try {
    for await (const sheet of reader) {
      for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
        const values = row.values as unknown[];
        const fields: string[] = [];
        for (let i = 1; i < values.length; i++) {
          const t = cellText(values[i]);
          total += t.length + 1;
          fields.push(t);
        }
        if (total > maxBytes) {
          throw new InputError(
            'file.too_large',
            `the first sheet holds more than MAX_UPLOAD_BYTES (${maxBytes} bytes) of text; split the list or raise MAX_UPLOAD_BYTES`,
          );
        }
        yield { fields, line: row.number };
      }
      return; // the first sheet only
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(
      'file.bad_xlsx',
      `the workbook cannot be read (${(err as Error).message}); save it again from Excel as .xlsx or CSV`,
    );
  }
}
