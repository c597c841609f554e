import fc from 'fast-check';
import { parseTime, zoneOffset } from './time';

const jst = zoneOffset('Asia/Tokyo');
const iso = (r: ReturnType<typeof parseTime>) => (r.ok ? new Date(r.ms).toISOString() : r.code);

describe('parseTime', () => {
  it.each([
    ['2014-06-02T10:15:30Z', null, '2014-06-02T10:15:30.000Z'],
    ['2014-06-02T10:15:30+09:00', null, '2014-06-02T01:15:30.000Z'],
    ['2014-06-02 10:15:30+0900', null, '2014-06-02T01:15:30.000Z'],
    ['2015/04/20 10:15:30', jst, '2015-04-20T01:15:30.000Z'],
    ['2015/4/20 10:15', jst, '2015-04-20T01:15:00.000Z'],
    ['2014-06-02 10:15:30', zoneOffset('UTC'), '2014-06-02T10:15:30.000Z'],
    ['2014-06-02 10:15:30', zoneOffset('+09:00'), '2014-06-02T01:15:30.000Z'],
    ['1401704130', null, '2014-06-02T10:15:30.000Z'],
  ])('reads %s', (raw, zone, expected) => {
    expect(iso(parseTime(raw, zone))).toBe(expected);
  });

  it('refuses a naive time when the list has no time zone', () => {
    expect(iso(parseTime('2015/04/20 10:15:30', null))).toBe('time.naive_without_zone');
  });

  it.each(['2015-02-30 10:00:00', '2015-13-01 00:00', '20150420', 'yesterday', '2015-04-20 25:00'])('refuses %s', (raw) => {
    expect(iso(parseTime(raw, jst))).toBe('time.invalid');
  });

  it('reads wall-clock time across a daylight-saving change', () => {
    // 2015-03-08 03:30 in New York is EDT (UTC-4)
    expect(iso(parseTime('2015-03-08 03:30:00', zoneOffset('America/New_York')))).toBe('2015-03-08T07:30:00.000Z');
  });

  it.each([
    // Adelaide's summer time starts at 02:00 ACST (+09:30) = 16:30 UTC, half way through a UTC hour
    ['Australia/Adelaide', '2024-10-06 01:45:00', '2024-10-05T16:15:00.000Z'],
    ['Australia/Adelaide', '2024-10-06 03:10:00', '2024-10-05T16:40:00.000Z'],
    ['Australia/Adelaide', '2024-10-06 03:29:59', '2024-10-05T16:59:59.000Z'],
    ['Australia/Adelaide', '2024-10-06 04:10:00', '2024-10-05T17:40:00.000Z'],
    // and ends at 03:00 ACDT (+10:30) = 16:30 UTC: 03:10 after it is ACST again
    ['Australia/Adelaide', '2025-04-06 03:10:00', '2025-04-05T17:40:00.000Z'],
    ['Australia/Adelaide', '2025-04-06 04:00:00', '2025-04-05T18:30:00.000Z'],
    // Lord Howe moves its clocks by half an hour, at 02:00 local = 15:30 UTC
    ['Australia/Lord_Howe', '2024-10-06 02:40:00', '2024-10-05T15:40:00.000Z'],
  ])('reads wall-clock time in %s across a change on a half hour of UTC: %s', (zone, raw, expected) => {
    const z = zoneOffset(zone);
    // the zone's offsets are cached: first a time earlier in the same UTC hour, then the one tested
    parseTime(raw.slice(0, 11) + '00:00:00', z);
    expect(iso(parseTime(raw, z))).toBe(expected);
    expect(iso(parseTime(raw, zoneOffset(zone)))).toBe(expected);
  });

  it('names an unknown zone', () => {
    expect(() => zoneOffset('Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});

describe('parseTime, more forms', () => {
  it.each([
    ['平成27年4月20日 10:15:30', '2015-04-20T01:15:30.000Z'],
    ['平成元年1月8日', '1989-01-07T15:00:00.000Z'],
    ['H27.4.20 10:15', '2015-04-20T01:15:00.000Z'],
    ['令和3年12月1日 9時5分', '2021-12-01T00:05:00.000Z'],
    ['2015年4月20日 10:15', '2015-04-20T01:15:00.000Z'],
    ['2015-04-20 10:15:30-0130', '2015-04-20T11:45:30.000Z'],
    ['2015-04-20T10:15:30+09:00', '2015-04-20T01:15:30.000Z'],
    ['1429492530.5', '2015-04-20T01:15:30.500Z'],
  ])('reads %s', (raw, expected) => {
    expect(iso(parseTime(raw, jst))).toBe(expected);
  });

  it.each(['2015-02-29 10:00:00', '2015-04-20 24:00:00', '2015-04-20 10:15:30+9', '2015-04-20x10:15:30'])(
    'refuses %s on the fast path too',
    (raw) => {
      expect(iso(parseTime(raw, jst))).toBe('time.invalid');
    },
  );
});

describe('zones named in the file', () => {
  it('reads a JST suffix on the time', () => {
    expect(iso(parseTime('2015-04-20 10:15:30 JST', null))).toBe('2015-04-20T01:15:30.000Z');
  });
});

describe('parseTime, dotted dates and milliseconds', () => {
  it.each([
    ['2015.4.20 10:15', '2015-04-20T01:15:00.000Z'],
    ['1429492530000', '2015-04-20T01:15:30.000Z'],
  ])('reads %s', (raw, expected) => {
    expect(iso(parseTime(raw, jst))).toBe(expected);
  });

  it('refuses mixed separators', () => {
    expect(iso(parseTime('2015-04/20 10:15', jst))).toBe('time.invalid');
  });
});

describe('parseTime, fractions of a second', () => {
  it.each([
    ['2024-05-01T00:00:00.000Z', '2024-05-01T00:00:00.000Z'],
    ['2024-05-01T00:00:00.5Z', '2024-05-01T00:00:00.500Z'],
    ['2024-05-01T00:00:00.123456789+09:00', '2024-04-30T15:00:00.123Z'],
    ['2024-05-01 00:00:00.999-0130', '2024-05-01T01:30:00.999Z'],
  ])('reads %s', (raw, expected) => {
    expect(iso(parseTime(raw, null))).toBe(expected);
  });

  it('reads a fraction written with a dot (the fast path) as the general reader does with a comma', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1990-01-01'), max: new Date('2035-12-31'), noInvalidDate: true }),
        fc.stringMatching(/^\d{1,9}$/),
        fc.constantFrom('Z', '+09:00', '-0530', ''),
        fc.constantFrom('T', ' '),
        (d, frac, zone, sep) => {
          const text = `${d.toISOString().slice(0, 10)}${sep}${d.toISOString().slice(11, 19)}`;
          const dot = parseTime(`${text}.${frac}${zone}`, zoneOffset('UTC'));
          const comma = parseTime(`${text},${frac}${zone}`, zoneOffset('UTC'));
          expect(dot).toEqual(comma);
          expect(dot.ok && new Date(dot.ms).getUTCMilliseconds()).toBe(Number(frac.padEnd(3, '0').slice(0, 3)));
        },
      ),
      { numRuns: 500 },
    );
  });
});
