import { Readable } from 'node:stream';
import { parse } from 'csv-parse';

export interface SourceRecord {
  fields: string[];
  /** 1-based data record number, header excluded */
  row: number;
  /** the file line the record starts on */
  line: number;
  raw: string;
}

export interface RecordStream {
  header: string[];
  records: AsyncIterable<SourceRecord>;
  encoding: string;
}

export class InputError extends Error {
  constructor(public code: string, message: string) {
    super(message);
  }
}

function detectDelimiter(firstLine: string): string {
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0][1] > 0 ? counts[0][0] : ',';
}

/**
 * Text (UTF-8) → records with their row and line numbers and raw text. The delimiter is detected
 * from the header line. Decoding of other encodings and containers happens before this.
 */
export async function readRecords(text: Readable, encoding = 'utf-8'): Promise<RecordStream> {
  const iter = text[Symbol.asyncIterator]();
  let head = '';
  const buffered: string[] = [];
  while (!head.includes('\n')) {
    const { value, done } = await iter.next();
    if (done) break;
    const s = typeof value === 'string' ? value : (value as Buffer).toString('utf8');
    buffered.push(s);
    head += s;
  }
  if (head.charCodeAt(0) === 0xfeff) buffered[0] = buffered[0].slice(1);
  const firstLine = head.replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '';
  if (firstLine.trim() === '') throw new InputError('file.empty', 'the file is empty or its first line (the header) is blank');
  const delimiter = detectDelimiter(firstLine);
  const rest = Readable.from(
    (async function* () {
      yield* buffered;
      for (;;) {
        const { value, done } = await iter.next();
        if (done) return;
        yield value;
      }
    })(),
  );
  const parser = rest.pipe(
    parse({ delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true, raw: true, bom: true }),
  );
  const it = parser[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) throw new InputError('file.empty', 'the file has no header line');
  const header = (first.value.record as string[]).map((h) => h.trim());
  const records = (async function* () {
    let row = 0;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      const { record, info, raw } = n.value as { record: string[]; info: { lines: number }; raw: string };
      row++;
      const rawText = raw.replace(/\r?\n$/, '');
      const lineCount = rawText.split('\n').length;
      yield { fields: record, row, line: info.lines - lineCount + 1, raw: rawText };
    }
  })();
  return { header, records, encoding };
}
