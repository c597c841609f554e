import type { Queryable } from '@deliveryline/shared';
import { CsvTokenizer, detectDelimiter, type TokenizedRecord } from './csv-tokenizer';
import { decodeText, lineTooLong } from './decode-text';
import { InputError } from './input-error';
import { openInput, type Input } from './open-input';
import { xlsxRows } from './xlsx-records';
import { paced, type Deadline } from './paced';

export { InputError } from './input-error';

export interface SourceRecord {
  fields: string[];
  /** 1-based data record number, header excluded */
  row: number;
  /** the file line (sheet row for .xlsx) the record starts on */
  line: number;
  raw: string;
  /** a record that could not be read as CSV: the reason code (its fields are empty) */
  broken?: TokenizedRecord['broken'];
}

export interface RecordSource {
  header: string[];
  /** records after the header, a batch at a time (one decoded chunk), in file order */
  batches: AsyncIterable<SourceRecord[]>;
  /** what was read: e.g. `zip(list.csv)/cp932/csv(;)` */
  format: string;
  encoding: string;
  /** Stops reading and gives back the connection the stored file is read through (see Input.close). */
  close(): void;
}

export interface ReadOptions {
  encoding?: string | null;
  maxBytes: number;
  /** tells a header row from a title line above it; the first of the first 10 records it accepts is the header */
  isHeader?: (fields: string[]) => boolean;
  /** longest line (bytes, or characters of text decoded otherwise) before the file fails `file.line_too_long` */
  maxLineBytes?: number;
  /** bounds on an .xlsx's shared strings and styles parts (decompressed bytes) */
  xlsx?: { maxSharedStringsBytes: number; maxStylesBytes: number };
  /** reading past this fails the list `list.time_limit` (checked at every piece read) */
  deadline?: Deadline;
}

export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

const HEADER_SEARCH = 10;

/** Stored file → header and numbered records, for every container, encoding and layout accepted. */
export async function openRecords(db: Queryable, sha256: Buffer, opt: ReadOptions): Promise<RecordSource> {
  const input = await openInput(db, sha256, { maxBytes: opt.maxBytes, xlsx: opt.xlsx });
  try {
    return { ...(await readRecords(input, opt)), close: input.close };
  } catch (err) {
    input.close();
    throw err;
  }
}

async function readRecords(input: Input, opt: ReadOptions): Promise<Omit<RecordSource, 'close'>> {
  const where =
    input.container === 'plain' || input.container === 'xlsx' ? '' : `${input.container}${input.inner ? `(${input.inner})` : ''}/`;
  if (input.kind === 'xlsx') {
    const rows = paced(xlsxRows(input.stream, opt.maxBytes), opt.deadline);
    const batches = async function* () {
      for await (const r of rows) yield [{ fields: r.fields, row: 0, line: r.line, raw: rawOf(r.fields) }];
    };
    return withHeader(batches(), opt, `${where}xlsx`, 'xlsx');
  }
  const maxLine = opt.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const { encoding, text } = await decodeText(paced(input.bytes, opt.deadline), opt.encoding ?? null, { maxLineBytes: maxLine });
  const it = text[Symbol.asyncIterator]();
  const { early, firstLine, ended } = await firstNonBlankLine(it, maxLine);
  if (firstLine === null) throw new InputError('file.empty', 'the file is empty: it has no header line');
  const delimiter = detectDelimiter(firstLine);
  const tok = new CsvTokenizer(delimiter);
  const batches = async function* () {
    for (const piece of early) yield tok.push(piece);
    if (!ended) {
      for (;;) {
        const n = await it.next();
        if (n.done) break;
        yield tok.push(n.value);
      }
    }
    yield tok.end();
  };
  const name = delimiter === '\t' ? 'tsv' : `csv(${delimiter})`;
  return withHeader(batches(), opt, `${where}${encoding}/${name}`, encoding);
}

/**
 * Reads text until it holds a line that is not blank: the delimiter is judged on it. Each piece is
 * looked at once (a search over everything read so far, again at every piece, was quadratic: one
 * small upload without a line break kept the worker busy for hours), and a line longer than
 * `maxLine` characters fails the file, as do more than `maxLine` characters of blank lines above it.
 */
async function firstNonBlankLine(
  it: AsyncIterator<string>,
  maxLine: number,
): Promise<{ early: string[]; firstLine: string | null; ended: boolean }> {
  const early: string[] = [];
  let line: string[] = [];
  let lineLength = 0;
  let lineNo = 1;
  let nonBlank = false;
  let total = 0;
  for (;;) {
    const n = await it.next();
    if (n.done) return { early, firstLine: nonBlank ? line.join('') : null, ended: true };
    const piece = n.value;
    early.push(piece);
    total += piece.length;
    let p = 0;
    for (;;) {
      const nl = piece.indexOf('\n', p);
      const part = piece.slice(p, nl < 0 ? piece.length : nl);
      line.push(part);
      lineLength += part.length;
      if (!nonBlank && /\S/.test(part)) nonBlank = true;
      if (nl < 0) break;
      if (nonBlank) return { early, firstLine: line.join(''), ended: false };
      line = [];
      lineLength = 0;
      lineNo++;
      p = nl + 1;
    }
    if (lineLength > maxLine) throw lineTooLong(`line ${lineNo}`, maxLine);
    if (total > maxLine) {
      throw new InputError('file.empty', `the first ${lineNo - 1} lines of the file are blank; the header line must come first`);
    }
  }
}

async function withHeader(
  src: AsyncIterable<Omit<SourceRecord, 'row'>[]>,
  opt: ReadOptions,
  format: string,
  encoding: string,
): Promise<Omit<RecordSource, 'close'>> {
  const it = src[Symbol.asyncIterator]();
  const early: Omit<SourceRecord, 'row'>[] = [];
  let ended = false;
  while (early.length < HEADER_SEARCH) {
    const n = await it.next();
    if (n.done) {
      ended = true;
      break;
    }
    for (const r of n.value) if (r.broken || !isBlank(r.fields)) early.push(r);
  }
  let h = early.findIndex((r) => !r.broken && (opt.isHeader?.(r.fields) ?? true));
  if (h < 0) h = early.findIndex((r) => !r.broken);
  if (h < 0) throw new InputError('file.empty', 'the file has no header line');
  const header = early[h].fields.map((f) => f.trim());
  let row = 0;
  const number = (rs: Omit<SourceRecord, 'row'>[]): SourceRecord[] => {
    const out: SourceRecord[] = [];
    for (const r of rs) {
      // a row of empty cells (`,,,,` as Excel saves it) is a blank line, not a record
      if (!r.broken && isBlank(r.fields)) continue;
      out.push({ fields: r.fields, line: r.line, raw: r.raw, broken: r.broken, row: ++row });
    }
    return out;
  };
  const batches = (async function* () {
    const rest = number(early.slice(h + 1));
    if (rest.length) yield rest;
    if (ended) return;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      const b = number(n.value);
      if (b.length) yield b;
    }
  })();
  return { header, batches, format, encoding };
}

function isBlank(fields: string[]): boolean {
  for (const f of fields) if (f !== '' && f.trim() !== '') return false;
  return true;
}

/** A sheet row written as one CSV line, for rejects and returned files. */
function rawOf(fields: string[]): string {
  return fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
}
