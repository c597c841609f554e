import iconv from 'iconv-lite';
import { decodeText } from './decode-text';
import { InputError } from './input-error';

const UTF8_REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);

function countOf(buf: Buffer, needle: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + needle.length)) n++;
  return n;
}

/**
 * A small text file a person saved (an outcome report), decoded as lists are — a BOM, else UTF-8,
 * else Shift_JIS (CP932), UTF-16 by its BOM — but strictly: where the list reader keeps a row
 * with U+FFFD for bytes it cannot read, a file whose bytes are not text in any of these is
 * refused, with the line, so nothing is stored garbled.
 */
export async function decodeTextFile(bytes: Buffer, given: string | null = null): Promise<{ encoding: string; text: string }> {
  const d = await decodeText(
    (async function* () {
      yield bytes;
    })(),
    given,
  );
  let text = '';
  for await (const s of d.text) text += s;
  const own = d.encoding === 'utf-8' || d.encoding === 'utf-8-bom' ? countOf(bytes, UTF8_REPLACEMENT) : 0;
  let bad = 0;
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) bad++;
  if (bad > own) {
    const at = text.indexOf('\uFFFD');
    const line = text.slice(0, at).split('\n').length;
    throw new InputError(
      'file.undecodable',
      `line ${line} holds bytes that are not text in ${d.encoding === 'cp932' ? 'Shift_JIS (CP932)' : d.encoding} or UTF-8`,
    );
  }
  return { encoding: d.encoding, text };
}

/** How a CSV for a source or a member is written: UTF-8, UTF-8 with a BOM (Excel), or Shift_JIS (what Excel in Japan saves). */
export const TEXT_FORMATS = ['csv', 'excel', 'sjis'] as const;
export type TextFormat = (typeof TEXT_FORMATS)[number];

/**
 * CSV text in the chosen encoding, chunk by chunk (chunks end on whole rows, so no character
 * is split). Shift_JIS cannot hold every character: one it lacks is written as "?" by the
 * encoder, which is why UTF-8 with a BOM stays the default for Excel.
 */
export async function* encodeCsv(chunks: AsyncIterable<string> | Iterable<string>, format: TextFormat): AsyncGenerator<Buffer> {
  let first = true;
  for await (const s of chunks) {
    if (format === 'sjis') yield iconv.encode(s, 'cp932');
    else yield Buffer.from(first && format === 'excel' ? '\uFEFF' + s : s, 'utf8');
    first = false;
  }
  if (first && format === 'excel') yield Buffer.from('\uFEFF');
}

export const csvContentType = (format: TextFormat) => `text/csv; charset=${format === 'sjis' ? 'Shift_JIS' : 'utf-8'}`;
