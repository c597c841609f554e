import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import { offsetAt, wallInstants, type RefHolding, type RefMember, type RefRegistry } from './reference-pipeline';

/**
 * Random but realistic registries and lists, from a seed (the same seed gives the same bytes):
 * member ids of 1 to 63 characters, Japanese names, nested IPv4/IPv6 prefixes, blocks that change
 * hands, members that left; lists in the generic (English or Japanese headers) and Shadowserver
 * layouts, UTF-8 (with or without BOM) or Shift_JIS, LF or CRLF, times with an offset or naive
 * with a zone, exact repeats, rows that must be refused, quoted fields with commas and line breaks,
 * long fields. Used by the differential test and the benches.
 */

export type Rng = () => number;

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const chance = (r: Rng, p: number) => r() < p;

const ID_FIRST = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ID_REST = ID_FIRST + '_.-';
const NAME_PARTS = [
  '東日本',
  '西日本',
  'さくら',
  'ひかり',
  '関西',
  '九州',
  '北海道',
  'テレコム',
  'ネットワークス',
  'コミュニケーションズ',
  'ブロードバンド',
  '通信',
  'ケーブル',
  'インターネット',
];

/** A member id of `len` characters (letters, digits, _ . -; a letter or digit first). */
export function memberId(r: Rng, len: number): string {
  let s = ID_FIRST[int(r, 0, ID_FIRST.length - 1)];
  while (s.length < len) s += ID_REST[int(r, 0, ID_REST.length - 1)];
  return s;
}

const v4text = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const hex4 = (n: number) => n.toString(16);

/** First octets no special-purpose block touches (so a member's block is routable). */
const PUBLIC_FIRST = [
  1, 14, 27, 36, 42, 49, 58, 60, 61, 101, 106, 110, 111, 113, 114, 118, 119, 121, 122, 123, 124, 125, 126, 133, 150, 153, 160, 163, 175,
  180, 182, 183, 202, 210, 211, 218, 219, 220, 221, 222,
];

export interface GeneratedRegistry extends RefRegistry {
  membersCsv: string;
  prefixesCsv: string;
  /** instants at which a block changed hands (lists put observations around them) */
  moves: number[];
}

const JST_DAY = (d: string) => Date.parse(`${d}T00:00:00+09:00`);
const dateText = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(0, 10);

