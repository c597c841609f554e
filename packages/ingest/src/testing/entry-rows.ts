import fc from 'fast-check';
import type { EntryRow } from '../store/entry-copy-buffer';

/**
 * Random entry rows and a plain binary COPY writer for them, for the property tests of
 * EntryCopyBuffer, ThreadedEntryBuffer and their round trip through PostgreSQL.
 */

/** Strings as lists carry them, NUL excluded (text cannot hold it; parse-list drops it first). */
const unit = fc.oneof(
  { arbitrary: fc.constantFrom('a', 'z', '-', '.', ' ', '"', '\\', '\n', 'é', 'ゼ', 'ウ', 'ス', 'ｹ', '😀', '\u2028'), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\u0000'), weight: 1 },
);
/** a handful of names repeat, as in a list; others are one-offs (the name cache sees both) */
const malware = fc.oneof(fc.constantFrom('goz', 'vawtrak', 'ゼウス', 'ゲームオーバーゼウス', '😀bot'), fc.string({ unit, maxLength: 40 }));
const extra = fc
  .dictionary(fc.string({ unit, maxLength: 8 }), fc.string({ unit, maxLength: 30 }), { maxKeys: 4 })
  .map((o) => JSON.stringify(o));

const entryRow: fc.Arbitrary<EntryRow> = fc
  .record({
    listId: fc.integer({ min: 1, max: 2 ** 40 }),
    seq: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    rowNo: fc.constant(0),
    v6: fc.boolean(),
    // a few addresses only, so that rows share an address (and a first word) and sort on the rest
    w: fc.oneof(
      fc.tuple(
        fc.constantFrom(0, 1, 0x0a000001, 0xcb007101, 0xffffffff, 0x20010db8),
        fc.constantFrom(0, 1, 0xffffffff),
        fc.constantFrom(0, 7),
        fc.constantFrom(0, 1, 0x80000000),
      ),
      fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })),
    ),
    // times from about 855 to 3084: microseconds since 2000 stay exact in a double
    observedAt: fc.oneof(
      fc.constantFrom(Date.UTC(2000, 0, 1), Date.UTC(2015, 3, 20, 1, 15, 30), 0, -1, Date.UTC(2000, 0, 1) - 1),
      fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
    ),
    port: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: null }),
    malware: fc.option(malware, { nil: null }),
    extra: fc.option(extra, { nil: null }),
  })
  .map(({ v6, w, ...r }) => ({ ...r, family: v6 ? 6 : 4, w: v6 ? w : [w[0], 0, 0, 0] }));

/** Rows as a list numbers them: seq counts up from some start, row_no (file lines) goes up with gaps. */
export const entryRows = (maxLength: number): fc.Arbitrary<EntryRow[]> =>
  fc
    .tuple(
      fc.integer({ min: 1, max: 2 ** 31 - 1 - maxLength }),
      fc.array(fc.tuple(entryRow, fc.integer({ min: 1, max: 1000 })), { maxLength }),
    )
    .map(([first, rows]) => {
      let line = 0;
      return rows.map(([r, gap], i) => ({ ...r, seq: first + i, rowNo: (line += gap) }));
    });

const PG_EPOCH_US = BigInt(Date.UTC(2000, 0, 1)) * 1000n;

/** One row as binary COPY writes it, field by field with Buffer's own writers. */
function plainRow(r: EntryRow, seq: number): Buffer {
  const f: Buffer[] = [];
  const field = (b: Buffer | null) => {
    const len = Buffer.alloc(4);
    len.writeInt32BE(b === null ? -1 : b.length);
    f.push(len);
    if (b) f.push(b);
  };
  const int = (bytes: 4 | 8, v: number | bigint) => {
    const b = Buffer.alloc(bytes);
    if (bytes === 4) b.writeInt32BE(Number(v));
    else b.writeBigInt64BE(BigInt(v));
    return b;
  };
  field(int(8, r.listId));
  field(int(4, seq));
  field(int(4, r.rowNo));
  const addr = Buffer.alloc(r.family === 4 ? 4 : 16);
  for (let k = 0; k < addr.length / 4; k++) addr.writeUInt32BE(r.w[k] >>> 0, 4 * k);
  field(Buffer.concat([Buffer.from(r.family === 4 ? [2, 32, 0, 4] : [3, 128, 0, 16]), addr]));
  field(int(8, BigInt(r.observedAt) * 1000n - PG_EPOCH_US));
  field(r.port === null ? null : int(4, r.port));
  field(r.malware === null ? null : Buffer.from(r.malware, 'utf8'));
  field(r.extra === null ? null : Buffer.concat([Buffer.from([1]), Buffer.from(r.extra, 'utf8')]));
  const count = Buffer.alloc(2);
  count.writeInt16BE(8);
  return Buffer.concat([count, ...f]);
}

/** (IPv4 before IPv6, address, time), ties in the order added */
function compareRows(a: EntryRow, b: EntryRow): number {
  if (a.family !== b.family) return a.family - b.family;
  for (let k = 0; k < 4; k++) if (a.w[k] !== b.w[k]) return (a.w[k] >>> 0) - (b.w[k] >>> 0);
  return a.observedAt - b.observedAt;
}

/**
 * A window's binary COPY data written plainly: header, rows, trailer. Sorted: rows in
 * (address, time) order, their seq renumbered from the window's first seq.
 */
export function plainCopy(rows: EntryRow[], sorted: boolean): Buffer {
  const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
  const order = sorted ? [...rows].sort(compareRows) : rows;
  const body = order.map((r, j) => plainRow(r, sorted ? rows[0].seq + j : r.seq));
  return Buffer.concat([header, ...body, Buffer.from([0xff, 0xff])]);
}

/** Where a sequence of rows is cut into windows: sizes of 0 (an empty take) and more. */
export function windowsOf<T>(rows: T[], cuts: number[]): T[][] {
  const points = cuts.map((c) => c % (rows.length + 1)).sort((a, b) => a - b);
  const out: T[][] = [];
  let at = 0;
  for (const p of [...points, rows.length]) {
    out.push(rows.slice(at, p));
    at = p;
  }
  return out;
}

/**
 * Windows whose encoding fills its size bound to the byte (IPv6, a port, text of 3-byte
 * characters only, extra never null), the third one byte larger than the first: the memory of a
 * take two takes back is then one byte too small to be written into again.
 */
export function tightWindows(): EntryRow[][] {
  const row = (seq: number, malware: string): EntryRow => ({
    listId: 2 ** 40 + seq,
    seq,
    rowNo: seq,
    family: 6,
    w: [0x20010db8, seq, 0xffffffff, 1],
    observedAt: Date.UTC(2000, 0, 1) + seq,
    port: 65535,
    malware,
    extra: '',
  });
  return [[row(1, 'ゼ'.repeat(56))], [row(2, 'ウス'), row(3, '')], [row(4, 'ゼ'), row(5, ''), row(6, '')], [row(7, 'ス'.repeat(57))]];
}
