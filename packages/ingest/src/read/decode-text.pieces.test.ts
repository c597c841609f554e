import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { fcRuns } from '@deliveryline/shared/testing';
import { decodeText, lineChunks } from './decode-text';

/**
 * decodeText and lineChunks for bytes cut at arbitrary points (inside UTF-8 and CP932 characters,
 * inside CRLF, inside a BOM, inside UTF-16 surrogate pairs), with sniffed prefixes and decoded
 * pieces of any size: the text is what a plain decoder of the whole file gives — the encoding
 * judged from the BOM or the first `sniff` bytes, then each line by itself with TextDecoder or
 * iconv-lite (docs/ingest.md: a line valid as UTF-8 is UTF-8, in a CP932 file only if it also
 * holds a 3-byte sequence).
 */

const SNIFF = 64 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function plainLines(body: Buffer, mode: 'utf-8' | 'cp932'): string {
  let out = '';
  for (let start = 0; start < body.length;) {
    const nl = body.indexOf(10, start);
    const end = nl < 0 ? body.length : nl + 1;
    const line = body.subarray(start, end);
    const threeByte = line.some((b) => b >= 0xe0 && b <= 0xef);
    out += isUtf8(line) && (mode === 'utf-8' || threeByte) ? utf8.decode(line) : iconv.decode(line, 'cp932');
    start = end;
  }
  return out;
}

function plainDecode(bytes: Buffer, given: string | null, sniff: number): { encoding: string; text: string } {
  const boms: [number[], string][] = [
    [[0xef, 0xbb, 0xbf], 'utf-8-bom'],
    [[0xff, 0xfe], 'utf-16le'],
    [[0xfe, 0xff], 'utf-16be'],
  ];
  const bom = boms.find(([b]) => b.every((x, i) => bytes[i] === x));
  let encoding: string;
  if (bom) encoding = bom[1];
  else if (given) encoding = { shift_jis: 'cp932', 'utf-8': 'utf-8' }[given] ?? given;
  else {
    // the first `sniff` bytes (the whole file when shorter), up to their last line break
    const head = bytes.subarray(0, sniff);
    const judged = bytes.length < sniff ? head : head.subarray(0, head.lastIndexOf(10) + 1 || head.length);
    encoding = isUtf8(judged) ? 'utf-8' : 'cp932';
  }
  const body = bytes.subarray(bom ? bom[0].length : 0);
  if (encoding === 'utf-8' || encoding === 'utf-8-bom' || encoding === 'cp932') {
    return { encoding, text: plainLines(body, encoding === 'cp932' ? 'cp932' : 'utf-8') };
  }
  return { encoding, text: iconv.decode(body, encoding, { stripBOM: false }) };
}

function cutAt(b: Buffer, cuts: number[]): Buffer[] {
  const points = cuts.map((c) => c % (b.length + 1)).sort((x, y) => x - y);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of [...points, b.length]) {
    out.push(b.subarray(at, p)); // empty pieces too
    at = p;
  }
  return out;
}

async function decodePieces(pieces: Buffer[], given: string | null, sizes: { sniff?: number; piece?: number }) {
  const d = await decodeText(
    (async function* () {
      yield* pieces;
    })(),
    given,
    sizes,
  );
  let text = '';
  for await (const s of d.text) text += s;
  return { encoding: d.encoding, text };
}

// lines of characters of 1 to 4 bytes in UTF-8 and 1 or 2 in CP932 (表 ends in 0x5C), CRLF or LF
const jp = fc.constantFrom('a', ',', ' ', '1', '.', 'ゼ', 'ウ', 'ス', '表', 'ｹ', 'ﾞ', '―', '①');
const utf8Only = fc.constantFrom('é', '😀', 'ß');
const line = (unit: fc.Arbitrary<string>) => fc.tuple(fc.string({ unit, maxLength: 12 }), fc.constantFrom('\n', '\r\n', ''));
/** a line's bytes: UTF-8, CP932, or bytes valid in neither */
const lineBytes = fc.oneof(
  { arbitrary: line(fc.oneof(jp, utf8Only)).map(([t, br]) => Buffer.from(t + br, 'utf8')), weight: 4 },
  { arbitrary: line(jp).map(([t, br]) => iconv.encode(t + br, 'cp932')), weight: 3 },
  {
    arbitrary: fc
      .tuple(fc.uint8Array({ maxLength: 6 }), fc.constantFrom('\n', '\r\n'))
      .map(([b, br]) => Buffer.concat([Buffer.from(b), Buffer.from(br)])),
    weight: 1,
  },
);
const file = fc
  .tuple(fc.constantFrom<number[]>([], [], [0xef, 0xbb, 0xbf]), fc.array(lineBytes, { maxLength: 10 }))
  .map(([bom, lines]) => Buffer.concat([Buffer.from(bom), ...lines]));