/** A registry: `members` members (a few left or inactive), each with IPv4 and IPv6 blocks, more specific blocks inside others, blocks that moved. */
export function generateRegistry(seed: number, members = 24): GeneratedRegistry {
  const r = rng(seed);
  const ms: RefMember[] = [];
  const ids = new Set<string>();
  for (let k = 0; k < members; k++) {
    let id: string;
    do id = memberId(r, k === 0 ? 1 : k === 1 ? 63 : chance(r, 0.3) ? int(r, 1, 63) : int(r, 3, 12));
    while (ids.has(id.toLowerCase()));
    ids.add(id.toLowerCase());
    const left = k >= 2 && chance(r, 0.12);
    const future = !left && chance(r, 0.05);
    ms.push({
      id,
      name: `${pick(r, NAME_PARTS)}${pick(r, NAME_PARTS)}株式会社`,
      active: !(k >= 2 && !left && chance(r, 0.06)),
      leftOn: left ? dateText(JST_DAY('2021-01-01') + int(r, 0, 1500) * 86_400_000) : future ? '2099-03-31' : null,
    });
  }
  const holdings: RefHolding[] = [];
  const moves: number[] = [];
  const taken = new Set<string>();
  const usedV4 = new Set<number>();
  const add = (memberId: string, cidr: string, from: string | null, to: string | null) =>
    holdings.push({ memberId, cidr, validFrom: from, validTo: to });
  /** a more specific block: one holder per cidr (drawn twice, the first stays) */
  const nested = (memberId: string, cidr: string, from: string | null) => {
    if (!taken.has(cidr)) add(memberId, cidr, from, null);
    taken.add(cidr);
  };
  for (const [k, m] of ms.entries()) {
    // one or two top-level IPv4 blocks (/12–/16) and an IPv6 /32
    for (let b = 0; b < int(r, 1, 2); b++) {
      let first: number;
      do first = pick(r, PUBLIC_FIRST) * 256 + int(r, 0, 255);
      while (usedV4.has(first));
      usedV4.add(first);
      const len = pick(r, [16, 16, 15, 14]);
      const base = (first << 16) >>> 0;
      const net = len === 16 ? base : (base & ~((1 << (32 - len)) - 1)) >>> 0;
      if (len < 16) for (let x = 0; x < 1 << (16 - len); x++) usedV4.add(((net >>> 16) + x) & 0xffff);
      const moved = chance(r, 0.25);
      if (moved) {
        const other = pick(r, ms);
        const at = dateText(JST_DAY('2020-01-01') + int(r, 0, 1800) * 86_400_000);
        moves.push(JST_DAY(at));
        add(m.id, `${v4text(net)}/${len}`, null, at);
        if (other.id !== m.id) add(other.id, `${v4text(net)}/${len}`, at, null);
      } else add(m.id, `${v4text(net)}/${len}`, null, null);
      // more specific blocks of other members inside (nested twice sometimes)
      for (let n = 0; n < int(r, 0, 3); n++) {
        const sub = int(r, 17, 24);
        const subNet = (net + (int(r, 0, (1 << (sub - len)) - 1) << (32 - sub))) >>> 0;
        const holder = pick(r, ms);
        nested(holder.id, `${v4text(subNet)}/${sub}`, chance(r, 0.2) ? '2022-04-01' : null);
        if (chance(r, 0.4)) {
          const deep = int(r, sub + 1, 30);
          nested(pick(r, ms).id, `${v4text((subNet + (int(r, 0, (1 << (deep - sub)) - 1) << (32 - deep))) >>> 0)}/${deep}`, null);
        }
      }
    }
    const g2 = 0x2400 + k;
    add(m.id, `${hex4(g2)}:${hex4(int(r, 0, 0xffff))}::/32`, null, null);
    const last = holdings[holdings.length - 1].cidr.split('::')[0];
    if (chance(r, 0.5)) add(pick(r, ms).id, `${last}:${hex4(int(r, 1, 0xffff))}::/48`, null, null);
  }
  const unique = holdings;
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const membersCsv =
    [
      'member_id,name,contact_email,active,joined_on,left_on',
      ...ms.map((m, i) => [m.id, q(m.name), `abuse@member${i}.example`, m.active ? '' : 'false', '2014-04-01', m.leftOn ?? ''].join(',')),
    ].join('\n') + '\n';
  const prefixesCsv =
    ['member_id,cidr,valid_from,valid_to', ...unique.map((h) => [h.memberId, h.cidr, h.validFrom ?? '', h.validTo ?? ''].join(','))].join(
      '\n',
    ) + '\n';
  return { members: ms, holdings: unique, membersCsv, prefixesCsv, moves };
}

// ---------------------------------------------------------------------------------------------
// lists

export type Layout = 'generic' | 'japanese' | 'shadowserver';

export interface ListSpec {
  rows: number;
  layout?: Layout;
  encoding?: 'utf-8' | 'utf-8-bom' | 'cp932';
}

export interface GeneratedList {
  bytes: Buffer;
  fileName: string;
  timezone: string | null;
  layout: Layout;
  encoding: string;
  /** data rows written (blank lines and the header excluded) */
  rows: number;
  delimiter: string;
  gzip: boolean;
}

const MALWARE = ['GameOverZeus', 'Mirai', 'Emotet', 'ゲームオーバーゼウス', 'VAWTRAK', 'Qakbot', 'ｱｲｳ', 'Ursnif'];

