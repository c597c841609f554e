import fc from 'fast-check';
import { EntryKeySet } from './entry-key-set';

describe('EntryKeySet', () => {
  it('agrees with a Set of string keys on any sequence of keys, across growth', () => {
    const key = fc.record({
      family: fc.constantFrom<4 | 6>(4, 6),
      w: fc.array(fc.constantFrom(0, 1, 0xffffffff, 0x20010db8, 7), { minLength: 4, maxLength: 4 }),
      time: fc.constantFrom(0, 1000, 1_401_704_130_000, 1_401_704_130_001, -5000),
      port: fc.constantFrom(-1, 0, 80, 65535),
    });
    fc.assert(
      fc.property(fc.array(key, { maxLength: 300 }), (keys) => {
        const s = new EntryKeySet(4);
        const ref = new Set<string>();
        for (const k of keys) {
          const w = k.family === 4 ? [k.w[0], 0, 0, 0] : k.w;
          const id = `${k.family}|${w.join(':')}|${k.time}|${k.port}`;
          expect(s.add(k.family, w[0], w[1], w[2], w[3], k.time, k.port)).toBe(!ref.has(id));
          ref.add(id);
        }
        expect(s.size).toBe(ref.size);
      }),
    );
  });

  it('tells an IPv4 address from the IPv6 address with the same low word', () => {
    const s = new EntryKeySet();
    expect(s.add(4, 0x01020304, 0, 0, 0, 0, -1)).toBe(true);
    expect(s.add(6, 0x01020304, 0, 0, 0, 0, -1)).toBe(true);
    expect(s.add(4, 0x01020304, 0, 0, 0, 0, 0)).toBe(true);
    expect(s.add(4, 0x01020304, 0, 0, 0, 0, -1)).toBe(false);
  });
});
