/**
 * Entries in PostgreSQL's binary COPY format. Text COPY made the server parse every inet and
 * timestamptz from text, and the worker build a string per row; in binary the server copies
 * values and the worker writes numbers. Layout per row: field count, then (length, bytes) per
 * field; -1 is NULL.
 * Columns: list_id int8, seq int4, row_no int4, ip inet, observed_at timestamptz, port int4,
 * malware text, extra jsonb.
 *
 * Rows are kept as columns (typed arrays, and the two strings) until they are encoded, once, in
 * the order they go out: sorting encoded rows meant copying every byte a second time (a loop over
 * 50 MB per million entries, 0.5 s of the ingest worker's profile). A big list's windows are
 * encoded in a thread of their own (entry-encoder.ts).
 */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO32 = 4294967296;
/** Bytes of a row without its strings' text: count 2, list_id 12, seq 8, row_no 8, inet 24, time 12, port 8, malware 4, extra 5. */
const ROW_FIXED = 2 + 12 + 8 + 8 + 24 + 12 + 8 + 4 + 5;
/** Distinct malware names whose UTF-8 bytes are kept (a list names a handful; a pasted blob must not grow it). */
const NAME_CACHE = 4096;

export interface EntryRow {
  listId: number;
  seq: number;
  rowNo: number;
  family: 4 | 6;
  w: readonly number[];
  observedAt: number;
  port: number | null;
  malware: string | null;
  extra: string | null;
}

/** big-endian 32 bits (a Uint8Array store keeps the low 8 bits of its value) */
function w32(o: Buffer, at: number, v: number): void {
  o[at] = v >>> 24;
  o[at + 1] = v >>> 16;
  o[at + 2] = v >>> 8;
  o[at + 3] = v;
}

function w64(o: Buffer, at: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  w32(o, at, hi);
  w32(o, at + 4, v - hi * TWO32);
}

/** A window's rows as columns: what EntryColumns holds, and what goes to the encoding thread. */
export interface ColumnData {
  rows: number;
  /** `seq` of the window's first row: renumbering in a sorted encode starts here */
  firstSeq: number;
  /** an upper bound of the strings' UTF-8 bytes */
  textBytes: number;
  listIds: Float64Array;
  seqs: Int32Array;
  rowNos: Int32Array;
  /** the sort key, and the address: IPv4 before IPv6 (k0 ≥ 2^32), then the address words */
  k0: Float64Array;
  k1: Uint32Array;
  k2: Uint32Array;
  k3: Uint32Array;
  kt: Float64Array;
  /** -1 is NULL */
  ports: Int32Array;
  malware: (string | null)[];
  extra: (string | null)[];
}

/** The typed arrays of a ColumnData (handed to the encoding thread and back without a copy). */
export const COLUMN_ARRAYS = ['listIds', 'seqs', 'rowNos', 'k0', 'k1', 'k2', 'k3', 'kt', 'ports'] as const;

// the class declares its fields through this interface (merged), so that they are listed once
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface EntryColumns extends ColumnData {}

