import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { InputError } from './input-error';

/**
 * Bytes → text, never failing on a bad byte. The encoding is given (`--encoding`) or detected:
 * a BOM wins, else UTF-8 when the first 64 KiB are valid UTF-8, else CP932 (what Excel in Japan
 * saves). Text is decoded line by line where needed: 0x0A never occurs inside a CP932 or UTF-8
 * character, so a UTF-8 fragment pasted into a Shift_JIS file, or a Shift_JIS line in a UTF-8
 * file, is still read right, and bytes valid in neither become U+FFFD while the row is kept.
 */

export type Detected = 'utf-8' | 'utf-8-bom' | 'cp932' | 'utf-16le' | 'utf-16be' | string;

const SNIFF = 64 * 1024;
const PIECE = 64 * 1024;

/** Sizes the decoder works in (tests make them tiny): the sniffed prefix, and a decoded piece's size. */
export interface DecodeSizes {
  sniff?: number;
  piece?: number;
}

export function normaliseEncodingName(name: string): string {
  const n = name.trim().toLowerCase().replace(/_/g, '-');
  if (['sjis', 'shift-jis', 'shiftjis', 'cp932', 'windows-31j', 'ms932', 'x-sjis'].includes(n)) return 'cp932';
  if (['utf8', 'utf-8'].includes(n)) return 'utf-8';
  if (!iconv.encodingExists(n)) {
    throw new InputError('list.bad_encoding', `unknown encoding "${name}"; use utf-8, shift_jis (cp932), euc-jp or utf-16le`);
  }
  return n;
}

function detect(head: Buffer, sniff: number): { encoding: Detected; skip: number } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8-bom', skip: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', skip: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', skip: 2 };
  // the first `sniff` bytes exactly (the head read may run past them, as far as its last piece
  // did), which may end inside a character: judge them up to their last line break
  const first = head.subarray(0, sniff);
  const cut = head.length < sniff ? head.length : first.lastIndexOf(10) + 1 || first.length;
  return { encoding: isUtf8(first.subarray(0, cut)) ? 'utf-8' : 'cp932', skip: 0 };
}

const hasUtf8Multibyte = (b: Buffer) => {
  for (let i = 0; i < b.length; i++) if (b[i] >= 0xe0 && b[i] <= 0xef) return true;
  return false;
};

