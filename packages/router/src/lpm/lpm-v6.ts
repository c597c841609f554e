/**
 * Finding the interval of an IPv6 address (first 64 bits) without a long binary search.
 *
 * Level 1: a bucket table over the *used* range of the first word (registries crowd into a few
 * allocations, so a bucket is a /32 or a few). Level 2: where a bucket holds many intervals —
 * a /32 carved into thousands of customer /48s — a 256-entry sub-table on the next 8 bits.
 * What remains is a short search over interleaved keys. Each level is one cache line.
 */
import { type Space, search } from './lpm-space';

const TWO32 = 4294967296;

const SUB_BITS = 8;

export class V6Index {
  private base = 0;
  private shift: number;
  private size: number;
  private before: number; // first interval of the table's range
  private after: number; // the interval holding the first address past it
  /**
   * Two entries per bucket, in one cache line: [first, last] interval to search, or
   * [-(offset + 1), 0] for a bucket with a sub-table of 2^8 + 1 entries at `sub[offset]`.
   */
  private dir: Int32Array;
  private div: number; // the address step of one sub-table entry, in units of the low word
  private sub: Int32Array;

  constructor(
    private s: Space,
    bits: number,
    subFrom = 16,
  ) {
    if (s.intervals > 2) {
      const lo = s.startHi[1],
        hi = s.startHi[s.intervals - 1];
      this.shift = Math.max(0, Math.ceil(Math.log2(hi - lo + 1)) - bits);
      this.base = lo;
    } else this.shift = 32 - bits;
    this.size = 2 ** bits;
    const first = firstTable(s, this.size, this.base, this.shift);
    this.before = first[0];
    this.after = first[this.size];
    this.div = 2 ** (32 + this.shift - SUB_BITS);
    this.dir = new Int32Array(2 * this.size);
    const heavy: number[] = [];
    for (let k = 0; k < this.size; k++) {
      if (first[k + 1] - first[k] >= subFrom) heavy.push(k);
      else {
        this.dir[2 * k] = first[k];
        this.dir[2 * k + 1] = first[k + 1];
      }
    }
    const per = 2 ** SUB_BITS + 1;
    this.sub = new Int32Array(heavy.length * per);
    heavy.forEach((k, n) => {
      const off = n * per;
      this.dir[2 * k] = -(off + 1);
      const startHi = this.base + k * 2 ** this.shift;
      let j = first[k];
      for (let e = 0; e < per; e++) {
        const step = e * this.div; // from the bucket's first address, in units of the low word
        const h = startHi + Math.floor(step / TWO32),
          l = step % TWO32;
        while (j + 1 < s.intervals && (s.startHi[j + 1] < h || (s.startHi[j + 1] === h && s.startLo[j + 1] <= l))) j++;
        this.sub[off + e] = j;
      }
    });
  }

  /** The interval holding (w0, w1). */
  find(w0: number, w1: number): number {
    const s = this.s;
    const k = (w0 - this.base) / 2 ** this.shift;
    if (k < 0) return search(s, 0, this.before, w0, w1);
    if (k >= this.size) return search(s, this.after, s.intervals - 1, w0, w1);
    const b = k >>> 0;
    const a = this.dir[2 * b];
    if (a >= 0) return search(s, a, this.dir[2 * b + 1], w0, w1);
    const e = -a - 1 + Math.floor(((w0 - this.base - b * 2 ** this.shift) * TWO32 + w1) / this.div);
    return search(s, this.sub[e], this.sub[e + 1], w0, w1);
  }

  bytes(): number {
    return this.dir.length * 4 + this.sub.length * 4;
  }
}

/** first[k]: the interval holding base + k·2^shift (k = 0..size; past the space: the last one). */
function firstTable(s: Space, size: number, base: number, shift: number): Int32Array {
  const first = new Int32Array(size + 1);
  const st = s.startHi,
    sl = s.startLo;
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
