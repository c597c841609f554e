/**
 * The core of the LPM engine: one 64-bit address space (an IPv4 address is the top 32 bits with
 * the low word 0; an IPv6 address is its first 64 bits) cut into elementary intervals.
 *
 * CIDR blocks are laminar (two blocks are nested or disjoint), so a stack sweep over the blocks
 * sorted by (start, length) splits the space into intervals, each covered by one deepest block;
 * a block's parent is the next block out. Keys are two 32-bit words held in doubles, so nothing
 * here needs BigInt: a block's exclusive end can be 2^32 in the high word (the top of the space).
 */

const TWO32 = 4294967296;
/** 2^k for k = 0..32: the span of a block (Math.pow per record showed in the build's profile) */
const SPAN = Float64Array.from({ length: 33 }, (_, k) => 2 ** k);
/**
 * `resolved[i]` ≤ WALK: the answer depends on the time; it is in the interval's timeline at
 * offset WALK − resolved[i] (see `walk`).
 */
export const WALK = -2;

/**
 * Records side by side, REC numbers each: network high 32 bits, low 32 bits (0 for IPv4), length
 * within the 64-bit space (0..64), valid from, valid to, value. The build reads them in sorted
 * order, at random: one record is one or two cache lines, where six arrays cost six misses
 * (the loop over a million records took 0.3 s).
 */
export interface SpaceRecords {
  rec: Float64Array;
  count: number;
}
const REC = 6;
const HI = 0,
  LO = 1,
  LEN = 2,
  FROM = 3,
  TO = 4,
  VALUE = 5;

/**
 * The temporary arrays of a build, carved out of one allocation. V8 counts typed arrays' memory
 * as external, and every 64 MB of it allocated since the last collection starts a full marking of
 * the heap: a million-prefix build allocating its temporaries one by one marked the heap (the
 * registry's million objects, 200 ms each time) four or five times. Past its size, or with none,
 * arrays are allocated on their own. `mark`/`reset` give a region back once its arrays are dead.
 */
export class Scratch {
  private readonly buf: ArrayBuffer;
  private at = 0;

  constructor(bytes: number) {
    this.buf = new ArrayBuffer(bytes);
  }

  /** Bytes to ask for n records (newRecords). */
  static records(n: number): number {
    return n * 8 * REC + 8;
  }

  /** Bytes one buildSpace of n records takes (sortOrder's arrays, the blocks, the sweep). */
  static space(n: number): number {
    return 4 * n + 8 * n + 8 * (4 * n) + 4 * (n + 1) + 16 * (2 * n + 2) + 4 * (2 * n + 2) + 4 * (n + 1) + 128;
  }

  private take(bytes: number, align: number): number | null {
    const at = Math.ceil(this.at / align) * align;
    if (at + bytes > this.buf.byteLength) return null;
    this.at = at + bytes;
    return at;
  }

  f64(n: number): Float64Array {
    const at = this.take(8 * n, 8);
    return at === null ? new Float64Array(n) : new Float64Array(this.buf, at, n);
  }

  i32(n: number): Int32Array {
    const at = this.take(4 * n, 4);
    return at === null ? new Int32Array(n) : new Int32Array(this.buf, at, n);
  }

  u32(n: number): Uint32Array {
    const at = this.take(4 * n, 4);
    return at === null ? new Uint32Array(n) : new Uint32Array(this.buf, at, n);
  }

  mark(): number {
    return this.at;
  }

  reset(to: number): void {
    this.at = to;
  }
}

/** A build's arrays when no scratch is given: each allocated on its own. */
const OWN = new Scratch(0);

export function newRecords(capacity: number, scratch = OWN): SpaceRecords {
  return { rec: scratch.f64(capacity * REC), count: 0 };
}

export function addRecord(r: SpaceRecords, hi: number, lo: number, len: number, from: number, to: number, value: number): void {
  const o = r.count++ * REC;
  const a = r.rec;
  a[o + HI] = hi;
  a[o + LO] = lo;
  a[o + LEN] = len;
  a[o + FROM] = from;
  a[o + TO] = to;
  a[o + VALUE] = value;
}

export interface Space {
  /** interval i covers [start[i], start[i+1]) */
  startHi: Float64Array;
  startLo: Float64Array;
  /** the same starts interleaved (hi, lo, hi, lo, …): a search step reads one cache line, not two */
  startHL: Float64Array;
  /** the answer when it does not depend on the time (a value, or -1), else ≤ WALK: a timeline */
  resolved: Int32Array;
  node: Int32Array; // deepest block per interval, or -1
  parent: Int32Array; // per block
  recStart: Int32Array; // per block: records recStart[b] .. recStart[b+1]
  recFrom: Float64Array;
  recTo: Float64Array;
  recValue: Int32Array;
  /** timelines: at offset k, tlValue[k] = n segments, then (tlTime, tlValue) at k+1 … k+n, the first from -Infinity */
  tlTime: Float64Array;
  tlValue: Int32Array;
  intervals: number;
  blocks: number;
}

