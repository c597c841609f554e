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

  it('names an unknown zone', () => {
    expect(() => zoneOffset('Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});
