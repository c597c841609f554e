import fc from 'fast-check';
import { fcRuns } from '../testing/fc-runs';
import { BinaryCopyFields } from './binary-copy-fields';

/**
 * The stored-file reader's framing against a plain parser: a binary COPY stream of one bytea
 * column, split at every point or at arbitrary points (one-byte pieces included), gives exactly
 * the values the plain parser reads from the whole stream, each value whole.
 */

/** A binary COPY stream as PostgreSQL writes it: header (with an optional extension), one-field tuples, trailer. */
function copyStream(values: Uint8Array[], extension: Uint8Array = new Uint8Array(0)): Buffer {
  const head = Buffer.alloc(19 + extension.length);
  head.write('PGCOPY\n\xff\r\n\0', 0, 'latin1');
  head.writeUInt32BE(0, 11);
  head.writeUInt32BE(extension.length, 15);
  head.set(extension, 19);
  const tuples = values.map((v) => {
    const t = Buffer.alloc(6 + v.length);
    t.writeInt16BE(1, 0);
    t.writeInt32BE(v.length, 2);
    t.set(v, 6);
    return t;
  });
  return Buffer.concat([head, ...tuples, Buffer.from([0xff, 0xff])]);
}

/** The plain reader: offsets into the whole stream. */
function reference(b: Buffer): Buffer[] {
  if (b.toString('latin1', 0, 11) !== 'PGCOPY\n\xff\r\n\0') throw new Error('not a binary COPY stream');
  let at = 19 + b.readUInt32BE(15);
  const out: Buffer[] = [];
  for (;;) {
    const n = b.readInt16BE(at);
    at += 2;
    if (n === -1) return out;
    for (let f = 0; f < n; f++) {
      const len = b.readInt32BE(at);
      out.push(b.subarray(at + 4, at + 4 + len));
      at += 4 + len;
    }
  }
}

function readPieces(pieces: Buffer[]): Buffer[] {
  const r = new BinaryCopyFields();
  const out: Buffer[] = [];
  for (const p of pieces) out.push(...r.push(p).map((v) => Buffer.from(v)));
  r.end();
  return out;
}

function cutAt(b: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const p of [...points, b.length]) {
    pieces.push(b.subarray(at, p));
    at = p;
  }
  return pieces;
}

const hex = (bs: Buffer[]) => bs.map((b) => b.toString('hex'));
const value = fc.uint8Array({ maxLength: 40 });
const values = fc.array(value, { maxLength: 12 });
const extension = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 1, maxLength: 9 }));

describe('BinaryCopyFields', () => {
  it('reads the same values for the stream cut once at every point, and twice at every pair of points', () => {
    const stream = copyStream([Buffer.from('ab'), Buffer.alloc(0), Buffer.from([0xff, 0xff, 0, 1]), Buffer.from('c')], Buffer.from([7, 7]));
    const want = hex(reference(stream));
    expect(want).toEqual(['6162', '', 'ffff0001', '63']);
    for (let i = 0; i <= stream.length; i++) {
      expect(hex(readPieces([stream.subarray(0, i), stream.subarray(i)]))).toEqual(want);
      for (let j = i; j <= stream.length; j++) {
        expect(hex(readPieces([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)]))).toEqual(want);
      }
    }
    // one byte at a time
    expect(hex(readPieces([...stream].map((x) => Buffer.from([x]))))).toEqual(want);
  });

  it('reads exactly what the plain parser reads, however the stream is cut', () => {
    fc.assert(
      fc.property(values, extension, fc.array(fc.nat(), { maxLength: 30 }), (vs, ext, cuts) => {
        const stream = copyStream(vs, ext);
        const want = hex(reference(stream));
        expect(want).toEqual(hex(vs.map((v) => Buffer.from(v))));
        expect(hex(readPieces(cutAt(stream, cuts)))).toEqual(want);
      }),
      { numRuns: fcRuns(500) },
    );
  });

  it('hands over values only whole, and refuses a stream cut short at any point', () => {
    fc.assert(
      fc.property(values, fc.array(fc.nat(), { maxLength: 10 }), fc.nat(), (vs, cuts, cut) => {
        const stream = copyStream(vs);
        const short = stream.subarray(0, cut % stream.length);
        const r = new BinaryCopyFields();
        const got: Buffer[] = [];
        for (const p of cutAt(short, cuts)) got.push(...r.push(p).map((v) => Buffer.from(v)));
        // what came out is a prefix of the values, each whole
        expect(hex(got)).toEqual(hex(vs.slice(0, got.length).map((v) => Buffer.from(v))));
        expect(() => r.end()).toThrow(/ended early/);
      }),
      { numRuns: fcRuns(300) },
    );
  });

  it('refuses bytes that are not a binary COPY stream', () => {
    const bad = copyStream([Buffer.from('x')]);
    bad[7] = 0x0a; // the signature's \xff
    expect(() => readPieces([bad])).toThrow(/not a binary COPY stream/);
  });
});
