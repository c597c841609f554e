import { EntryCopyBuffer, type EntryRow } from './entry-copy-buffer';

const row = (seq: number, family: 4 | 6, w: number[], observedAt: number): EntryRow => ({
  listId: 1, seq, rowNo: seq, family, w, observedAt, port: seq % 3 ? 80 : null, malware: seq % 2 ? 'goz' : null, extra: seq % 4 ? null : '{"a":"b"}',
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
    expect(rowsOf(b).map(seqOf)).toEqual([4, 3, 2, 5, 1]);
    expect(rowsOf(b).map((r) => r.toString('hex')).sort()).toEqual(rowsOf(a).map((r) => r.toString('hex')).sort());
  });

  it('starts afresh after take, also past its initial key capacity', () => {
    const buf = new EntryCopyBuffer();
    for (let i = 0; i < 70_000; i++) buf.add(row(i + 1, 4, [(i * 7919) % 65536, 0, 0, 0], i));
    expect(rowsOf(buf.take(true)!)).toHaveLength(70_000);
    expect(buf.take(true)).toBeNull();
    buf.add(rows[0]);
    expect(rowsOf(buf.take(true)!).map(seqOf)).toEqual([1]);
  });
});
