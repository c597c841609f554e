/**
 * Entries in PostgreSQL's binary COPY format, written straight into a growing buffer. Text
 * COPY made the server parse every inet and timestamptz from text, and the worker build a
 * string per row; in binary the server copies values and the worker writes numbers. Layout
 * per row: field count, then (length, bytes) per field; -1 is NULL.
 * Columns: list_id int8, seq int4, row_no int4, ip inet, observed_at timestamptz, port int4,
 * malware text, extra jsonb.
 */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO32 = 4294967296;
/** Offset of seq's value in a row: field count (2), list_id (4 + 8), seq's length (4). */
const SEQ_AT = 2 + 4 + 8 + 4;

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

export class EntryCopyBuffer {
  buf = Buffer.allocUnsafe(1 << 20);
  len = 0;
  rows = 0;
  // per row: where its bytes start, and its (ip, observed_at) key for the sort in take()
  private starts = new Uint32Array(1 << 16);
  private k0 = new Float64Array(1 << 16);
  private k1 = new Uint32Array(1 << 16);
  private k2 = new Uint32Array(1 << 16);
  private k3 = new Uint32Array(1 << 16);
  private kt = new Float64Array(1 << 16);
  /** `seq` of the window's first row: renumbering in take(true) starts here */
  private firstSeq = 1;
  /** take(true) writes here; what it returns is valid until the next take */
  private out = Buffer.allocUnsafe(0);

