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
/**
 * `resolved[i]` ≤ WALK: the answer depends on the time; it is in the interval's timeline at
 * offset WALK − resolved[i] (see `walk`).
 */
export const WALK = -2;

export interface SpaceRecords {
  hi: Float64Array; // network, high 32 bits
  lo: Float64Array; // network, low 32 bits (0 for IPv4)
  len: Uint8Array; // prefix length within the 64-bit space (0..64)
  from: Float64Array;
  to: Float64Array;
  value: Int32Array;
  count: number;
}

export function newRecords(capacity: number): SpaceRecords {
  return {
    hi: new Float64Array(capacity), lo: new Float64Array(capacity), len: new Uint8Array(capacity),
    from: new Float64Array(capacity), to: new Float64Array(capacity), value: new Int32Array(capacity), count: 0,
  };
}

export function addRecord(r: SpaceRecords, hi: number, lo: number, len: number, from: number, to: number, value: number): void {
  const i = r.count++;
  r.hi[i] = hi;
  r.lo[i] = lo;
  r.len[i] = len;
  r.from[i] = from;
  r.to[i] = to;
  r.value[i] = value;
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
 * Record indices sorted by (hi, lo, len). The top 53 bits of a start, hi·2^21 + ⌊lo/2^11⌋, are
 * exact in a double: a native numeric sort of those keys and a counting placement do the bulk
 * (several times faster than a comparator sort of a million indices), then an insertion pass
 * orders the few records that share a key (same start, other length, or differing below bit 53).
 */
function sortOrder(r: SpaceRecords): Uint32Array {
  const n = r.count;
  const { hi, lo, len } = r;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = hi[i] * 2097152 + Math.floor(lo[i] / 2048);
  const sorted = keys.slice().sort();
  let u = 0;
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[u - 1]) sorted[u++] = sorted[i];
  const slot = new Int32Array(u + 1);
  const block = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let a = 0, b = u - 1;
    const k = keys[i];
    while (a < b) {
      const mid = (a + b) >> 1;
      if (sorted[mid] < k) a = mid + 1;
      else b = mid;
    }
    block[i] = a;
    slot[a + 1]++;
  }
  for (let b = 0; b < u; b++) slot[b + 1] += slot[b];
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[slot[block[i]]++] = i;
  for (let i = 1; i < n; i++) {
    const x = order[i];
    let j = i - 1;
    while (j >= 0 && (hi[order[j]] - hi[x] || lo[order[j]] - lo[x] || len[order[j]] - len[x]) > 0) {
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = x;
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

export function buildSpace(r: SpaceRecords): Space {
  const n = r.count;
  const { hi, lo, len } = r;
  const order = sortOrder(r);

  // blocks = runs of records with the same (network, length)
  const bHi = new Float64Array(n), bLo = new Float64Array(n), eHi = new Float64Array(n), eLo = new Float64Array(n);
  const recStart = new Int32Array(n + 1);
  const recFrom = new Float64Array(n), recTo = new Float64Array(n), recValue = new Int32Array(n);
  let nb = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (k === 0 || hi[i] !== bHi[nb - 1] || lo[i] !== bLo[nb - 1] || len[i] !== len[order[recStart[nb - 1]]]) {
      bHi[nb] = hi[i];
      bLo[nb] = lo[i];
      const l = len[i];
      if (l <= 32) {
        eHi[nb] = hi[i] + 2 ** (32 - l);
        eLo[nb] = 0;
      } else {
        const e = lo[i] + 2 ** (64 - l);
        eHi[nb] = e === TWO32 ? hi[i] + 1 : hi[i];
        eLo[nb] = e === TWO32 ? 0 : e;
      }
      recStart[nb++] = k;
    }
    recFrom[k] = r.from[i];
    recTo[k] = r.to[i];
    recValue[k] = r.value[i];
  }
  recStart[nb] = n;

  const cap = 2 * nb + 2;
  const startHi = new Float64Array(cap), startLo = new Float64Array(cap), node = new Int32Array(cap);
  const parent = new Int32Array(nb).fill(-1);
  let m = 0;
  const stack = new Int32Array(nb + 1);
  let sp = 0;
  let cHi = 0, cLo = 0; // the sweep's cursor: everything before it is emitted
  // b === nb is a sentinel past the end of the space, which closes every open block
  for (let b = 0; b <= nb; b++) {
    const sHi = b < nb ? bHi[b] : TWO32, sLo = b < nb ? bLo[b] : 0;
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
  const tlTime: number[] = [], tlValue: number[] = [];
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
  return {
    startHi: startHi.slice(0, m), startLo: startLo.slice(0, m), startHL: interleave(startHi, startLo, m), resolved, node: node.slice(0, m), parent,
    recStart: recStart.slice(0, nb + 1), recFrom, recTo, recValue, tlTime: Float64Array.from(tlTime), tlValue: Int32Array.from(tlValue),
    intervals: m, blocks: nb,
  };
}

// scratch for timeline(): reused across intervals so a million-prefix build makes no garbage here
const edges: number[] = [], times: number[] = [], values: number[] = [];

/**
 * Flattens the chain of blocks above an interval into its answer over time: the windows' edges
 * cut time into segments, each answered once by the deepest record valid in it. A lookup then
 * reads one short, contiguous list instead of chasing parents through scattered arrays.
 * Returns the `resolved` code: a value when the answer never changes, else WALK − offset.
 */
function timeline(deepest: number, parent: Int32Array, recStart: Int32Array, recFrom: Float64Array, recTo: Float64Array,
  recValue: Int32Array, tlTime: number[], tlValue: number[]): number {
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
  const st = s.startHi, sl = s.startLo;
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
