import net from 'node:net';
import fc from 'fast-check';
import { IPv6 } from 'ip-num';
import { parseIp, formatIpv6 } from './ip';

describe('parseIp', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    [' 8.8.8.8 ', '8.8.8.8'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['[2400:4050::1]', '2400:4050::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['2001:db8::192.0.2.33', '2001:db8::c000:221'],
  ])('normalises %s to %s', (raw, text) => {
    const r = parseIp(raw);
    expect(r.ok && r.text).toBe(text);
  });

  it.each([
    ['192.168.001.5', 'ip.leading_zero'],
    ['010.1.1.1', 'ip.leading_zero'],
    ['256.1.1.1', 'ip.invalid'],
    ['1.2.3', 'ip.invalid'],
    ['1.2.3.4.5', 'ip.invalid'],
    ['1.2.3.4/32', 'ip.has_prefix'],
    ['fe80::1%eth0', 'ip.zone'],
    ['', 'ip.empty'],
    ['2001:db8:::1', 'ip.invalid'],
    ['1:2:3:4:5:6:7:8:9', 'ip.invalid'],
    ['12345::', 'ip.invalid'],
    ['example.com', 'ip.invalid'],
  ])('refuses %s with %s', (raw, code) => {
    const r = parseIp(raw);
    expect(r.ok ? 'accepted' : r.code).toBe(code);
  });

  it('says which address it meant for a leading zero', () => {
    const r = parseIp('192.168.001.5');
    expect(!r.ok && r.message).toContain('write 192.168.1.5');
  });

  it('agrees with net.isIP on arbitrary IPv4 text', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 3, maxLength: 5 }), (octets) => {
        const s = octets.join('.');
        expect(parseIp(s).ok).toBe(net.isIP(s) === 4);
      }),
    );
  });

  it('agrees with ip-num on the canonical form of any IPv6 address', () => {
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        const r = parseIp(s);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const expected = new IPv6(s).toString();
        // ip-num writes the expanded form; compare the numeric value through our formatter
        const groups = expected.split(':').map((g) => parseInt(g, 16));
        const mapped = groups.length === 8 && groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
        if (mapped) expect(r.family).toBe(4);
        else expect(r.text).toBe(formatIpv6(groups));
        expect(net.isIP(r.text)).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});