  private keepKey(r: EntryRow): void {
    const i = this.rows;
    if (i === this.starts.length) {
      const grow = <T extends Uint32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as { new (n: number): T })(a.length * 2);
        b.set(a);
        return b;
      };
      this.starts = grow(this.starts);
      this.k0 = grow(this.k0);
      this.k1 = grow(this.k1);
      this.k2 = grow(this.k2);
      this.k3 = grow(this.k3);
      this.kt = grow(this.kt);
    }
    this.starts[i] = this.len;
    if (i === 0) this.firstSeq = r.seq;
    const v4 = r.family === 4;
    // IPv4 before IPv6, then the address words: PostgreSQL's inet order for single addresses
    this.k0[i] = (v4 ? 0 : TWO32) + (r.w[0] >>> 0);
    this.k1[i] = v4 ? 0 : r.w[1];
    this.k2[i] = v4 ? 0 : r.w[2];
    this.k3[i] = v4 ? 0 : r.w[3];
    this.kt[i] = r.observedAt;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private int8(v: number): void {
    const hi = Math.floor(v / TWO32);
    this.buf.writeInt32BE(hi, this.len);
    this.buf.writeUInt32BE(v - hi * TWO32, this.len + 4);
    this.len += 8;
  }

  private text(s: string | null, jsonb = false): void {
    if (s === null) {
      this.buf.writeInt32BE(-1, this.len);
      this.len += 4;
      return;
    }
    const at = this.len;
    this.len += 4;
    if (jsonb) this.buf[this.len++] = 1; // jsonb binary format version 1: the JSON text follows
    const n = this.buf.write(s, this.len, 'utf8');
    this.len += n;
    this.buf.writeInt32BE(this.len - at - 4, at);
  }

  add(r: EntryRow): void {
    if (this.rows === 0) {
      this.ensure(19);
      SIGNATURE.copy(this.buf, 0);
      this.buf.writeInt32BE(0, 11); // flags
      this.buf.writeInt32BE(0, 15); // header extension length
      this.len = 19;
    }
    this.ensure(120 + ((r.malware?.length ?? 0) + (r.extra?.length ?? 0)) * 3);
    this.keepKey(r);
    const b = this.buf;
    b.writeInt16BE(8, this.len);
    b.writeInt32BE(8, this.len + 2);
    this.len += 6;
    this.int8(r.listId);
    b.writeInt32BE(4, this.len);
    b.writeInt32BE(r.seq, this.len + 4);
    b.writeInt32BE(4, this.len + 8);
    b.writeInt32BE(r.rowNo, this.len + 12);
    this.len += 16;
    // inet: family (2 = IPv4, 3 = IPv6), bits, is_cidr, address length, address
    const v4 = r.family === 4;
    b.writeInt32BE(v4 ? 8 : 20, this.len);
    b[this.len + 4] = v4 ? 2 : 3;
    b[this.len + 5] = v4 ? 32 : 128;
    b[this.len + 6] = 0;
    b[this.len + 7] = v4 ? 4 : 16;
    this.len += 8;
    b.writeUInt32BE(r.w[0] >>> 0, this.len);
    this.len += 4;
    if (!v4) {
      b.writeUInt32BE(r.w[1] >>> 0, this.len);
      b.writeUInt32BE(r.w[2] >>> 0, this.len + 4);
      b.writeUInt32BE(r.w[3] >>> 0, this.len + 8);
      this.len += 12;
    }
    // timestamptz: microseconds since 2000-01-01 UTC
    b.writeInt32BE(8, this.len);
    this.len += 4;
    this.int8((r.observedAt - PG_EPOCH_MS) * 1000);
    if (r.port === null) {
      b.writeInt32BE(-1, this.len);
      this.len += 4;
    } else {
      b.writeInt32BE(4, this.len);
      b.writeInt32BE(r.port, this.len + 4);
      this.len += 8;
    }
    this.text(r.malware);
    this.text(r.extra, true);
    this.rows++;
  }

  /**
   * Row indexes in (ip, observed_at) order. A comparator sort of 100k rows cost 40 ms a window
   * (a tenth of the worker's time in the ingest profile): rows are sorted natively on one number,
   * the address's first word with the row index in the low bits, and only runs that share that
   * word (IPv6 addresses of one /32, repeats of an IPv4 address) are sorted further.
   */
  private sortOrder(): Uint32Array {
    const n = this.rows;
    const { k0, k1, k2, k3, kt } = this;
    const order = new Uint32Array(n);
    const bits = Math.max(1, Math.ceil(Math.log2(n + 1)));
    const cmp = (a: number, b: number) => k0[a] - k0[b] || k1[a] - k1[b] || k2[a] - k2[b] || k3[a] - k3[b] || kt[a] - kt[b];
    if (bits > 20) { // k0 needs 33 bits of the 53 a double holds exactly
      for (let i = 0; i < n; i++) order[i] = i;
      return order.sort(cmp);
    }
    const scale = 2 ** bits;
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = k0[i] * scale + i;
    keys.sort();
    for (let j = 0; j < n; j++) order[j] = keys[j] - Math.floor(keys[j] / scale) * scale;
    for (let s = 0; s < n; ) {
      let e = s + 1;
      while (e < n && k0[order[e]] === k0[order[s]]) e++;
      if (e - s > 1) order.subarray(s, e).sort(cmp);
      s = e;
    }
    return order;
  }

  /**
   * The buffered rows with the trailer, ready for one COPY … (FORMAT binary); null when empty.
   * With `sorted`, rows go out in (ip, observed_at) order (see CopyWriter for why) and their `seq`
   * is renumbered in that order, keeping the window's range: ids (assigned in COPY order) and seq
   * then both ascend, so the `(list_id, seq)` index is appended to rather than filled at random.
   * File order stays in `row_no`.
   */
  take(sorted = false): Buffer | null {
    if (this.rows === 0) return null;
    let out: Buffer;
    if (!sorted) {
      this.ensure(2);
      out = this.buf.subarray(0, this.len + 2);
    } else {
      const n = this.rows;
      const order = this.sortOrder();
      const { starts } = this;
      // the previous window's output was sent before this one is taken (CopyWriter waits for
      // it): its buffer is reused, so a list does not leave a trail of window-sized garbage
      if (this.out.length < this.len + 2) this.out = Buffer.allocUnsafe(Math.max(this.len + 2, this.out.length * 2));
      out = this.out.subarray(0, this.len + 2);
      const src = this.buf;
      src.copy(out, 0, 0, 19);
      let at = 19;
      for (let j = 0; j < n; j++) {
        const i = order[j];
        const end = i + 1 < n ? starts[i + 1] : this.len;
        const row = at;
        // rows are ~50 bytes: a loop beats Buffer.copy's per-call cost
        for (let k = starts[i]; k < end; k++) out[at++] = src[k];
        out.writeInt32BE(this.firstSeq + j, row + SEQ_AT);
      }
    }
    out.writeInt16BE(-1, this.len);
    this.buf = sorted ? this.buf : Buffer.allocUnsafe(this.buf.length);
    this.len = 0;
    this.rows = 0;
    return out;
  }
}
