import fs from 'node:fs';
import path from 'node:path';
import { CsvTokenizer } from '../read/csv-tokenizer';
import { chooseColumns } from './choose-profile';
import { GENERIC } from './profile';
import { SHADOWSERVER, reportType } from './shadowserver';
import { normaliseRow, isReject } from './normalise-row';
import { zoneOffset } from './time';
import { formatIpWords } from '@deliveryline/shared';
import type { NormalisedEntry } from './normalise-row';

/** an entry's address as canonical text, from its words */
const ipText = (e: NormalisedEntry) => formatIpWords(e.family, e.w);

const DIR = '/work/shared/samples/shadowserver';
const auto = { candidates: [SHADOWSERVER, GENERIC], named: false };

function read(file: string, name = file) {
  const t = new CsvTokenizer(',');
  const recs = [...t.push(fs.readFileSync(path.join(DIR, file), 'utf8')), ...t.end()];
  const cols = chooseColumns(auto, recs[0].fields, name);
  // a list time zone of JST must not move Shadowserver's UTC timestamps
  const zone = zoneOffset(cols.timezone ?? 'Asia/Tokyo');
  const rows = recs.slice(1).map((r) => normaliseRow(r.fields, cols, { zone, maxFutureMs: Date.now(), malwareMax: 200 }));
  const hosts = recs.slice(1).map((r) => r.fields[cols.ip]);
  return { cols, rows, hosts };
}

describe('the shadowserver profile over the real samples', () => {
  it.each([
    // file, rows, first host, first port, first family, first time (UTC)
    ['botnet_drone.csv', 102, '210.23.139.130', 3218, 'dorkbot', '2011-04-23T00:00:05.000Z'],
    ['event4_sinkhole_http.csv', 5, '103.196.1.2', 60902, 'andromeda', '2021-03-04T00:00:00.000Z'],
    ['event4_sinkhole.csv', 3, '190.113.1.2', 17409, 'victorygate.b', '2021-03-04T00:00:00.000Z'],
    ['event4_sinkhole_dns.csv', 3, '217.110.0.0', 29614, 'calypso', '2022-01-06T00:00:02.000Z'],
    ['event4_microsoft_sinkhole.csv', 6, '190.229.1.2', 52955, 'zeroaccess', '2021-06-07T00:00:00.000Z'],
    ['event4_microsoft_sinkhole_http.csv', 5, '31.206.1.2', 49245, 'necurs', '2021-06-07T00:00:00.000Z'],
    ['event6_sinkhole_http.csv', 3, '2001:448a:1082:4d9b:7491:bf9e:3d5f:a634', 49431, 'boaxxe', '2022-03-02T09:14:19.000Z'],
    ['microsoft_sinkhole.csv', 107, '77.12.73.138', 64742, 'b68-zeroaccess-1-64bit', '2014-09-12T00:00:00.000Z'],
    ['sinkhole_http_drone.csv', 86, '198.51.100.6', 49121, 'downadup', '2018-03-21T00:00:07.000Z'],
    ['event4_ddos_participant.csv', 3, '192.168.0.1', 38055, 'ddos-participant', '2010-02-10T00:00:00.000Z'],
  ])('reads %s: host, port, family and UTC time of every row', (file, n, ip, port, family, time) => {
    const { cols, rows, hosts } = read(file);
    expect(cols.profile).toBe('shadowserver');
    expect(rows).toHaveLength(n);
    expect(rows.filter(isReject)).toEqual([]);
    const first = rows[0];
    if (isReject(first)) throw new Error('rejected');
    expect([ipText(first), first.port, first.malware, new Date(first.observedAt).toISOString()]).toEqual([ip, port, family, time]);
    // every entry's address is the host column (src_ip / ip), never the sinkhole's dst_ip or cc_ip
    expect(cols.header[cols.ip]).toMatch(/^(src_ip|ip)$/);
    expect(rows.map((r) => (isReject(r) ? null : ipText(r)))).toEqual(hosts.map((h) => h.toLowerCase()));
  });

  it.each([
    ['event4_sinkhole_http_referer.csv', /referer report/],
    ['event4_honeypot_brute_force.csv', /honeypot report/],
    ['drone_brute_force.csv', /honeypot report/],
  ])('refuses %s, which is not an infected-host list', (file, why) => {
    expect(() => read(file)).toThrow(why);
    // renamed files are judged from the header alone
    expect(() => read(file, 'list.csv')).toThrow(why);
  });

  it('refuses a scan report by its file name and by its header', () => {
    const header = ['timestamp', 'ip', 'protocol', 'port', 'hostname', 'tag', 'asn', 'geo', 'region', 'city', 'naics', 'sic'];
    expect(() => chooseColumns(auto, header, '2023-01-01-scan_http-japan-geo.csv')).toThrow(/scan report/);
    expect(() => chooseColumns(auto, header, 'feed.csv')).toThrow(/without an infection or family column/);
  });

  it('reads the report type from Shadowserver file names', () => {
    expect(reportType('2021-03-04-event4_sinkhole_http-asn-jp.csv')).toBe('event4_sinkhole_http');
    expect(reportType('2019-06-16-botnet_drone-japan-geo.csv.gz')).toBe('botnet_drone');
    expect(reportType('event4_sinkhole_http_referer.csv')).toBe('event4_sinkhole_http_referer');
    expect(reportType('goz-round1.csv')).toBeNull();
  });
});

describe('choosing the shadowserver profile from the header', () => {
  it('recognises a trimmed event export, and leaves a generic list alone', () => {
    expect(chooseColumns(auto, ['timestamp', 'src_ip', 'src_port', 'infection'], 'feed.csv').profile).toBe('shadowserver');
    expect(chooseColumns(auto, ['timestamp', 'ip', 'port', 'malware'], 'jpcert.csv').profile).toBe('generic');
  });
});
