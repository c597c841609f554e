/**
 * Longest-prefix match with ownership over time, for IPv4 and IPv6 in one engine.
 *
 * CIDR blocks are laminar (two blocks are nested or disjoint), so the address line splits into
 * elementary intervals, each covered by one deepest block; a block's parent is the next block
 * out. A lookup binary-searches the interval (IPv4 first narrows by a 65,536-slot table on the
 * top 16 bits), then walks from the deepest block outwards and returns the first record valid
 * at the observation time: the longest prefix held at that moment.
 */

export interface PrefixInput {
  /** caller's value returned on a match (an index into the caller's member table) */
  value: number;
  family: 4 | 6;
  /** network address as a bigint (host bits must be zero) */
  network: bigint;
  length: number;
  /** [validFrom, validTo) in epoch ms; -Infinity / Infinity when open */
  validFrom: number;
  validTo: number;
}

interface FamilyIndex {
  bits: number;
  // interval i covers [starts[i], starts[i+1]); node[i] is its deepest block or -1
  starts4?: Float64Array; // IPv4 starts as numbers
  starts6?: Uint32Array; // IPv6 starts, 4 words each
  node: Int32Array;
  parent: Int32Array; // per block
  recStart: Int32Array; // per block: its records are recs[recStart[b] .. recStart[b+1])
  recFrom: Float64Array;
  recTo: Float64Array;
  recValue: Int32Array;
  bucketLo?: Int32Array; // IPv4: first interval for each top-16-bit bucket
  bucketHi?: Int32Array;
}

function buildFamily(prefixes: PrefixInput[], bits: number): FamilyIndex {
  const size = 1n << BigInt(bits);
  // group records by block (network, length)
  const blocks = new Map<string, { start: bigint; end: bigint; len: number; recs: PrefixInput[] }>();
  for (const p of prefixes) {
    const key = `${p.network}/${p.length}`;
    let b = blocks.get(key);
    if (!b) {
      b = { start: p.network, end: p.network + (1n << BigInt(bits - p.length)) - 1n, len: p.length, recs: [] };
      blocks.set(key, b);
    }
    b.recs.push(p);
  }
  const list = [...blocks.values()].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.len - b.len));
  const n = list.length;
  const parent = new Int32Array(n).fill(-1);
  const recStart = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    recStart[i] = total;
    total += list[i].recs.length;
  }
  recStart[n] = total;
  const recFrom = new Float64Array(total);
  const recTo = new Float64Array(total);
  const recValue = new Int32Array(total);
  for (let i = 0; i < n; i++) {
    // several holders of one block over time: order does not matter (windows do not overlap)
    list[i].recs.forEach((r, k) => {
      recFrom[recStart[i] + k] = r.validFrom;
      recTo[recStart[i] + k] = r.validTo;
      recValue[recStart[i] + k] = r.value;
    });
  }

  const starts: bigint[] = [];
  const nodes: number[] = [];
  const emit = (start: bigint, node: number) => {
    if (nodes.length && nodes[nodes.length - 1] === node) return; // merge equal neighbours
    starts.push(start);
    nodes.push(node);
  };
  const stack: number[] = [];
  let cur = 0n;
  for (let i = 0; i < n; i++) {
    const b = list[i];
    while (stack.length && list[stack[stack.length - 1]].end < b.start) {
      const top = stack.pop()!;
      if (cur <= list[top].end) {
        emit(cur, top);
        cur = list[top].end + 1n;
      }
    }
    const top = stack.length ? stack[stack.length - 1] : -1;
    if (cur < b.start) {
      emit(cur, top);
      cur = b.start;
    }
    parent[i] = top;
    stack.push(i);
  }
  while (stack.length) {
    const top = stack.pop()!;
    if (cur <= list[top].end) {
      emit(cur, top);
      cur = list[top].end + 1n;
    }
  }
  if (cur < size) emit(cur, -1);
  if (starts.length === 0) emit(0n, -1);

  const idx: FamilyIndex = { bits, node: Int32Array.from(nodes), parent, recStart, recFrom, recTo, recValue };
  if (bits === 32) {
    idx.starts4 = Float64Array.from(starts, (s) => Number(s));
    const lo = new Int32Array(65536);
    const hi = new Int32Array(65536);
    const s4 = idx.starts4;
    let j = 0;
    for (let bkt = 0; bkt < 65536; bkt++) {
      const first = bkt * 65536;
      while (j + 1 < s4.length && s4[j + 1] <= first) j++;
      lo[bkt] = j;
      let k = j;
      const last = first + 65535;
      while (k + 1 < s4.length && s4[k + 1] <= last) k++;
      hi[bkt] = k;
    }
    idx.bucketLo = lo;
    idx.bucketHi = hi;
  } else {
    const w = new Uint32Array(starts.length * 4);
    starts.forEach((s, i) => {
      w[i * 4] = Number((s >> 96n) & 0xffffffffn);
      w[i * 4 + 1] = Number((s >> 64n) & 0xffffffffn);
      w[i * 4 + 2] = Number((s >> 32n) & 0xffffffffn);
      w[i * 4 + 3] = Number(s & 0xffffffffn);
    });
    idx.starts6 = w;
  }
  return idx;
}

function walk(idx: FamilyIndex, interval: number, t: number): number {
  let b = idx.node[interval];
  while (b >= 0) {
    for (let r = idx.recStart[b]; r < idx.recStart[b + 1]; r++) {
      if (idx.recFrom[r] <= t && t < idx.recTo[r]) return idx.recValue[r];
    }
    b = idx.parent[b];
  }
  return -1;
}

export class LpmEngine {
  readonly size: number;
  private v4: FamilyIndex;
  private v6: FamilyIndex;

  constructor(prefixes: PrefixInput[]) {
    this.size = prefixes.length;
    this.v4 = buildFamily(prefixes.filter((p) => p.family === 4), 32);
    this.v6 = buildFamily(prefixes.filter((p) => p.family === 6), 128);
  }

  /** The value of the longest prefix holding this IPv4 address at time t (epoch ms), or -1. */
  lookup4(ip: number, t: number): number {
    const idx = this.v4;
    const s = idx.starts4!;
    const bkt = ip >>> 16;
    let lo = idx.bucketLo![bkt];
    let hi = idx.bucketHi![bkt];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid] <= ip) lo = mid;
      else hi = mid - 1;
    }
    return walk(idx, lo, t);
  }

  /** The same for an IPv6 address given as four big-endian 32-bit words. */
  lookup6(w0: number, w1: number, w2: number, w3: number, t: number): number {
    const idx = this.v6;
    const s = idx.starts6!;
    let lo = 0;
    let hi = idx.node.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const o = mid * 4;
      let le: boolean;
      if (s[o] !== w0) le = s[o] < w0;
      else if (s[o + 1] !== w1) le = s[o + 1] < w1;
      else if (s[o + 2] !== w2) le = s[o + 2] < w2;
      else le = s[o + 3] <= w3;
      if (le) lo = mid;
      else hi = mid - 1;
    }
    return walk(idx, lo, t);
  }
}
