/**
 * Finding the interval of an IPv6 address (first 64 bits) without a long binary search.
 *
 * Level 1: a bucket table over the *used* range of the first word (registries crowd into a few
 * allocations, so a bucket is a /32 or a few). Level 2: where a bucket holds many intervals —
 * a /32 carved into thousands of customer /48s — a sub-table on the next bits of the address,
 * sized to about two entries per interval. What remains is a search over a handful of keys.
 */
import { type Space, search } from './lpm-space';

const TWO32 = 4294967296;

export class V6Index {
  private base = 0;
  private shift: number;
  private size: number;
  private first: Int32Array;
  /** per bucket: offset of its sub-table in `sub`, or -1 */
  private subOff: Int32Array;
  private subDiv: Float64Array; // per bucket: the address step of one sub-table entry
  private sub: Int32Array;

  constructor(private s: Space, bits: number, subFrom = 16) {
    if (s.intervals > 2) {
      const lo = s.startHi[1], hi = s.startHi[s.intervals - 1];
      this.shift = Math.max(0, Math.ceil(Math.log2(hi - lo + 1)) - bits);
      this.base = lo;
    } else this.shift = 32 - bits;
    this.size = 2 ** bits;
    this.first = firstTable(s, this.size, this.base, this.shift);
    this.subOff = new Int32Array(this.size).fill(-1);
    this.subDiv = new Float64Array(this.size);
    const parts: Int32Array[] = [];
    let used = 0;
    for (let k = 0; k < this.size; k++) {
      const span = this.first[k + 1] - this.first[k];
      if (span < subFrom) continue;
      const bits2 = Math.min(20, Math.ceil(Math.log2(span)) + 1);
      const div = 2 ** (32 + this.shift - bits2); // bucket width (2^(32+shift)) / 2^bits2
      const t = new Int32Array(2 ** bits2 + 1);
      const startHi = this.base + k * 2 ** this.shift;
      let j = this.first[k];
      for (let e = 0; e <= 2 ** bits2; e++) {
        const off = e * div; // offset of this entry's first address from the bucket's start, in 64-bit units
        const h = startHi + Math.floor(off / TWO32), l = off % TWO32;
        while (j + 1 < s.intervals && (s.startHi[j + 1] < h || (s.startHi[j + 1] === h && s.startLo[j + 1] <= l))) j++;
        t[e] = j;
      }
      this.subOff[k] = used;
      this.subDiv[k] = div;
      parts.push(t);
      used += t.length;
    }
    this.sub = new Int32Array(used);
    let o = 0;
    for (const p of parts) {
      this.sub.set(p, o);
      o += p.length;
    }
  }

  /** The interval holding (w0, w1). */
  find(w0: number, w1: number): number {
    const s = this.s;
    const k = (w0 - this.base) / 2 ** this.shift;
    if (k < 0) return search(s, 0, this.first[0], w0, w1);
    if (k >= this.size) return search(s, this.first[this.size], s.intervals - 1, w0, w1);
    const b = k >>> 0;
    const off = this.subOff[b];
    if (off < 0) return search(s, this.first[b], this.first[b + 1], w0, w1);
    const e = off + Math.floor(((w0 - this.base - b * 2 ** this.shift) * TWO32 + w1) / this.subDiv[b]);
    return search(s, this.sub[e], this.sub[e + 1], w0, w1);
  }

  bytes(): number {
    return this.first.length * 4 + this.subOff.length * 12 + this.sub.length * 4;
  }
}

/** first[k]: the interval holding base + k·2^shift (k = 0..size; past the space: the last one). */
function firstTable(s: Space, size: number, base: number, shift: number): Int32Array {
  const first = new Int32Array(size + 1);
  const st = s.startHi, sl = s.startLo;
  let j = 0;
  for (let k = 0; k <= size; k++) {
    const at = base + k * 2 ** shift;
    if (at >= TWO32) {
      first[k] = s.intervals - 1;
      continue;
    }
    while (j + 1 < s.intervals && (st[j + 1] < at || (st[j + 1] === at && sl[j + 1] === 0))) j++;
    first[k] = j;
  }
  return first;
}
