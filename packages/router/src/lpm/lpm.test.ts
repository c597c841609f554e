import fc from 'fast-check';
import { LpmEngine, wordsOf, type PrefixInput, type LpmOptions } from './lpm';

type Net = { family: 4 | 6; length: number; network: bigint };
type Rec = PrefixInput & { network: bigint };
const rec = (n: Net, value: number, validFrom = -Infinity, validTo = Infinity): Rec => ({
  value,
  family: n.family,
  length: n.length,
  network: n.network,
  words: wordsOf(n.network, n.family),
  validFrom,
  validTo,
});

/** The reference: every prefix checked, the longest valid one wins. */
function brute(prefixes: Rec[], family: 4 | 6, ip: bigint, t: number): number {
  const bits = family === 4 ? 32 : 128;
  let best = -1;
  let bestLen = -1;
  for (const p of prefixes) {
    if (p.family !== family || !(p.validFrom <= t && t < p.validTo)) continue;
    const shift = BigInt(bits - p.length);
    if (ip >> shift === p.network >> shift && p.length > bestLen) {
      best = p.value;
      bestLen = p.length;
    }
  }
  return best;
}

const look = (e: LpmEngine, family: 4 | 6, ip: bigint, t: number) =>
  family === 4 ? e.lookup4(Number(ip), t) : e.lookup6(...(wordsOf(ip, 6) as [number, number, number, number]), t);

const mask = (a: bigint, len: number, bits: number) => (len === 0 ? 0n : (a >> BigInt(bits - len)) << BigInt(bits - len));
// small address alphabets so that prefixes nest and collide often, plus a random address now and then
const v4Addr = fc.oneof(
  fc.constantFrom(0n, 0x0a000000n, 0x0a010000n, 0x0a010100n, 0xffffffffn, 0x0a0101ffn, 0x80000000n, 0x0a0101c0n),
  fc.bigInt({ min: 0n, max: 0xffffffffn }),
);
const v6Addr = fc.oneof(
  fc.constantFrom(
    0n,
    0x24000000n << 96n,
    (0x24000000n << 96n) | 1n,
    (1n << 128n) - 1n,
    0x2400ff00n << 96n,
    (0x24000000n << 96n) | (0xffffn << 64n),
    (0x24000000n << 96n) | (1n << 63n),
  ),
  fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
);
const v4Net = fc
  .tuple(fc.integer({ min: 0, max: 32 }), v4Addr)
  .map(([len, a]): Net => ({ family: 4, length: len, network: mask(a, len, 32) }));
const v6Net = fc
  .tuple(fc.integer({ min: 0, max: 128 }), v6Addr)
  .map(([len, a]): Net => ({ family: 6, length: len, network: mask(a, len, 128) }));
const windowArb = fc.oneof(
  fc.constant([-Infinity, Infinity] as [number, number]),
  fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 100 })).map(([a, d]) => [a, a + d] as [number, number]),
  fc.integer({ min: 0, max: 100 }).map((a) => [a, Infinity] as [number, number]),
  fc.integer({ min: 1, max: 100 }).map((a) => [-Infinity, a] as [number, number]),
);

function agreesWithBruteForce(opts: LpmOptions, numRuns: number) {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.oneof(v4Net, v6Net), windowArb), { maxLength: 40 }),
      fc.array(
        fc.tuple(
          fc.nat(),
          fc.constantFrom('first', 'last', 'before', 'after', 'inside'),
          fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
          fc.integer({ min: -5, max: 210 }),
        ),
        { minLength: 1, maxLength: 60 },
      ),
      (raw, probes) => {
        // one holder per block and time (the database's exclusion constraint): drop records overlapping an earlier one
        const prefixes: Rec[] = [];
        raw.forEach(([n, [from, to]], i) => {
          const clash = prefixes.some(
            (p) => p.family === n.family && p.length === n.length && p.network === n.network && p.validFrom < to && from < p.validTo,
          );
          if (!clash) prefixes.push(rec(n, i, from, to));
        });
        const engine = new LpmEngine(prefixes, opts);
        const times = prefixes.flatMap((p) => [p.validFrom, p.validTo, p.validTo - 1]).filter(Number.isFinite);
        for (const [pick, where, noise, tRaw] of probes) {
          const near: Net = prefixes.length ? prefixes[pick % prefixes.length] : { family: 4, length: 8, network: 0x0a000000n };
          const bits = near.family === 4 ? 32 : 128;
          const top = (1n << BigInt(bits)) - 1n;
          const last = near.network + (1n << BigInt(bits - near.length)) - 1n;
          const ip =
            where === 'first'
              ? near.network
              : where === 'last'
                ? last
                : where === 'before'
                  ? near.network - 1n
                  : where === 'after'
                    ? last + 1n
                    : near.network + (noise % (last - near.network + 1n));
          if (ip < 0n || ip > top) continue;
          // probe at exact window edges as well as at random times
          const t = times.length && tRaw % 3 === 0 ? times[Math.abs(tRaw) % times.length] : tRaw;
          expect(look(engine, near.family, ip, t)).toBe(brute(prefixes, near.family, ip, t));
        }
      },
    ),
    { numRuns },
  );
}

