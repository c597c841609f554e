/**
 * Routing engine: registries of 2,000, 100,000 and 1,000,000 prefixes (70 % IPv4, 30 % IPv6,
 * nested up to 8 levels, a tenth time-bounded, one in twenty moved between members on a date,
 * a few IPv6 longer than /64), 1,000,000 lookups each (half inside a registered prefix, half
 * anywhere in unicast space, observation times over 2019–2027). Reports lookups/s of the
 * engine against a plain sorted-array binary search run on the same data in the same process,
 * build time and memory. Every lookup's answer is compared between the two: a bench that is
 * fast and wrong fails.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { LpmEngine, type PrefixInput } from '@deliveryline/router';
import type { BenchResult } from './run';
import { rng } from '@deliveryline/cli/testing';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const T0 = Date.UTC(2019, 0, 1),
  T1 = Date.UTC(2027, 0, 1);
const W = 4294967296;

/** A random aligned sub-block of a 64-bit (hi, lo) block: returns [hi, lo]. */
function carve(r: () => number, hi: number, lo: number, len: number, childLen: number): [number, number] {
  if (childLen <= 32) {
    const span = 2 ** (childLen - Math.min(len, childLen));
    const step = 2 ** (32 - childLen);
    return [hi + Math.floor(r() * span) * step, 0];
  }
  const step = 2 ** (64 - childLen);
  const loSpan = len >= 32 ? 2 ** (childLen - len) : 2 ** (childLen - 32);
  const hiPart = len >= 32 ? hi : hi + Math.floor(r() * 2 ** (32 - len));
  return [hiPart, (len >= 32 ? lo : 0) + Math.floor(r() * loSpan) * step];
}

export interface Node {
  family: 4 | 6;
  hi: number;
  lo: number;
  len: number;
}

export function registry(n: number, seed: number): PrefixInput[] {
  const r = rng(seed);
  const out: PrefixInput[] = [];
  const seen = new Set<string | number>();
  const members = Math.max(50, Math.floor(n / 200));
  const push = (family: 4 | 6, words: number[], length: number) => {
    const key = family === 4 ? words[0] * 64 + length : `${words[0]}:${words[1]}:${words[2]}:${words[3]}/${length}`;
    if (seen.has(key)) return false;
    seen.add(key);
    const value = Math.floor(r() * members);
    const u = r();
    if (u < 0.05) {
      // moved from one member to another on a date
      const at = T0 + r() * (T1 - T0);
      out.push({ value, family, words, length, validFrom: -Infinity, validTo: at });
      out.push({ value: (value + 1) % members, family, words, length, validFrom: at, validTo: Infinity });
    } else if (u < 0.15) {
      const a = T0 + r() * (T1 - T0);
      out.push({ value, family, words, length, validFrom: a, validTo: a + r() * (T1 - a) + 1 });
    } else out.push({ value, family, words, length, validFrom: -Infinity, validTo: Infinity });
    return true;
  };
  const nodes4: Node[] = [],
    nodes6: Node[] = [];
  while (out.length < n) {
    const v6 = r() < 0.3;
    const nodes = v6 ? nodes6 : nodes4;
    if (nodes.length < 10 || r() < 0.02) {
      // an allocation: IPv4 /12–/16 in 1.0.0.0–223.255.255.255; IPv6 /20–/32 in 2400::/12
      if (v6) {
        const len = 20 + Math.floor(r() * 13);
        const [hi] = carve(r, 0x24000000, 0, 12, len);
        if (push(6, [hi, 0, 0, 0], len)) nodes.push({ family: 6, hi, lo: 0, len });
      } else {
        const len = 12 + Math.floor(r() * 5);
        const [hi] = carve(r, 0, 0, 0, len);
        if (hi >= 0x01000000 && hi < 0xe0000000 && push(4, [hi], len)) nodes.push({ family: 4, hi, lo: 0, len });
      }
      continue;
    }
    const p = nodes[Math.floor(r() * nodes.length)];
    if (p.family === 4) {
      const len = Math.min(p.len + 1 + Math.floor(r() * 8), r() < 0.05 ? 28 : 24);
      if (len <= p.len) continue;
      if (len === 24 || len > 24) {
        // a leaf: no children, so picking parents stays cheap
        const [hi] = carve(r, p.hi, 0, p.len, len);
        push(4, [hi], len);
        continue;
      }
      const [hi] = carve(r, p.hi, 0, p.len, len);
      if (push(4, [hi], len)) nodes.push({ family: 4, hi, lo: 0, len });
    } else if (p.len <= 64 && r() < 0.003) {
      // the rare IPv6 prefix longer than /64 (a point-to-point link, a single host)
      const len = 96 + Math.floor(r() * 33);
      const [, lo] = carve(r, p.hi, p.lo, p.len, 64);
      const w2 = Math.floor(r() * W) >>> 0;
      const fixed3 = len - 96; // bits of the last word inside the prefix
      const w3 = fixed3 === 0 ? 0 : (Math.floor(r() * W) & (fixed3 === 32 ? 0xffffffff : 0xffffffff << (32 - fixed3))) >>> 0;
      push(6, [p.hi, lo, w2, w3], len);
    } else {
      const len = Math.min(p.len + 4 + Math.floor(r() * 12), 64);
      const [hi, lo] = carve(r, p.hi, p.lo, p.len, len);
      if (push(6, [hi, lo, 0, 0], len)) nodes.push({ family: 6, hi, lo, len });
    }
  }
  return out.slice(0, n);
}

