/**
 * Longest-prefix match with ownership over time, for IPv4 and IPv6 in one engine.
 *
 * Each family is a 64-bit space of elementary intervals (lpm-space.ts). A lookup finds the
 * interval, then answers from `resolved` when the deepest block has one holder for all time
 * (the common case), else from the interval's timeline: the chain of enclosing blocks flattened
 * at build time into "from this moment, this member", so the longest prefix held at that moment.
 *
 * - IPv4: three levels, /20 (4 MB) → 16-entry /24 lines → 256-entry chunks, each entry holding
 *   the answer itself when it does not depend on time. No search at all.
 * - IPv6: prefixes up to /64 live in one space keyed on the first 64 bits, found through a
 *   two-level table (lpm-v6.ts) and a short binary search over interleaved two-word keys.
 *   Prefixes longer than /64 (rare in a registry) go to small spaces keyed on the low 64 bits,
 *   one per /64, looked at first (any of them is longer than every prefix in the main space).
 * Build is typed arrays only (no BigInt).
 */
import { type Space, Scratch, WALK, newRecords, addRecord, buildSpace, walk, bucketTable, search, spaceBytes } from './lpm-space';
import { V6Index } from './lpm-v6';

export interface PrefixInput {
  /** caller's value returned on a match (an index into the caller's member table) */
  value: number;
  family: 4 | 6;
  /** network address: IPv4 as [uint32]; IPv6 as four big-endian uint32 words. Host bits zero. */
  words: readonly number[];
  length: number;
  /** [validFrom, validTo) in epoch ms; -Infinity / Infinity when open */
  validFrom: number;
  validTo: number;
}

export interface LpmOptions {
  /** force (true) or forbid (false) the IPv4 tables; by default they are used above 32,768 IPv4 prefixes */
  table24?: boolean;
  /** IPv6 buckets with at least this many intervals get a second-level table (default 16) */
  subTableFrom?: number;
}

const SMALL_BITS = 16;
const V6_BITS = 20;
const RESOLVED = 0x40000000;
/** WALK held here: an imported binding is read through a getter of the module's exports (esbuild and swc output alike), on every lookup */
const W = WALK;
/** below this many IPv4 prefixes a binary search in 16-bit buckets is as fast and skips building the tables */
const TABLE24_FROM = 32768;

export class LpmEngine {
  readonly size: number;
  private v4: Space;
  /**
   * IPv4 in three levels, /20 → /24 → address, each entry RESOLVED + 1 + value when the answer
   * does not depend on time, an interval to walk (0 ≤ x < RESOLVED), or -(offset + 1) of the
   * next level: 16 entries (one cache line) per split /20, 256 per split /24. A 4 MB first level
   * instead of a 64 MB /24 table keeps the hot set in cache and the TLB.
   */
  private t20?: Int32Array;
  private t20x?: Int32Array;
  private chunks?: Int32Array;
  private b4?: Int32Array;
  private v6: Space;
  private i6: V6Index;
  /** /65–/128: first word → second word → space over the low 64 bits */
  private long6 = new Map<number, Map<number, Space>>();
  /** per interval of the IPv6 space: 1 when a /64 inside it has longer prefixes (skips the maps) */
  private hasLong: Uint8Array;

  constructor(prefixes: readonly PrefixInput[], opts: LpmOptions = {}) {
    this.size = prefixes.length;
    let n4 = 0,
      n6 = 0;
    for (const p of prefixes) {
      if (p.family === 4) n4++;
      else if (p.length <= 64) n6++;
    }
    // the records and either family's build, one allocation (Scratch); they are garbage once built
    const scratch = new Scratch(Scratch.records(n4) + Scratch.records(n6) + Scratch.space(Math.max(n4, n6)));
    const r4 = newRecords(n4, scratch),
      r6 = newRecords(n6, scratch);
    const long = new Map<number, Map<number, PrefixInput[]>>();
    for (const p of prefixes) {
      const w = p.words;
      if (p.family === 4) addRecord(r4, w[0], 0, p.length, p.validFrom, p.validTo, p.value);
      else if (p.length <= 64) addRecord(r6, w[0], w[1], p.length, p.validFrom, p.validTo, p.value);
      else {
        let inner = long.get(w[0]);
        if (!inner) long.set(w[0], (inner = new Map()));
        const group = inner.get(w[1]);
        if (group) group.push(p);
        else inner.set(w[1], [p]);
      }
    }
    this.v4 = buildSpace(r4, scratch);
    if (opts.table24 ?? n4 > TABLE24_FROM) this.buildTable24();
    else this.b4 = bucketTable(this.v4, SMALL_BITS);
    this.v6 = buildSpace(r6, scratch);
    this.i6 = new V6Index(this.v6, n6 > 4096 ? V6_BITS : SMALL_BITS, opts.subTableFrom);
    this.hasLong = new Uint8Array(this.v6.intervals);
    for (const [w0, inner] of long) {
      const m = new Map<number, Space>();
      for (const w1 of inner.keys()) this.hasLong[search(this.v6, 0, this.v6.intervals - 1, w0, w1)] = 1;
      for (const [w1, group] of inner) {
        const recs = newRecords(group.length);
        for (const p of group) addRecord(recs, p.words[2], p.words[3], p.length - 64, p.validFrom, p.validTo, p.value);
        m.set(w1, buildSpace(recs));
      }
      this.long6.set(w0, m);
    }
  }