const sizes = fc.record({
  sniff: fc.oneof(fc.integer({ min: 3, max: 80 }), fc.constant(undefined)),
  piece: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(undefined)),
});
const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('decodeText, bytes cut anywhere', () => {
  it('decodes UTF-8, CP932 and mixed files as a plain line-by-line decoder of the whole file does', async () => {
    await fc.assert(
      fc.asyncProperty(file, fc.constantFrom(null, null, 'shift_jis', 'utf-8'), sizes, cuts, async (bytes, given, sz, cs) => {
        const want = plainDecode(bytes, given, sz.sniff ?? SNIFF);
        expect(await decodePieces(cutAt(bytes, cs), given, sz)).toEqual(want);
      }),
      { numRuns: fcRuns(500) },
    );
  });

  it("gives back a UTF-8 file's text exactly, cut at every byte", async () => {
    const text = 'IPアドレス,観測日時\r\n220.102.13.163,2015/04/20 10:15:30,ゲームオーバーゼウス😀\r\n1.2.3.4,x\n';
    const bytes = Buffer.from(text);
    for (const bom of [false, true]) {
      const b = bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) : bytes;
      for (let i = 0; i <= b.length; i++) {
        expect((await decodePieces([b.subarray(0, i), b.subarray(i)], null, { sniff: 8, piece: 5 })).text).toBe(text);
      }
    }
  });

  it('judges exactly the first sniff bytes up to their last line break, for every sniff size and cut', async () => {
    // valid UTF-8 up to a line break, then CP932 (a file may end there, or go on)
    for (const tail of [Buffer.alloc(0), Buffer.from('\nx\n')]) {
      const bytes = Buffer.concat([Buffer.from('ab\nゼ\n'), iconv.encode('マﾃｿ', 'cp932'), tail]);
      for (let sniff = 3; sniff <= bytes.length + 1; sniff++) {
        for (let i = 0; i <= bytes.length; i++) {
          const got = await decodePieces([bytes.subarray(0, i), bytes.subarray(i)], null, { sniff, piece: 4 });
          expect({ sniff, i, ...got }).toEqual({ sniff, i, ...plainDecode(bytes, null, sniff) });
        }
      }
    }
  });

  it('decodes UTF-16 (with a BOM or given) as iconv-lite decodes the whole file', async () => {
    const unit = fc.constantFrom('a', '\t', '\r\n', '\n', 'ゼ', '😀', '\uFEFF');
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit, maxLength: 20 }),
        fc.constantFrom('utf-16le', 'utf-16be'),
        fc.boolean(),
        sizes,
        cuts,
        async (text, enc, bom, sz, cs) => {
          const body = iconv.encode(text, enc, { addBOM: false });
          const bytes = bom ? Buffer.concat([Buffer.from(enc === 'utf-16le' ? [0xff, 0xfe] : [0xfe, 0xff]), body]) : body;
          const given = bom ? null : enc;
          const got = await decodePieces(cutAt(bytes, cs), given, sz);
          // a text that starts with U+FEFF and no BOM: that first U+FEFF is taken as the BOM
          expect(got).toEqual({ encoding: enc, text: !bom && text.startsWith('\uFEFF') ? text.slice(1) : text });
        },
      ),
      { numRuns: fcRuns(500) },
    );
  });
});

describe('lineChunks', () => {
  it('yields whole lines only, and the text of the whole, for any cut and piece size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineBytes, { maxLength: 10 }),
        fc.constantFrom<'utf-8' | 'cp932'>('utf-8', 'cp932'),
        fc.integer({ min: 1, max: 40 }),
        cuts,
        async (lines, mode, piece, cs) => {
          const bytes = Buffer.concat(lines);
          const chunks: string[] = [];
          for await (const s of lineChunks(
            (async function* () {
              yield* cutAt(bytes, cs);
            })(),
            mode,
            piece,
          ))
            chunks.push(s);
          expect(chunks.join('')).toBe(plainLines(bytes, mode));
          // every chunk but the last ends a line
          for (const c of chunks.slice(0, -1)) expect(c.endsWith('\n')).toBe(true);
        },
      ),
      { numRuns: fcRuns(500) },
    );
  });
});
