import fc from 'fast-check';
import { LpmEngine, type PrefixInput } from './lpm';

/** The reference: every prefix checked, the longest valid one wins. */
function brute(prefixes: PrefixInput[], family: 4 | 6, ip: bigint, t: number): number {
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

const words = (v: bigint) => [96n, 64n, 32n, 0n].map((s) => Number((v >> s) & 0xffffffffn)) as [number, number, number, number];

// small address alphabets so that prefixes nest and collide often
const v4Net = fc.tuple(fc.integer({ min: 0, max: 32 }), fc.constantFrom(0n, 0x0a000000n, 0x0a010000n, 0x0a010100n, 0xffffffffn, 0x0a0101ffn, 0x80000000n))
  .map(([len, a]) => ({ family: 4 as const, length: len, network: len === 0 ? 0n : (a >> BigInt(32 - len)) << BigInt(32 - len) }));
const v6Net = fc.tuple(fc.integer({ min: 0, max: 128 }), fc.constantFrom(0n, 0x24000000n << 96n, (0x24000000n << 96n) | 1n, (1n << 128n) - 1n, 0x2400ff00n << 96n))
  .map(([len, a]) => ({ family: 6 as const, length: len, network: len === 0 ? 0n : (a >> BigInt(128 - len)) << BigInt(128 - len) }));
const windowArb = fc.oneof(
  fc.constant([-Infinity, Infinity] as [number, number]),
  fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 100 })).map(([a, d]) => [a, a + d] as [number, number]),
);

describe('LpmEngine', () => {
  it('agrees with a brute-force matcher on random nested registries with validity windows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(v4Net, v6Net), windowArb), { maxLength: 40 }),
        fc.array(fc.tuple(fc.oneof(v4Net, v6Net), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: -5, max: 210 })), { minLength: 1, maxLength: 60 }),
        (raw, probes) => {
          // one holder per block and time: drop records overlapping an earlier one of the same block
          const prefixes: PrefixInput[] = [];
          raw.forEach(([n, [from, to]], i) => {
            const clash = prefixes.some((p) => p.family === n.family && p.length === n.length && p.network === n.network && p.validFrom < to && from < p.validTo);
            if (!clash) prefixes.push({ ...n, value: i, validFrom: from, validTo: to });
          });
          const engine = new LpmEngine(prefixes);
          for (const [near, noise, t] of probes) {
            const bits = near.family === 4 ? 32 : 128;
            const span = bits - near.length;
            const ip = near.network + (span === 0 ? 0n : noise % (1n << BigInt(span)));
            const got = near.family === 4 ? engine.lookup4(Number(ip), t) : engine.lookup6(...words(ip), t);
            expect(got).toBe(brute(prefixes, near.family, ip, t));
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('matches the first and last address of a prefix and nothing beside it', () => {
    const e = new LpmEngine([{ value: 7, family: 4, network: 0x0a000000n, length: 8, validFrom: -Infinity, validTo: Infinity }]);
    expect(e.lookup4(0x0a000000, 0)).toBe(7);
    expect(e.lookup4(0x0affffff, 0)).toBe(7);
    expect(e.lookup4(0x09ffffff, 0)).toBe(-1);
    expect(e.lookup4(0x0b000000, 0)).toBe(-1);
  });

  it('returns the member that held the block at the time, not the one holding it now', () => {
    const e = new LpmEngine([
      { value: 1, family: 4, network: 0x76000000n, length: 16, validFrom: -Infinity, validTo: 1000 },
      { value: 2, family: 4, network: 0x76000000n, length: 16, validFrom: 1000, validTo: Infinity },
    ]);
    expect(e.lookup4(0x76000001, 999)).toBe(1);
    expect(e.lookup4(0x76000001, 1000)).toBe(2);
  });

  it('falls back to the enclosing prefix when the more specific one has expired', () => {
    const e = new LpmEngine([
      { value: 1, family: 6, network: 0x24000000n << 96n, length: 16, validFrom: -Infinity, validTo: Infinity },
      { value: 2, family: 6, network: 0x24000001n << 96n, length: 32, validFrom: -Infinity, validTo: 50 },
    ]);
    expect(e.lookup6(0x24000001, 0, 0, 1, 10)).toBe(2);
    expect(e.lookup6(0x24000001, 0, 0, 1, 60)).toBe(1);
  });
});