/**
 * Record indices sorted by (hi, lo, len). Each record's high word and index packed into one double,
 * hi·2^bits + i, sort natively (several times faster than a comparator sort of a million indices,
 * and than placing records by a binary search of their keys); only runs that share a high word
 * (one network at several lengths; IPv6 networks of one /32) are then sorted by a comparator.
 */
function sortOrder(r: SpaceRecords, scratch: Scratch): Uint32Array {
  const n = r.count;
  const { rec } = r;
  const order = scratch.u32(n);
  const cmp = (a: number, b: number) => {
    const x = a * REC,
      y = b * REC;
    return rec[x + HI] - rec[y + HI] || rec[x + LO] - rec[y + LO] || rec[x + LEN] - rec[y + LEN];
  };
  const bits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  if (bits > 21) {
    // hi takes 32 of the 53 bits a double holds exactly
    for (let i = 0; i < n; i++) order[i] = i;
    return order.sort(cmp);
  }
  const scale = 2 ** bits;
  const keys = scratch.f64(n);
  for (let i = 0; i < n; i++) keys[i] = rec[i * REC + HI] * scale + i;
  keys.sort();
  for (let j = 0; j < n; j++) order[j] = keys[j] - Math.floor(keys[j] / scale) * scale;
  // records sharing a high word are neighbours in keys: their runs are found without reading rec
  for (let s = 0; s < n;) {
    let e = s + 1;
    const h = Math.floor(keys[s] / scale);
    while (e < n && Math.floor(keys[e] / scale) === h) e++;
    if (e - s > 1) order.subarray(s, e).sort(cmp);
    s = e;
  }
  return order;
}

function interleave(hi: Float64Array, lo: Float64Array, m: number): Float64Array {
  const out = new Float64Array(2 * m);
  for (let i = 0; i < m; i++) {
    out[2 * i] = hi[i];
    out[2 * i + 1] = lo[i];
  }
  return out;
}

/** Appends an interval starting at (h, l) with deepest block b, merging it into an equal neighbour. */
function put(startHi: Float64Array, startLo: Float64Array, node: Int32Array, m: number, h: number, l: number, b: number): number {
  if (m > 0 && node[m - 1] === b) return m;
  startHi[m] = h;
  startLo[m] = l;
  node[m] = b;
  return m + 1;
}

/** Builds the space of the records; its temporaries come out of `scratch` (given back before it returns). */
export function buildSpace(r: SpaceRecords, scratch = OWN): Space {
  const n = r.count;
  const { rec } = r;
  const mark = scratch.mark();
  const order = sortOrder(r, scratch);

  // blocks = runs of records with the same (network, length)
  const bHi = scratch.f64(n),
    bLo = scratch.f64(n),
    eHi = scratch.f64(n),
    eLo = scratch.f64(n);
  const recStart = scratch.i32(n + 1);
  const recFrom = new Float64Array(n),
    recTo = new Float64Array(n),
    recValue = new Int32Array(n);
  let nb = 0;
  let lastLen = -1;
  for (let k = 0; k < n; k++) {
    const o = order[k] * REC;
    const h = rec[o + HI],
      l0 = rec[o + LO],
      l = rec[o + LEN];
    if (k === 0 || h !== bHi[nb - 1] || l0 !== bLo[nb - 1] || l !== lastLen) {
      bHi[nb] = h;
      bLo[nb] = l0;
      lastLen = l;
      if (l <= 32) {
        eHi[nb] = h + SPAN[32 - l];
        eLo[nb] = 0;
      } else {
        const e = l0 + SPAN[64 - l];
        eHi[nb] = e === TWO32 ? h + 1 : h;
        eLo[nb] = e === TWO32 ? 0 : e;
      }
      recStart[nb++] = k;
    }
    recFrom[k] = rec[o + FROM];
    recTo[k] = rec[o + TO];
    recValue[k] = rec[o + VALUE];
  }
  recStart[nb] = n;

  const cap = 2 * nb + 2;
  const startHi = scratch.f64(cap),
    startLo = scratch.f64(cap),
    node = scratch.i32(cap);
  const parent = new Int32Array(nb).fill(-1);
  let m = 0;
  const stack = scratch.i32(nb + 1);
  let sp = 0;
  let cHi = 0,
    cLo = 0; // the sweep's cursor: everything before it is emitted
  // b === nb is a sentinel past the end of the space, which closes every open block
  for (let b = 0; b <= nb; b++) {
    const sHi = b < nb ? bHi[b] : TWO32,
      sLo = b < nb ? bLo[b] : 0;
    while (sp > 0) {
      const t = stack[sp - 1];
      if (!(eHi[t] < sHi || (eHi[t] === sHi && eLo[t] <= sLo))) break;
      sp--;
      // the rest of block t, if any, is its own interval
      if (cHi < eHi[t] || (cHi === eHi[t] && cLo < eLo[t])) {
        m = put(startHi, startLo, node, m, cHi, cLo, t);
        cHi = eHi[t];
        cLo = eLo[t];
      }
    }
    const top = sp > 0 ? stack[sp - 1] : -1;
    if (cHi < sHi || (cHi === sHi && cLo < sLo)) {
      m = put(startHi, startLo, node, m, cHi, cLo, top);
      cHi = sHi;
      cLo = sLo;
    }
    if (b < nb) {
      parent[b] = top;
      stack[sp++] = b;
    }
  }
  if (m === 0) m = put(startHi, startLo, node, m, 0, 0, -1);

  const resolved = new Int32Array(m);
  const tlTime: number[] = [],
    tlValue: number[] = [];
  for (let i = 0; i < m; i++) {
    const b = node[i];
    if (b < 0) resolved[i] = -1;
    else {
      // the common case: the deepest block has one holder for all time
      const s = recStart[b];
      if (recStart[b + 1] - s === 1 && recFrom[s] === -Infinity && recTo[s] === Infinity) resolved[i] = recValue[s];
      else resolved[i] = timeline(b, parent, recStart, recFrom, recTo, recValue, tlTime, tlValue);
    }
  }
  const space: Space = {
    startHi: startHi.slice(0, m),
    startLo: startLo.slice(0, m),
    startHL: interleave(startHi, startLo, m),
    resolved,
    node: node.slice(0, m),
    parent,
    recStart: recStart.slice(0, nb + 1),
    recFrom,
    recTo,
    recValue,
    tlTime: Float64Array.from(tlTime),
    tlValue: Int32Array.from(tlValue),
    intervals: m,
    blocks: nb,
  };
  scratch.reset(mark);
  return space;
}