interface Probes {
  n: number;
  family: Uint8Array;
  w: Uint32Array;
  t: Float64Array;
}

export function probes(reg: PrefixInput[], n: number, seed: number): Probes {
  const r = rng(seed);
  const family = new Uint8Array(n),
    w = new Uint32Array(n * 4),
    t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = T0 + r() * (T1 - T0);
    if (r() < 0.5) {
      const p = reg[Math.floor(r() * reg.length)];
      family[i] = p.family;
      for (let k = 0; k < 4; k++) {
        const bits = p.family === 4 ? 32 : 128;
        const hostFrom = Math.max(0, p.length - 32 * k); // bits of word k fixed by the prefix
        const fixed = Math.min(32, hostFrom);
        const word = p.words[k] ?? 0;
        const rand = Math.floor(r() * W) >>> 0;
        const m = fixed === 0 ? 0 : fixed === 32 ? 0xffffffff : (0xffffffff << (32 - fixed)) >>> 0;
        w[i * 4 + k] = k * 32 >= bits ? 0 : ((word & m) | (rand & ~m)) >>> 0;
      }
    } else if (r() < 0.7) {
      family[i] = 4;
      w[i * 4] = (0x01000000 + Math.floor(r() * (0xe0000000 - 0x01000000))) >>> 0;
    } else {
      family[i] = 6;
      w[i * 4] = (0x24000000 + Math.floor(r() * 0x00100000)) >>> 0;
      for (let k = 1; k < 4; k++) w[i * 4 + k] = Math.floor(r() * W) >>> 0;
    }
  }
  return { n, family, w, t };
}

/**
 * The baseline: prefixes sorted by (start, length) in flat typed arrays (four words a key); a
 * binary search finds the last one starting at or before the address, then its parent chain is
 * climbed to the first that contains the address and has a record valid at the time.
 */
export class SortedArrayMatcher {
  private fam: Record<4 | 6, { start: Uint32Array; end: Uint32Array; parent: Int32Array; recs: PrefixInput[][] }>;
  constructor(prefixes: PrefixInput[]) {
    const cmp = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3];
    const build = (family: 4 | 6) => {
      const byKey = new Map<string, PrefixInput[]>();
      for (const p of prefixes)
        if (p.family === family) {
          const k = `${p.words.join(':')}/${p.length}`;
          const l = byKey.get(k);
          if (l) l.push(p);
          else byKey.set(k, [p]);
        }
      const blocks = [...byKey.values()].sort((a, b) => cmp(full(a[0]), full(b[0])) || a[0].length - b[0].length);
      const start = new Uint32Array(blocks.length * 4),
        end = new Uint32Array(blocks.length * 4);
      blocks.forEach((b, i) => {
        start.set(full(b[0]), i * 4);
        end.set(lastOf(b[0]), i * 4);
      });
      const parent = new Int32Array(blocks.length);
      const stack: number[] = [];
      blocks.forEach((_, i) => {
        while (
          stack.length &&
          cmp(end.subarray(stack[stack.length - 1] * 4, stack[stack.length - 1] * 4 + 4), start.subarray(i * 4, i * 4 + 4)) < 0
        )
          stack.pop();
        parent[i] = stack.length ? stack[stack.length - 1] : -1;
        stack.push(i);
      });
      return { start, end, parent, recs: blocks };
    };
    this.fam = { 4: build(4), 6: build(6) };
  }
  lookup(family: 4 | 6, a0: number, a1: number, a2: number, a3: number, t: number): number {
    const f = this.fam[family];
    const s = f.start,
      e = f.end;
    let lo = -1,
      hi = f.parent.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const o = mid * 4;
      if (s[o] < a0 || (s[o] === a0 && (s[o + 1] < a1 || (s[o + 1] === a1 && (s[o + 2] < a2 || (s[o + 2] === a2 && s[o + 3] <= a3))))))
        lo = mid;
      else hi = mid - 1;
    }
    for (let b = lo; b >= 0; b = f.parent[b]) {
      const o = b * 4;
      const inside =
        e[o] > a0 || (e[o] === a0 && (e[o + 1] > a1 || (e[o + 1] === a1 && (e[o + 2] > a2 || (e[o + 2] === a2 && e[o + 3] >= a3)))));
      if (!inside) continue;
      for (const r of f.recs[b]) if (r.validFrom <= t && t < r.validTo) return r.value;
    }
    return -1;
  }
}