/** Rows kept as columns until they are encoded. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class EntryColumns {
  rows = 0;
  firstSeq = 1;
  textBytes = 0;
  malware: (string | null)[] = [];
  extra: (string | null)[] = [];

  /** New columns, or empty ones over the arrays of columns already encoded (`reuse`). */
  constructor(reuse?: Pick<ColumnData, (typeof COLUMN_ARRAYS)[number]>, cap = 1 << 16) {
    this.listIds = reuse?.listIds ?? new Float64Array(cap);
    this.seqs = reuse?.seqs ?? new Int32Array(cap);
    this.rowNos = reuse?.rowNos ?? new Int32Array(cap);
    this.k0 = reuse?.k0 ?? new Float64Array(cap);
    this.k1 = reuse?.k1 ?? new Uint32Array(cap);
    this.k2 = reuse?.k2 ?? new Uint32Array(cap);
    this.k3 = reuse?.k3 ?? new Uint32Array(cap);
    this.kt = reuse?.kt ?? new Float64Array(cap);
    this.ports = reuse?.ports ?? new Int32Array(cap);
  }

  private grow(): void {
    const g = <T extends Uint32Array | Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as { new (n: number): T })(a.length * 2);
      b.set(a);
      return b;
    };
    this.listIds = g(this.listIds);
    this.seqs = g(this.seqs);
    this.rowNos = g(this.rowNos);
    this.k0 = g(this.k0);
    this.k1 = g(this.k1);
    this.k2 = g(this.k2);
    this.k3 = g(this.k3);
    this.kt = g(this.kt);
    this.ports = g(this.ports);
  }

  add(r: EntryRow): void {
    const i = this.rows;
    if (i === this.kt.length) this.grow();
    if (i === 0) this.firstSeq = r.seq;
    const v4 = r.family === 4;
    this.listIds[i] = r.listId;
    this.seqs[i] = r.seq;
    this.rowNos[i] = r.rowNo;
    this.k0[i] = (v4 ? 0 : TWO32) + (r.w[0] >>> 0);
    this.k1[i] = v4 ? 0 : r.w[1];
    this.k2[i] = v4 ? 0 : r.w[2];
    this.k3[i] = v4 ? 0 : r.w[3];
    this.kt[i] = r.observedAt;
    this.ports[i] = r.port ?? -1;
    this.malware[i] = r.malware;
    this.extra[i] = r.extra;
    if (r.malware !== null) this.textBytes += r.malware.length * 3;
    if (r.extra !== null) this.textBytes += r.extra.length * 3;
    this.rows++;
  }

  /** Empties the columns (their arrays are kept for the next rows). */
  clear(): void {
    this.rows = 0;
    this.textBytes = 0;
    this.malware = [];
    this.extra = [];
  }
}

/**
 * Row indexes in (ip, observed_at) order. A comparator sort of 100k rows cost 40 ms a window
 * (a tenth of the worker's time in the ingest profile): rows are sorted natively on one number,
 * the address's first word with the row index in the low bits, and only runs that share that
 * word (IPv6 addresses of one /32, repeats of an IPv4 address) are sorted further.
 */
function sortOrder(c: ColumnData): Uint32Array {
  const n = c.rows;
  const { k0, k1, k2, k3, kt } = c;
  const order = new Uint32Array(n);
  const bits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const cmp = (a: number, b: number) => k0[a] - k0[b] || k1[a] - k1[b] || k2[a] - k2[b] || k3[a] - k3[b] || kt[a] - kt[b];
  if (bits > 20) {
    // k0 needs 33 bits of the 53 a double holds exactly
    for (let i = 0; i < n; i++) order[i] = i;
    return order.sort(cmp);
  }
  const scale = 2 ** bits;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = k0[i] * scale + i;
  keys.sort();
  for (let j = 0; j < n; j++) order[j] = keys[j] - Math.floor(keys[j] / scale) * scale;
  for (let s = 0; s < n;) {
    let e = s + 1;
    while (e < n && k0[order[e]] === k0[order[s]]) e++;
    if (e - s > 1) order.subarray(s, e).sort(cmp);
    s = e;
  }
  return order;
}

/** The UTF-8 bytes of the malware names met so far (a list names a handful). */
export type NameCache = Map<string, Buffer>;

/** Writes a text field (jsonb: version byte 1, then the JSON text); returns where the next field starts. */
function text(o: Buffer, at: number, s: string | null, names: NameCache | null): number {
  if (s === null) {
    w32(o, at, -1);
    return at + 4;
  }
  let p = at + 4;
  if (names === null) o[p++] = 1; // jsonb
  let n: number;
  const known = names?.get(s);
  if (known) {
    n = known.length;
    for (let k = 0; k < n; k++) o[p + k] = known[k];
  } else {
    n = o.write(s, p, 'utf8');
    if (names !== null && names.size < NAME_CACHE) names.set(s, Buffer.from(o.subarray(p, p + n)));
  }
  w32(o, at, p + n - at - 4);
  return p + n;
}

/** Bytes the encoding of `c` may take at most. */
export const encodedSize = (c: ColumnData): number => 19 + c.rows * ROW_FIXED + c.textBytes + 2;

