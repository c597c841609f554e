import iconv from 'iconv-lite';
import { RefRouter, referenceList, refIp, refTime, wallInstants } from './reference-pipeline';

/** The reference must be right on its own: the examples of docs/ingest.md and docs/routing.md, worked by hand. */
describe('the reference pipeline', () => {
  it('reads addresses as the documentation says', () => {
    expect(refIp('192.168.001.5')).toEqual({ ok: false, code: 'ip.leading_zero' });
    expect(refIp('not-an-ip')).toEqual({ ok: false, code: 'ip.invalid' });
    expect(refIp('1.2.3.4/24')).toEqual({ ok: false, code: 'ip.has_prefix' });
    expect(refIp('fe80::1%eth0')).toEqual({ ok: false, code: 'ip.zone' });
    expect(refIp(' 220.102.13.163 ')).toEqual({ ok: true, family: 4, text: '220.102.13.163' });
    expect(refIp('::ffff:220.102.13.163')).toEqual({ ok: true, family: 4, text: '220.102.13.163' });
    expect(refIp('[2400:4050::1]')).toEqual({ ok: true, family: 6, text: '2400:4050:0000:0000:0000:0000:0000:0001' });
    expect(refIp('２２０．１０２．１３．１６３'.normalize('NFKC'))).toEqual({ ok: true, family: 4, text: '220.102.13.163' });
  });

  it('reads times as the documentation says', () => {
    const at = (s: string) => new Date(s).getTime();
    expect(refTime('2014-06-02T10:15:30+09:00', null)).toEqual({ ok: true, ms: at('2014-06-02T01:15:30Z') });
    expect(refTime('2015/04/20 10:15:30', 'Asia/Tokyo')).toEqual({ ok: true, ms: at('2015-04-20T01:15:30Z') });
    expect(refTime('2015/4/20 10:15', '+09:00')).toEqual({ ok: true, ms: at('2015-04-20T01:15:00Z') });
    expect(refTime('平成27年4月20日 10時15分', 'Asia/Tokyo')).toEqual({ ok: true, ms: at('2015-04-20T01:15:00Z') });
    expect(refTime('2024-05-01 00:00:00,123', 'UTC')).toEqual({ ok: true, ms: at('2024-05-01T00:00:00.123Z') });
    expect(refTime('2015/04/20 10:15:30', null)).toEqual({ ok: false, code: 'time.naive_without_zone' });
    expect(refTime('2023-02-29T10:00:00Z', null)).toEqual({ ok: false, code: 'time.invalid' });
    expect(refTime('', null)).toEqual({ ok: false, code: 'time.empty' });
    // Adelaide's summer time starts at 02:00 ACST = 16:30 UTC: 02:30 does not exist, 03:10 is ACDT
    expect(refTime('2024-10-06 03:10:00', 'Australia/Adelaide')).toEqual({ ok: true, ms: at('2024-10-05T16:40:00Z') });
    expect(wallInstants('Australia/Adelaide', at('2024-10-06T02:30:00Z'))).toEqual([]);
    // and ends at 03:00 ACDT: 02:30 happens twice
    expect(wallInstants('Australia/Adelaide', at('2025-04-06T02:30:00Z'))).toEqual([
      at('2025-04-05T16:00:00Z'),
      at('2025-04-05T17:00:00Z'),
    ]);
  });

  it('routes by who held the block when the entry was seen, the longest prefix first', () => {
    const r = new RefRouter(
      {
        members: [
          { id: 'ocn', name: 'O', active: true, leftOn: null },
          { id: 'kddi', name: 'K', active: true, leftOn: null },
          { id: 'sbb', name: 'S', active: true, leftOn: null },
          { id: 'gone', name: 'G', active: true, leftOn: '2023-12-31' },
        ],
        holdings: [
          { memberId: 'ocn', cidr: '153.128.0.0/9', validFrom: null, validTo: null },
          { memberId: 'kddi', cidr: '153.139.0.0/16', validFrom: null, validTo: null },
          { memberId: 'sbb', cidr: '126.0.0.0/8', validFrom: null, validTo: '2024-04-01' },
          { memberId: 'kddi', cidr: '126.0.0.0/8', validFrom: '2024-04-01', validTo: null },
          { memberId: 'gone', cidr: '2400:4050::/30', validFrom: null, validTo: null },
        ],
      },
      Date.parse('2025-01-01T00:00:00Z'),
    );
    const t = Date.parse('2024-03-31T14:59:59Z'); // 23:59:59 JST, the last second of sbb's holding
    expect(r.route(4, '153.200.1.1', t)).toEqual({ state: 'delivered', memberId: 'ocn' });
    expect(r.route(4, '153.139.1.1', t)).toEqual({ state: 'delivered', memberId: 'kddi' });
    expect(r.route(4, '126.1.1.1', t)).toEqual({ state: 'delivered', memberId: 'sbb' });
    expect(r.route(4, '126.1.1.1', t + 1000)).toEqual({ state: 'delivered', memberId: 'kddi' });
    expect(r.route(4, '192.168.1.1', t)).toEqual({ state: 'returned', reason: 'non_routable' });
    expect(r.route(4, '8.8.8.8', t)).toEqual({ state: 'returned', reason: 'no_member' });
    expect(r.route(6, '2400:4050:0000:0000:0000:0000:0000:0001', t)).toEqual({ state: 'returned', reason: 'member_inactive' });
  });

  it('numbers rows after a title line and blank lines, and tells rejects, duplicates and entries apart (Shift_JIS, CRLF)', () => {
    const text =
      '感染端末リスト\r\nIPアドレス,観測日時,ポート,マルウェア名\r\n153.139.1.1,2015/04/20 10:15:30,80,ゲームオーバーゼウス\r\n\r\n' +
      '192.168.001.5,2015/04/20 10:15:30,80,GOZ\r\n153.139.1.1,2015/04/20 10:15:30,80,別名\r\n"8.8.8.8",2015/04/20 10:16,,"a\r\nb"\r\n';
    const res = referenceList(
      { bytes: iconv.encode(text, 'cp932'), fileName: 'list.csv', timezone: 'Asia/Tokyo', now: Date.now(), maxFutureMinutes: 60 },
      {
        members: [{ id: 'kddi', name: 'K', active: true, leftOn: null }],
        holdings: [{ memberId: 'kddi', cidr: '153.139.0.0/16', validFrom: null, validTo: null }],
      },
    );
    expect(res.fates.map((f) => [f.row, f.line, f.fate === 'rejected' ? f.reason : f.fate])).toEqual([
      [1, 3, 'accepted'],
      [2, 5, 'ip.leading_zero'],
      [3, 6, 'duplicate'],
      [4, 7, 'accepted'],
    ]);
    expect(res.fates[3]).toMatchObject({ port: null, malware: 'a\r\nb', extra: null, route: { state: 'returned', reason: 'no_member' } });
    expect(res.counts).toEqual({ rowsRead: 4, rejected: 1, duplicates: 1, received: 2, delivered: 1, returned: 1 });
    expect([...res.batches]).toEqual([['kddi', [1]]]);
  });
});
