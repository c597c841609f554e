import { EntryCopyBuffer, type EntryRow } from './entry-copy-buffer';

const row = (seq: number, family: 4 | 6, w: number[], observedAt: number): EntryRow => ({
  listId: 1,
  seq,
  rowNo: seq,
  family,
  w,
  observedAt,
  port: seq % 3 ? 80 : null,
  malware: seq % 2 ? 'goz' : null,
  extra: seq % 4 ? null : '{"a":"b"}',
});

/** Splits a binary COPY payload into its rows' bytes (the first field after the count is list_id). */
function rowsOf(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 19;
  while (b.readInt16BE(at) !== -1) {
    const start = at;
    const fields = b.readInt16BE(at);
    at += 2;
    for (let f = 0; f < fields; f++) {
      const len = b.readInt32BE(at);
      at += 4 + Math.max(len, 0);
    }
    out.push(b.subarray(start, at));
  }
  return out;
}

describe('EntryCopyBuffer', () => {
  const rows = [
    row(1, 6, [0x20010db8, 0, 0, 1], 1000),
    row(2, 4, [0xcb007101, 0, 0, 0], 2000),
    row(3, 4, [0x01020304, 0, 0, 0], 5000),
    row(4, 4, [0x01020304, 0, 0, 0], 1000),
    row(5, 6, [0x20010db8, 0, 0, 0], 9000),
  ];
  const seqOf = (r: Buffer) => r.readInt32BE(2 + 4 + 8 + 4);
  const rowNoOf = (r: Buffer) => r.readInt32BE(2 + 4 + 8 + 4 + 4 + 4);
  /** a row's bytes without its seq (which take(true) renumbers) */
  const withoutSeq = (r: Buffer) => Buffer.concat([r.subarray(0, 18), r.subarray(22)]).toString('hex');

  it('writes the same rows sorted by address then time, IPv4 before IPv6', () => {
    const plain = new EntryCopyBuffer();
    const sorted = new EntryCopyBuffer();
    for (const r of rows) {
      plain.add(r);
      sorted.add(r);
    }
    const a = plain.take()!;
    const b = sorted.take(true)!;
    expect(b.length).toBe(a.length);
    expect(b.subarray(0, 19)).toEqual(a.subarray(0, 19));
    expect(rowsOf(a).map(seqOf)).toEqual([1, 2, 3, 4, 5]);
    expect(rowsOf(b).map(rowNoOf)).toEqual([4, 3, 2, 5, 1]);
    // seq is renumbered in the sorted order, the rest of every row is unchanged
    expect(rowsOf(b).map(seqOf)).toEqual([1, 2, 3, 4, 5]);
    expect(rowsOf(b).map(withoutSeq).sort()).toEqual(rowsOf(a).map(withoutSeq).sort());
  });

  it('starts afresh after take, also past its initial key capacity', () => {
    const buf = new EntryCopyBuffer();
    for (let i = 0; i < 70_000; i++) buf.add(row(i + 1, 4, [(i * 7919) % 65536, 0, 0, 0], i));
    expect(rowsOf(buf.take(true)!)).toHaveLength(70_000);
    expect(buf.take(true)).toBeNull();
    buf.add(rows[0]);
    expect(rowsOf(buf.take(true)!).map(seqOf)).toEqual([1]);
  });

  it("sorts like a comparator over every field, and keeps the window's seq range", () => {
    // many rows share an address's first word: IPv6 of one /32 and repeated IPv4 addresses
    const buf = new EntryCopyBuffer();
    const input: EntryRow[] = [];
    for (let i = 0; i < 5000; i++) {
      const v6 = i % 3 === 0;
      const w = v6 ? [0x20010db8, (i * 31) % 7, (i * 17) % 5, (i * 7919) % 65536] : [(i * 7919) % 97, 0, 0, 0];
      input.push(row(1000 + i, v6 ? 6 : 4, w, (i * 104729) % 1000));
    }
    for (const r of input) buf.add(r);
    const key = (r: EntryRow) => [r.family === 4 ? 0 : 1, ...r.w.map((x) => x >>> 0), r.observedAt];
    const cmp = (a: EntryRow, b: EntryRow) => {
      const x = key(a),
        y = key(b);
      for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return x[k] - y[k];
      return 0;
    };
    const expected = [...input].sort(cmp).map((r) => key(r).join(','));
    const out = rowsOf(buf.take(true)!);
    const byRowNo = new Map(input.map((r) => [r.rowNo, r]));
    expect(out.map((r) => key(byRowNo.get(rowNoOf(r))!).join(','))).toEqual(expected);
    expect(out.map(seqOf)).toEqual(input.map((_, j) => 1000 + j));
  });
});
