import fc from 'fast-check';
import { parseIpv4 } from '@deliveryline/shared';
import { fcRuns } from '@deliveryline/shared/testing';
import { integerAt, ipv4At } from './copy-bytes';

const at = (s: string) => {
  // the text in the middle of other bytes, as it sits in a COPY buffer
  const b = Buffer.from(`x\t${s}\ty`, 'latin1');
  return [b, 2, 2 + Buffer.byteLength(s, 'latin1')] as const;
};

describe('reading COPY fields from bytes', () => {
  it('reads every IPv4 address as its 32-bit value, the way the text parser does', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(ipv4At(...at(ip))).toBe(parseIpv4(ip));
      }),
      { numRuns: 2000 },
    );
    expect(ipv4At(...at('0.0.0.0'))).toBe(0);
    expect(ipv4At(...at('255.255.255.255'))).toBe(0xffffffff);
    expect(ipv4At(...at('203.0.113.7'))).toBe(((203 * 256 + 0) * 256 + 113) * 256 + 7);
  });

  it('refuses anything else, so that the caller reads it as text', () => {
    for (const s of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.',
      '.1.2.3',
      '256.0.0.1',
      '01.2.3.4',
      '1..2.3',
      '1.2.3.4a',
      '2001:db8::1',
      '::ffff:1.2.3.4',
      '1234.1.1.1',
      ' 1.2.3.4',
    ]) {
      expect(ipv4At(...at(s))).toBe(-1);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        const v = ipv4At(...at(s));
        const p = parseIpv4(s);
        expect(v).toBe(p >= 0 ? p : -1);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads exactly the bytes it is given: none before start, none from end on', () => {
    // the field between digits and dots (what an over-read would take in), and flush with the
    // buffer's own start and end
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.integer({ min: -(2 ** 52), max: 2 ** 52 }).map(String), fc.string({ maxLength: 16 })), (s) => {
        const len = Buffer.byteLength(s, 'latin1');
        const tight = Buffer.from(s, 'latin1');
        const padded = Buffer.from(`9.9${s}9.9`, 'latin1');
        const want4 = ipv4At(...at(s));
        const wantN = integerAt(...at(s));
        expect(ipv4At(tight, 0, len)).toBe(want4);
        expect(ipv4At(padded, 3, 3 + len)).toBe(want4);
        expect(integerAt(tight, 0, len)).toBe(wantN);
        expect(integerAt(padded, 3, 3 + len)).toBe(wantN);
      }),
      { numRuns: fcRuns(1000) },
    );
  });

  it('reads integers, negative ones too (times before 1970), and refuses other bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), (n) => {
        expect(integerAt(...at(String(n)))).toBe(n);
      }),
      { numRuns: 2000 },
    );
    for (const s of ['', '-', '1e3', '12 ', '1.5', '+1']) expect(integerAt(...at(s))).toBeNaN();
  });
});