/** Decodes one chunk of whole lines (ends after a 0x0A, or is the last chunk). */
function decodeLines(chunk: Buffer, mode: 'utf-8' | 'cp932'): string {
  if (mode === 'utf-8' && isUtf8(chunk)) return chunk.toString('utf8');
  let ascii = true;
  for (let i = 0; i < chunk.length; i++) {
    if (chunk[i] > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return chunk.toString('latin1');
  let out = '';
  let start = 0;
  while (start < chunk.length) {
    let nl = chunk.indexOf(10, start);
    nl = nl < 0 ? chunk.length : nl + 1;
    const line = chunk.subarray(start, nl);
    // a line valid as UTF-8 is UTF-8, except in a CP932 file where it must also hold a
    // 3-byte sequence (Japanese in UTF-8): short CP932 runs can look like valid UTF-8
    const utf8 = isUtf8(line) && (mode === 'utf-8' || hasUtf8Multibyte(line));
    out += utf8 ? line.toString('utf8') : iconv.decode(line, 'cp932');
    start = nl;
  }
  return out;
}

export interface DecodedText {
  encoding: Detected;
  text: AsyncIterable<string>;
}

export async function decodeText(
  bytes: AsyncIterable<Buffer>,
  given: string | null,
  sizes: DecodeSizes & { maxLineBytes?: number } = {},
): Promise<DecodedText> {
  const { sniff = SNIFF, piece = PIECE } = sizes;
  const it = bytes[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  let done = false;
  while (head.length < sniff) {
    const n = await it.next();
    if (n.done) {
      done = true;
      break;
    }
    head = head.length ? Buffer.concat([head, n.value]) : n.value;
  }
  const found = detect(head, sniff);
  const want = given ? normaliseEncodingName(given) : null;
  let encoding: Detected = found.encoding;
  const skip = found.skip;
  // a byte order mark is the file's own statement and wins over a contradicting --encoding
  if (want && found.skip === 0) encoding = want;
  const rest = async function* () {
    if (head.length > skip) yield skip ? head.subarray(skip) : head;
    if (done) return;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  };
  if (encoding === 'utf-8' || encoding === 'utf-8-bom' || encoding === 'cp932') {
    const mode = encoding === 'cp932' ? 'cp932' : 'utf-8';
    return { encoding, text: lineChunks(rest(), mode, piece, sizes.maxLineBytes ?? 1 << 20) };
  }
  // other encodings (UTF-16, EUC-JP, ...): iconv-lite's stateful decoder, chunk by chunk
  // a byte order mark is dropped once, at the start of the text: skipped above when detected,
  // else by the first text decoded; a U+FEFF anywhere else is text
  const dec = iconv.getDecoder(encoding, { stripBOM: false });
  let atStart = skip === 0;
  const text = (s: string) => {
    const t = atStart && s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
    atStart = false;
    return t;
  };
  return {
    encoding,
    text: (async function* () {
      for await (const b of rest()) {
        const s = dec.write(b);
        if (s) yield text(s);
      }
      const tail = dec.end();
      if (tail) yield text(tail);
    })(),
  };
}

export const lineTooLong = (where: string, maxLine: number) =>
  new InputError(
    'file.line_too_long',
    `${where} is longer than INGEST_MAX_LINE_BYTES (${maxLine}) without a line break; ` +
      'this is not a list of rows (a binary file, or its line breaks were lost): send the list as CSV, TSV or .xlsx',
  );

export async function* lineChunks(
  bytes: AsyncIterable<Buffer>,
  mode: 'utf-8' | 'cp932',
  piece = PIECE,
  maxLine = 1 << 20,
): AsyncGenerator<string> {
  // the line still open at the end of the pieces read so far: kept as pieces, joined once when it
  // ends, so a long line costs its length and not its length squared
  let carry: Buffer[] = [];
  let carryLength = 0;
  let offset = 0; // bytes before the open line
  for await (const b of bytes) {
    const first = b.indexOf(10);
    if (first < 0 || carryLength + first > maxLine) {
      if (carryLength + (first < 0 ? b.length : first) > maxLine) throw lineTooLong(`the line at byte ${offset}`, maxLine);
      carry.push(b);
      carryLength += b.length;
      continue;
    }
    const buf: Buffer = carry.length ? Buffer.concat([...carry, b]) : b;
    const last = buf.lastIndexOf(10);
    if (b.length > maxLine) {
      // only a piece longer than the bound can hold a whole line longer than it
      for (let p = 0, nl = buf.indexOf(10); nl >= 0 && nl <= last; p = nl + 1, nl = buf.indexOf(10, p)) {
        if (nl - p > maxLine) throw lineTooLong(`the line at byte ${offset + p}`, maxLine);
      }
    }
    offset += last + 1;
    carry = last + 1 < buf.length ? [buf.subarray(last + 1)] : [];
    carryLength = buf.length - last - 1;
    // pieces of ~64 KiB: the records of one piece are processed while they are young, so the
    // garbage collector does not copy a megabyte's worth of rows around
    let start = 0;
    while (start <= last) {
      let end = start + piece >= last ? last : buf.lastIndexOf(10, start + piece);
      if (end < start) end = buf.indexOf(10, start + piece);
      yield decodeLines(buf.subarray(start, end + 1), mode);
      start = end + 1;
    }
  }
  if (carryLength) yield decodeLines(carry.length === 1 ? carry[0] : Buffer.concat(carry), mode);
}