/** An address inside `cidr`. */
function addressIn(r: Rng, cidr: string): string {
  const [net, lenText] = cidr.split('/');
  const len = Number(lenText);
  if (!net.includes(':')) {
    const n = net.split('.').reduce((a, o) => a * 256 + Number(o), 0);
    return v4text((n + Math.floor(r() * 2 ** (32 - len))) >>> 0);
  }
  const head = net
    .split('::')[0]
    .split(':')
    .map((g) => parseInt(g, 16));
  const groups = [...head, ...new Array(8 - head.length).fill(0)];
  for (let i = Math.floor(len / 16); i < 8; i++) groups[i] = chance(r, 0.3) ? 0 : int(r, 0, 0xffff);
  return groups.map(hex4).join(':');
}

/** An address written as lists write it (canonical, upper case, compressed, bracketed, mapped, full-width, padded). */
function written(r: Rng, ip: string): string {
  const x = r();
  if (ip.includes(':')) {
    if (x < 0.1) return ip.toUpperCase();
    if (x < 0.15) return `[${ip}]`;
    if (x < 0.3)
      return ip
        .split(':')
        .map((g) => g.padStart(4, '0'))
        .join(':');
    if (x < 0.35) return ` ${ip}\u3000`;
    return ip.replace(/(^|:)0(:0)+(:|$)/, '::').replace(/^0::/, '::');
  }
  if (x < 0.05) return `::ffff:${ip}`;
  if (x < 0.08) return ip.replace(/[0-9.]/g, (c) => (c === '.' ? '．' : String.fromCharCode(0xff10 + Number(c))));
  if (x < 0.1) return `${ip}\u3000`;
  return ip;
}

/** A refused address with its reason code. */
const BAD_IPS: [string, string][] = [
  ['192.168.001.5', 'ip.leading_zero'],
  ['010.1.2.3', 'ip.leading_zero'],
  ['not-an-ip', 'ip.invalid'],
  ['', 'ip.empty'],
  ['1.2.3.4/24', 'ip.has_prefix'],
  ['fe80::1%eth0', 'ip.zone'],
  ['300.1.2.3', 'ip.invalid'],
  ['1.2.3', 'ip.invalid'],
  ['2001:db8::g1', 'ip.invalid'],
  ['1.2.3.4.5', 'ip.invalid'],
  ['ＩＰ不明', 'ip.invalid'],
];
const BAD_TIMES = ['2024-13-01 00:00:00', '2023-02-29T10:00:00Z', 'yesterday', '', '2024/02/30 10:00', '2099-01-01T00:00:00Z', '25:00'];

function pad(n: number, w = 2) {
  return String(n).padStart(w, '0');
}