describe('LpmEngine', () => {
  it('agrees with a brute-force matcher on random nested registries with validity windows', () => {
    agreesWithBruteForce({}, 500);
  });

  it('agrees with the brute-force matcher when the flat IPv4 table is used', () => {
    agreesWithBruteForce({ table24: true }, 25);
  });

  it('agrees with the brute-force matcher when every IPv6 bucket has a second-level table', () => {
    agreesWithBruteForce({ subTableFrom: 1 }, 300);
  });

  it('matches the first and last address of a prefix and nothing beside it', () => {
    const e = new LpmEngine([rec({ family: 4, network: 0x0a000000n, length: 8 }, 7)]);
    expect(e.lookup4(0x0a000000, 0)).toBe(7);
    expect(e.lookup4(0x0affffff, 0)).toBe(7);
    expect(e.lookup4(0x09ffffff, 0)).toBe(-1);
    expect(e.lookup4(0x0b000000, 0)).toBe(-1);
  });

  it('handles /0, /32 and /128 at the ends of the address space', () => {
    const e = new LpmEngine([
      rec({ family: 4, network: 0n, length: 0 }, 1),
      rec({ family: 4, network: 0xffffffffn, length: 32 }, 2),
      rec({ family: 4, network: 0n, length: 32 }, 3),
      rec({ family: 6, network: 0n, length: 0 }, 4),
      rec({ family: 6, network: (1n << 128n) - 1n, length: 128 }, 5),
      rec({ family: 6, network: 0x20010db8n << 96n, length: 128 }, 6),
    ]);
    expect(e.lookup4(0xffffffff, 0)).toBe(2);
    expect(e.lookup4(0xfffffffe, 0)).toBe(1);
    expect(e.lookup4(0, 0)).toBe(3);
    expect(e.lookup4(1, 0)).toBe(1);
    const max = 0xffffffff;
    expect(e.lookup6(max, max, max, max, 0)).toBe(5);
    expect(e.lookup6(max, max, max, max - 1, 0)).toBe(4);
    expect(e.lookup6(0x20010db8, 0, 0, 0, 0)).toBe(6);
    expect(e.lookup6(0x20010db8, 0, 0, 1, 0)).toBe(4);
  });

  it('returns the member that held the block at the time, not the one holding it now', () => {
    const net: Net = { family: 4, network: 0x76000000n, length: 16 };
    const e = new LpmEngine([rec(net, 1, -Infinity, 1000), rec(net, 2, 1000, Infinity)]);
    expect(e.lookup4(0x76000001, 999)).toBe(1);
    expect(e.lookup4(0x76000001, 1000)).toBe(2);
  });

  it('falls back to the enclosing prefix when the more specific one has expired', () => {
    const e = new LpmEngine([
      rec({ family: 6, network: 0x24000000n << 96n, length: 16 }, 1),
      rec({ family: 6, network: 0x24000001n << 96n, length: 32 }, 2, -Infinity, 50),
      rec({ family: 6, network: (0x24000001n << 96n) | 0x100n, length: 120 }, 3, 0, 20),
    ]);
    expect(e.lookup6(0x24000001, 0, 0, 1, 10)).toBe(2);
    expect(e.lookup6(0x24000001, 0, 0, 0x101, 10)).toBe(3);
    expect(e.lookup6(0x24000001, 0, 0, 0x101, 30)).toBe(2);
    expect(e.lookup6(0x24000001, 0, 0, 1, 60)).toBe(1);
  });
});