// scratch for timeline(): reused across intervals so a million-prefix build makes no garbage here
const edges: number[] = [],
  times: number[] = [],
  values: number[] = [];

/**
 * Flattens the chain of blocks above an interval into its answer over time: the windows' edges
 * cut time into segments, each answered once by the deepest record valid in it. A lookup then
 * reads one short, contiguous list instead of chasing parents through scattered arrays.
 * Returns the `resolved` code: a value when the answer never changes, else WALK − offset.
 */
function timeline(
  deepest: number,
  parent: Int32Array,
  recStart: Int32Array,
  recFrom: Float64Array,
  recTo: Float64Array,
  recValue: Int32Array,
  tlTime: number[],
  tlValue: number[],
): number {
  edges.length = 0;
  times.length = 0;
  values.length = 0;
  edges.push(-Infinity);
  for (let b = deepest; b >= 0; b = parent[b]) {
    for (let r = recStart[b]; r < recStart[b + 1]; r++) {
      if (recFrom[r] !== -Infinity) edges.push(recFrom[r]);
      if (recTo[r] !== Infinity) edges.push(recTo[r]);
    }
  }
  edges.sort((a, b) => a - b);
  for (let e = 0; e < edges.length; e++) {
    const t = edges[e];
    if (e > 0 && t === edges[e - 1]) continue;
    let v = -1;
    chain: for (let b = deepest; b >= 0; b = parent[b]) {
      for (let r = recStart[b]; r < recStart[b + 1]; r++) {
        if (recFrom[r] <= t && t < recTo[r]) {
          v = recValue[r];
          break chain;
        }
      }
    }
    if (values.length && values[values.length - 1] === v) continue;
    times.push(t);
    values.push(v);
  }
  if (values.length === 1) return values[0];
  const k = tlValue.length;
  tlTime.push(0);
  tlValue.push(values.length);
  for (let j = 0; j < values.length; j++) {
    tlTime.push(times[j]);
    tlValue.push(values[j]);
  }
  return WALK - k;
}

/** The answer at time t of an interval whose `resolved` is ≤ WALK: the last segment starting at or before t. */
export function walk(s: Space, interval: number, t: number): number {
  const k = WALK - s.resolved[interval];
  const tt = s.tlTime;
  let j = k + s.tlValue[k];
  while (j > k + 1 && tt[j] > t) j--;
  return s.tlValue[j];
}

/**
 * For bucket k of the high word — addresses from base + k·2^shift — the interval holding the
 * bucket's first address; an address in bucket k lies in an interval of first[k] .. first[k+1].
 * first has 2^bits + 1 entries; the last is the interval holding the first address past the table.
 */
export function bucketTable(s: Space, bits: number, base = 0, shift = 32 - bits): Int32Array {
  const size = 2 ** bits;
  const width = 2 ** shift;
  const first = new Int32Array(size + 1);
  const st = s.startHi,
    sl = s.startLo;
  const n = s.intervals;
  let j = 0;
  for (let k = 0; k <= size; k++) {
    const at = base + k * width;
    if (at >= TWO32) {
      first[k] = n - 1;
      continue;
    }
    while (j + 1 < n && (st[j + 1] < at || (st[j + 1] === at && sl[j + 1] === 0))) j++;
    first[k] = j;
  }
  return first;
}

/** The last interval in [lo, hi] whose start is ≤ (h, l). */
export function search(s: Space, lo: number, hi: number, h: number, l: number): number {
  const hl = s.startHL;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    const x = hl[2 * mid];
    if (x < h || (x === h && hl[2 * mid + 1] <= l)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function spaceBytes(s: Space): number {
  return s.intervals * (8 + 8 + 16 + 4 + 4) + s.blocks * 8 + s.recFrom.length * 20 + s.tlTime.length * 12;
}