/** The instant written in one of the forms sources use; naive forms only when the list has a zone (`zone`). */
function timeText(r: Rng, ms: number, zone: string | null, shadowserver: boolean): string {
  const d = (off: number) => new Date(ms + off * 60_000);
  if (shadowserver) {
    const u = d(0);
    return `${u.getUTCFullYear()}-${pad(u.getUTCMonth() + 1)}-${pad(u.getUTCDate())} ${pad(u.getUTCHours())}:${pad(u.getUTCMinutes())}:${pad(u.getUTCSeconds())}`;
  }
  const withZone = ['iso', 'isoZ', 'isoMs', 'compact', 'unix', 'unixMs', 'micro', 'jst', 'unixFrac'];
  const forms =
    zone === null
      ? withZone
      : [...withZone.slice(0, 3), 'naive', 'naive', 'slash', 'slashShort', 'era', 'fullwidth', 'naiveMs', 'comma', 'kanji', 'dotted'];
  let form = pick(r, forms);
  const off = zone === null ? pick(r, [540, 0, -300, 330]) : offsetAt(zone, ms);
  // a wall-clock time in the hour clocks go back names two instants: written with its offset instead
  if (zone !== null && wallInstants(zone, ms - (ms % 1000) + off * 60_000).length !== 1) form = 'iso';
  const w = d(off);
  const Y = w.getUTCFullYear(),
    M = w.getUTCMonth() + 1,
    D = w.getUTCDate(),
    h = w.getUTCHours(),
    mi = w.getUTCMinutes(),
    s = w.getUTCSeconds();
  const sign = off < 0 ? '-' : '+';
  const offText = `${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  const date = `${Y}-${pad(M)}-${pad(D)}`,
    time = `${pad(h)}:${pad(mi)}:${pad(s)}`;
  switch (form) {
    case 'iso':
      return `${date}T${time}${offText}`;
    case 'isoZ':
      return new Date(ms - (ms % 1000)).toISOString().replace('.000Z', 'Z');
    case 'isoMs':
      return new Date(ms).toISOString();
    case 'compact':
      return `${date} ${time}${offText.replace(':', '')}`;
    case 'unix':
      return String(Math.floor(ms / 1000));
    case 'unixMs':
      return String(ms);
    case 'naive':
      return `${date} ${time}`;
    case 'naiveMs':
      return `${date} ${time}.${pad(ms % 1000, 3)}`;
    case 'comma':
      return `${date} ${time},${pad(ms % 1000, 3)}`;
    case 'micro':
      return `${date}T${time}.${pad(ms % 1000, 3)}${int(r, 0, 999)}${offText}`;
    case 'jst': {
      const j = d(540);
      return `${j.toISOString().slice(0, 10)} ${j.toISOString().slice(11, 19)} JST`;
    }
    case 'unixFrac':
      return `${Math.floor(ms / 1000)}.${pad(ms % 1000, 3)}`;
    case 'kanji':
      return `${Y}年${M}月${D}日 ${h}:${pad(mi)}`;
    case 'dotted':
      return `${Y}.${M}.${D} ${time}`;
    case 'slash':
      return `${Y}/${pad(M)}/${pad(D)} ${time}`;
    case 'slashShort':
      return `${Y}/${M}/${D} ${h}:${pad(mi)}`;
    case 'era':
      return Y >= 2020 ? `令和${Y - 2018}年${M}月${D}日 ${h}時${mi}分${s}秒` : `平成${Y - 1988}年${M}月${D}日 ${h}時${mi}分${s}秒`;
    default:
      return `${date} ${time}`.replace(/[0-9]/g, (c) => String.fromCharCode(0xff10 + Number(c)));
  }
}

/** Instants the zones' clocks changed at. */
const ZONE_CHANGES: Record<string, number[]> = {
  'Australia/Adelaide': ['2023-04-01T16:30:00Z', '2023-09-30T16:30:00Z', '2024-04-06T16:30:00Z', '2024-10-05T16:30:00Z'].map(Date.parse),
  'America/New_York': ['2023-03-12T07:00:00Z', '2023-11-05T06:00:00Z', '2024-03-10T07:00:00Z', '2024-11-03T06:00:00Z'].map(Date.parse),
};

const FROM = Date.parse('2019-01-01T00:00:00Z');
const TO = Date.parse('2025-12-31T00:00:00Z');

/** A list of `spec.rows` data rows against `reg`. */
export function generateList(seed: number, reg: GeneratedRegistry, spec: ListSpec): GeneratedList {
  const r = rng(seed);
  const layout = spec.layout ?? pick(r, ['generic', 'japanese', 'shadowserver'] as const);
  const encoding =
    spec.encoding ??
    (layout === 'japanese'
      ? pick(r, ['cp932', 'cp932', 'utf-8', 'utf-8-bom'] as const)
      : pick(r, ['utf-8', 'utf-8', 'utf-8-bom', layout === 'generic' ? 'cp932' : 'utf-8'] as const));
  const crlf = layout === 'japanese' ? chance(r, 0.8) : chance(r, 0.2);
  const nl = crlf ? '\r\n' : '\n';
  const delimiter = layout === 'generic' && chance(r, 0.2) ? '\t' : ',';
  const gzip = chance(r, 0.15);
  // a Shift_JIS file whose first 64 KiB are ASCII is read as UTF-8 until a line says otherwise
  const asciiHead = encoding === 'cp932' && layout === 'generic' ? 70_000 : 0;
  let bytesSoFar = 0;
  // the zone: the list's --timezone, or the time column's header note (JST), or none (all times carry an offset)
  const zoneChoice = layout === 'shadowserver' ? 'profile' : pick(r, ['tz', 'tz', 'note', 'none'] as const);
  const timezone =
    zoneChoice === 'tz' ? pick(r, ['Asia/Tokyo', '+09:00', 'UTC', '-05:00', 'Australia/Adelaide', 'America/New_York']) : null;
  const zone = zoneChoice === 'note' ? 'Asia/Tokyo' : timezone;
  const changes = timezone !== null ? (ZONE_CHANGES[timezone] ?? []) : [];

  type Col = 'ip' | 'time' | 'port' | 'malware' | 'extra1' | 'extra2' | 'asn' | 'geo' | 'url' | 'tag';
  let cols: Col[];
  let names: Record<string, string>;
  if (layout === 'shadowserver') {
    cols = ['time', 'ip', 'port', 'asn', 'geo', 'url', 'malware', 'tag'];
    names = {
      time: 'timestamp',
      ip: 'src_ip',
      port: 'src_port',
      asn: 'src_asn',
      geo: 'src_geo',
      url: 'http_url',
      malware: 'infection',
      tag: 'family',
    };
  } else if (layout === 'japanese') {
    cols = ['ip', 'time', 'port', 'malware', 'extra1'];
    names = {
      ip: 'IPアドレス',
      time: zoneChoice === 'note' ? '観測日時(JST)' : '観測日時',
      port: 'ポート',
      malware: 'マルウェア名',
      extra1: '備考',
    };
  } else {
    cols = ['ip', 'time', 'port', 'malware', 'extra1', 'extra2'];
    names = {
      ip: pick(r, ['ip', 'src_ip', 'IP Address']),
      time: zoneChoice === 'note' ? 'observed_at (JST)' : pick(r, ['observed_at', 'time', 'datetime']),
      port: 'port',
      malware: 'malware',
      extra1: 'note',
      extra2: 'asn',
    };
  }
  // column order varies (read by name, never by position); Shadowserver keeps its own
  if (layout !== 'shadowserver')
    for (let i = cols.length - 1; i > 0; i--) {
      const j = int(r, 0, i);
      [cols[i], cols[j]] = [cols[j], cols[i]];
    }
  if (layout !== 'shadowserver' && chance(r, 0.2)) cols = cols.filter((c) => c !== 'port');

  const quote = (v: string) => (layout === 'shadowserver' || /[",\t\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const ascii = (v: string) => (bytesSoFar < asciiHead ? v.replace(/[^\x00-\x7f]/g, 'j') : v);
  const lines: string[] = [];
  if (layout === 'japanese' && chance(r, 0.4)) lines.push('感染端末リスト（速報）');
  lines.push(cols.map((c) => quote(names[c])).join(delimiter));

  const prior: string[][] = [];
  for (let n = 0; n < spec.rows; n++) {
    if (chance(r, 0.01)) lines.push(chance(r, 0.5) ? '' : cols.map(() => '').join(delimiter));
    // an exact repeat, or the same entry with another malware name or time form (a duplicate too)
    if (prior.length && chance(r, 0.04)) {
      const again = [...pick(r, prior)];
      if (chance(r, 0.3) && cols.includes('malware')) again[cols.indexOf('malware')] = pick(r, MALWARE);
      lines.push(again.map(quote).join(delimiter));
      continue;
    }
    // the address: in a member's block (most), outside every block, or non-routable
    const x = r();
    const h = pick(r, reg.holdings);
    let ip =
      x < 0.75
        ? addressIn(r, h.cidr)
        : x < 0.9
          ? v4text(((pick(r, PUBLIC_FIRST) << 24) | int(r, 0, 0xffffff)) >>> 0)
          : pick(r, ['10.1.2.3', '192.168.10.20', '172.16.5.4', '127.0.0.1', 'fe80::1', 'fc00::5', '2001:db8::7', '100.64.1.1', '::1']);
    // the time: anywhere in 2019–2025, or around a change of hands
    let ms =
      reg.moves.length && chance(r, 0.3)
        ? pick(r, reg.moves) + int(r, -72, 72) * 3_600_000 + int(r, 0, 3599) * 1000
        : FROM + Math.floor(r() * (TO - FROM));
    // around the zone's changes of clock (Adelaide's fall on half hours of UTC)
    if (changes.length && chance(r, 0.3)) ms = pick(r, changes) + int(r, -3 * 3600, 3 * 3600) * 1000;
    ms = ms - (ms % 1000) + (chance(r, 0.3) ? int(r, 0, 999) : 0);
    let time = timeText(r, ms, zone, layout === 'shadowserver');
    let port = chance(r, 0.1) ? '' : String(pick(r, [80, 443, 8080, 23, 2323, int(r, 1, 65535)]));
    let malware = chance(r, 0.05) ? '' : pick(r, MALWARE);
    const y = r();
    if (y < 0.03) ip = pick(r, BAD_IPS)[0];
    else if (y < 0.05) time = pick(r, BAD_TIMES);
    else if (y < 0.055) port = pick(r, ['99999', 'abc', '-1', '８０']);
    else if (y < 0.058) malware = 'X'.repeat(201);
    const plainIp = ip;
    if (y >= 0.058) ip = written(r, ip);
    if (time.match(/分\d+秒$/) && layout === 'japanese' && chance(r, 0.5)) time = time.replace(/\d+秒$/, '');
    const extra1 = chance(r, 0.3)
      ? pick(r, [
          '',
          'ok',
          '再通知',
          'a, b',
          'line one\nline two',
          'line one\r\nline two',
          'say "hi"',
          'ﾃｽﾄ',
          'x'.repeat(int(r, 100, 2000)),
        ])
      : '';
    const values: Record<Col, string> = {
      ip,
      time,
      port,
      malware,
      extra1,
      extra2: chance(r, 0.5) ? String(int(r, 1, 65000)) : '',
      asn: '0',
      geo: pick(r, ['JP', 'ZZ']),
      url: chance(r, 0.2) ? `/gate.php?id=${'a'.repeat(int(r, 10, 1200))}` : '',
      tag: chance(r, 0.5) ? pick(r, MALWARE) : '',
    };
    if (bytesSoFar < asciiHead) {
      if (/[^\x00-\x7f]/.test(values.ip)) values.ip = plainIp;
      if (/[^\x00-\x7f]/.test(values.time)) values.time = new Date(ms).toISOString();
    }
    let row = cols.map((c) => ascii(values[c]));
    if (chance(r, 0.005))
      row = row.slice(0, 1); // a short row
    // eslint-disable-next-line no-dupe-else-if -- each chance() draws a new number
    else if (chance(r, 0.005)) row = [...row, 'past the header']; // a field beyond the header
    prior.push(row);
    lines.push(row.map(quote).join(delimiter));
    bytesSoFar += lines[lines.length - 1].length + 2;
  }
  const text = lines.join(nl) + (chance(r, 0.9) ? nl : '');
  const text8 =
    encoding === 'cp932'
      ? iconv.encode(text.replace(/\u3000/g, '　'), 'cp932')
      : Buffer.concat([encoding === 'utf-8-bom' ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);
  const bytes = gzip ? zlib.gzipSync(text8) : text8;
  const fileName =
    (layout === 'shadowserver' ? `2024-05-01-event4_sinkhole_http-jp-${seed}.csv` : `list-${seed}.${delimiter === '\t' ? 'tsv' : 'csv'}`) +
    (gzip ? '.gz' : '');
  return { bytes, fileName, timezone, layout, encoding, rows: spec.rows, delimiter, gzip };
}