  /**
   * Builds the three IPv4 levels in one pass over the /20s, walking the intervals alongside: a /20
   * inside one interval (or a run of them) is one entry, filled natively; a split /20 gets a
   * 16-entry line, one entry per /24, and a /24 holding an interval boundary gets a 256-entry
   * chunk. Every array is allocated once at its final size (the sizes are counted first): a
   * temporary 16M-entry /24 table and arrays grown by doubling made 150 MB of short-lived
   * buffers per million prefixes, and each 64 MB of them made V8 mark the whole heap once more.
   */
  private buildTable24(): void {
    const st = this.v4.startHi;
    const res = this.v4.resolved;
    const n = this.v4.intervals;
    const end = (i: number) => (i + 1 < n ? st[i + 1] : 4294967296);
    const code = (i: number) => (res[i] <= W ? i : RESOLVED + 1 + res[i]);
    // sizes: a /24 gets a chunk when an interval starts inside it, off its first address; a /20
    // may need a line when an interval starts inside it (at most: equal /24s fold into one entry)
    let nChunks = 0,
      nLines = 0;
    for (let i = 1, last24 = -1, last20 = -1; i < n; i++) {
      const a = st[i];
      if (a % 256 !== 0 && Math.floor(a / 256) !== last24) {
        last24 = Math.floor(a / 256);
        nChunks++;
      }
      if (a % 4096 !== 0 && Math.floor(a / 4096) !== last20) {
        last20 = Math.floor(a / 4096);
        nLines++;
      }
    }
    const t20 = new Int32Array(1 << 20);
    const chunks = new Int32Array(256 * nChunks);
    let t20x = new Int32Array(16 * nLines);
    let usedChunks = 0,
      usedLines = 0;
    const line = new Int32Array(16);
    let i = 0; // the interval holding the address being placed
    for (let k = 0; k < 1 << 20;) {
      const base = k * 4096;
      while (end(i) <= base) i++;
      if (end(i) >= base + 4096) {
        // whole /20s inside interval i
        const to = Math.min(1 << 20, Math.floor(end(i) / 4096));
        t20.fill(code(i), k, to);
        k = to;
        continue;
      }
      for (let e = 0; e < 16; e++) {
        const b24 = base + e * 256;
        while (end(i) <= b24) i++;
        if (end(i) >= b24 + 256) line[e] = code(i);
        else {
          line[e] = -(usedChunks / 256 + 1);
          for (let a = 0, j = i; a < 256; a++) {
            while (end(j) <= b24 + a) j++;
            chunks[usedChunks++] = code(j);
          }
        }
      }
      let same = line[0] >= 0;
      for (let e = 1; e < 16 && same; e++) same = line[e] === line[0];
      if (same) t20[k] = line[0];
      else {
        t20x.set(line, usedLines);
        t20[k] = -(usedLines + 1);
        usedLines += 16;
      }
      k++;
    }
    if (usedLines < t20x.length) t20x = t20x.slice(0, usedLines);
    this.t20 = t20;
    this.t20x = t20x;
    this.chunks = chunks;
  }

  /** The value of the longest prefix holding this IPv4 address (uint32) at time t (epoch ms), or -1. */
  lookup4(ip: number, t: number): number {
    const s = this.v4;
    let i: number;
    if (this.t20) {
      i = this.t20[ip >>> 12];
      if (i < 0) {
        i = this.t20x![-i - 1 + ((ip >>> 8) & 15)];
        if (i < 0) i = this.chunks![(-i - 1) * 256 + (ip & 255)];
      }
      return i >= RESOLVED ? i - RESOLVED - 1 : walk(s, i, t);
    } else {
      const k = ip >>> 16;
      i = search(s, this.b4![k], this.b4![k + 1], ip, 0);
    }
    const v = s.resolved[i];
    return v > W ? v : walk(s, i, t);
  }

  /** The same for an IPv6 address given as four big-endian 32-bit words. */
  lookup6(w0: number, w1: number, w2: number, w3: number, t: number): number {
    const s = this.v6;
    const i = this.i6.find(w0, w1);
    if (this.hasLong[i] === 1) {
      const sub = this.long6.get(w0)?.get(w1);
      if (sub) {
        const j = search(sub, 0, sub.intervals - 1, w2, w3);
        const v = sub.resolved[j] > W ? sub.resolved[j] : walk(sub, j, t);
        if (v >= 0) return v;
      }
    }
    const v = s.resolved[i];
    return v > W ? v : walk(s, i, t);
  }

  /** Approximate bytes held by the index (typed arrays only). */
  bytes(): number {
    let b = spaceBytes(this.v4) + spaceBytes(this.v6) + this.i6.bytes() + (this.b4?.length ?? 0) * 4;
    b += (this.t20?.length ?? 0) * 4 + (this.t20x?.length ?? 0) * 4 + (this.chunks?.length ?? 0) * 4;
    for (const inner of this.long6.values()) for (const s of inner.values()) b += spaceBytes(s);
    return b;
  }
}

/** Four big-endian uint32 words of an IPv6 address held as a bigint (for callers that have one). */
export function wordsOf(v: bigint, family: 4 | 6): number[] {
  if (family === 4) return [Number(v)];
  return [96n, 64n, 32n, 0n].map((s) => Number((v >> s) & 0xffffffffn));
}