const full = (p: PrefixInput) => [p.words[0], p.words[1] ?? 0, p.words[2] ?? 0, p.words[3] ?? 0];
function lastOf(p: PrefixInput): number[] {
  const bits = p.family === 4 ? 32 : 128;
  return full(p).map((w, k) => {
    const fixed = Math.max(0, Math.min(32, p.length - 32 * k));
    if (k * 32 >= bits) return 0;
    return fixed === 32 ? w : (w | (fixed === 0 ? 0xffffffff : 0xffffffff >>> fixed)) >>> 0;
  });
}

/**
 * Times two matchers over the same n lookups in alternating rounds, so a burst of load from
 * other processes on this shared machine falls on both rather than on whichever ran then.
 */
function timePair(a: (i: number) => number, b: (i: number) => number, n: number, rounds = 8) {
  const warm = Math.min(n, 100_000);
  for (let i = 0; i < warm; i++) void (a(i) + b(i));
  let ta = 0,
    tb = 0,
    sa = 0,
    sb = 0;
  const per = Math.ceil(n / rounds);
  for (let r = 0; r < rounds; r++) {
    const from = r * per,
      to = Math.min(n, from + per);
    let t = process.hrtime.bigint();
    for (let i = from; i < to; i++) sa = (sa + a(i) * 31 + i) % 1_000_000_007;
    ta += Number(process.hrtime.bigint() - t);
    t = process.hrtime.bigint();
    for (let i = from; i < to; i++) sb = (sb + b(i) * 31 + i) % 1_000_000_007;
    tb += Number(process.hrtime.bigint() - t);
  }
  return { a: { perSec: n / (ta / 1e9), sum: sa }, b: { perSec: n / (tb / 1e9), sum: sb } };
}

const memory = () => {
  // twice: array buffers found dead by one collection are freed by a sweeper that the next one completes
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const size of [2_000, 100_000, 1_000_000]) {
    const reg = registry(size, size);
    const pr = probes(reg, 1_000_000, size + 1);
    const m0 = memory();
    const b0 = performance.now();
    const engine = new LpmEngine(reg);
    const build = performance.now() - b0;
    const mem = memory() - m0;
    const { family, w, t } = pr;
    const c0 = performance.now();
    const base = new SortedArrayMatcher(reg);
    const baseBuild = performance.now() - c0;
    const { a: e, b } = timePair(
      (i) => (family[i] === 4 ? engine.lookup4(w[i * 4], t[i]) : engine.lookup6(w[i * 4], w[i * 4 + 1], w[i * 4 + 2], w[i * 4 + 3], t[i])),
      (i) => base.lookup(family[i] as 4 | 6, w[i * 4], w[i * 4 + 1], w[i * 4 + 2], w[i * 4 + 3], t[i]),
      pr.n,
    );
    if (e.sum !== b.sum) throw new Error(`${size} prefixes: the engine and the baseline disagree (checksums ${e.sum} ≠ ${b.sum})`);
    const label = size.toLocaleString('en-US');
    results.push({
      name: `route: lookups/s, ${label} prefixes`,
      value: e.perSec,
      unit: 'lookups/s',
      baseline: b.perSec,
      ratio: e.perSec / b.perSec,
      target: size === 1_000_000 ? 3 : undefined,
      notes: `1M mixed lookups, engine and baseline timed in 8 alternating rounds; baseline = sorted-array binary search + parent chain; answers identical`,
    });
    results.push({
      name: `route: build, ${label} prefixes`,
      value: build,
      unit: 'ms',
      baseline: size === 1_000_000 ? 3000 : null,
      ratio: size === 1_000_000 ? 3000 / build : null,
      target: size === 1_000_000 ? 1 : undefined,
      notes: `baseline column = the 3 s limit; sorted-array build took ${Math.round(baseBuild)} ms`,
    });
    results.push({
      name: `route: index memory, ${label} prefixes`,
      value: mem / 1e6,
      unit: 'MB',
      baseline: null,
      ratio: null,
      notes: `engine's own estimate ${(engine.bytes() / 1e6).toFixed(1)} MB`,
    });
  }
  return results;
}