/**
 * The rows with the header and trailer, ready for one COPY … (FORMAT binary), written into `o`
 * (at least encodedSize bytes); returns the part written. With `sorted`, rows go out in
 * (ip, observed_at) order (see ListWriter for why) and their `seq` is renumbered in that order,
 * keeping the window's range: ids (assigned in COPY order) and seq then both ascend, so the
 * `(list_id, seq)` index is appended to rather than filled at random. File order stays in `row_no`.
 */
export function encodeColumns(c: ColumnData, sorted: boolean, o: Buffer, names: NameCache): Buffer {
  const n = c.rows;
  const order = sorted ? sortOrder(c) : null;
  const { listIds, seqs, rowNos, k0, k1, k2, k3, kt, ports, malware, extra, firstSeq } = c;
  SIGNATURE.copy(o, 0);
  w32(o, 11, 0); // flags
  w32(o, 15, 0); // header extension length
  let at = 19;
  for (let j = 0; j < n; j++) {
    const i = order === null ? j : order[j];
    o[at] = 0;
    o[at + 1] = 8;
    w32(o, at + 2, 8);
    w64(o, at + 6, listIds[i]);
    w32(o, at + 14, 4);
    w32(o, at + 18, order === null ? seqs[i] : firstSeq + j);
    w32(o, at + 22, 4);
    w32(o, at + 26, rowNos[i]);
    at += 30;
    // inet: family (2 = IPv4, 3 = IPv6), bits, is_cidr, address length, address
    const v4 = k0[i] < TWO32;
    w32(o, at, v4 ? 8 : 20);
    o[at + 4] = v4 ? 2 : 3;
    o[at + 5] = v4 ? 32 : 128;
    o[at + 6] = 0;
    o[at + 7] = v4 ? 4 : 16;
    w32(o, at + 8, k0[i]); // the low 32 bits: the family's 2^32 falls away
    if (v4) at += 12;
    else {
      w32(o, at + 12, k1[i]);
      w32(o, at + 16, k2[i]);
      w32(o, at + 20, k3[i]);
      at += 24;
    }
    // timestamptz: microseconds since 2000-01-01 UTC
    w32(o, at, 8);
    w64(o, at + 4, (kt[i] - PG_EPOCH_MS) * 1000);
    at += 12;
    const port = ports[i];
    if (port < 0) {
      w32(o, at, -1);
      at += 4;
    } else {
      w32(o, at, 4);
      w32(o, at + 4, port);
      at += 8;
    }
    at = text(o, at, malware[i], names);
    at = text(o, at, extra[i], null);
  }
  o[at] = 0xff;
  o[at + 1] = 0xff;
  return o.subarray(0, at + 2);
}

/** What a sorted take returns stays valid for this many takes: its memory is then written into again. */
export const TAKES_KEPT = 2;

/** Entries encoded in the caller's thread (small lists, and a big list's first window). */
export class EntryCopyBuffer {
  private cols: EntryColumns;
  /** sorted takes write into these in turn (TAKES_KEPT) */
  private outs: Buffer[] = [];
  private turn = 0;
  private names: NameCache = new Map();

  /** `rows`: the columns' first capacity (they grow past it) */
  constructor(rows = 1 << 16) {
    this.cols = new EntryColumns(undefined, rows);
  }

  get rows(): number {
    return this.cols.rows;
  }

  add(r: EntryRow): void {
    this.cols.add(r);
  }

  /**
   * The buffered rows, encoded (encodeColumns); null when empty. A sorted take's memory is
   * written into again TAKES_KEPT takes later; an unsorted take's is the caller's.
   */
  take(sorted = false): Buffer | null {
    if (this.cols.rows === 0) return null;
    const size = encodedSize(this.cols);
    let o: Buffer;
    if (sorted) {
      const t = this.turn;
      this.turn = (t + 1) % TAKES_KEPT;
      const had = this.outs[t]?.length ?? 0;
      if (had < size) this.outs[t] = Buffer.allocUnsafe(Math.max(size, had * 2));
      o = this.outs[t];
    } else o = Buffer.allocUnsafe(size);
    const done = encodeColumns(this.cols, sorted, o, this.names);
    this.cols.clear();
    return done;
  }
}
