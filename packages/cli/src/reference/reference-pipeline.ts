import { isIP } from 'node:net';
import zlib from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import iconv from 'iconv-lite';

/**
 * The reference pipeline: what deliveryline must do with a list, computed the plain way. It shares
 * no code with the product (csv-parse and iconv-lite read the file, node:net checks IPv6, the
 * registry is matched by brute force with BigInt), so a fast-path bug in the product shows up as a
 * difference against it (differential.int.test.ts). Test infrastructure, not product code: it reads
 * the layouts, encodings and time forms the generator (generate.ts) writes, by the rules of
 * docs/ingest.md and docs/routing.md.
 */

export interface RefMember {
  id: string;
  name: string;
  /** the members CSV's `active` column ('' = true) */
  active: boolean;
  /** YYYY-MM-DD (JST) or null */
  leftOn: string | null;
}

export interface RefHolding {
  memberId: string;
  cidr: string;
  /** YYYY-MM-DD, 00:00 JST; null = open */
  validFrom: string | null;
  validTo: string | null;
}

export interface RefRegistry {
  members: RefMember[];
  holdings: RefHolding[];
}

export interface RefListInput {
  bytes: Buffer;
  fileName: string;
  /** the list's --timezone: an offset (+09:00), UTC, or Asia/Tokyo */
  timezone: string | null;
  /** the instant the list is read: later times (past the skew) are refused */
  now: number;
  maxFutureMinutes: number;
}

export type RefRoute =
  { state: 'delivered'; memberId: string } | { state: 'returned'; reason: 'no_member' | 'member_inactive' | 'non_routable' };

export interface RefEntry {
  row: number;
  /** the address as 8 hex groups (IPv6) or dotted decimal (IPv4) */
  ip: string;
  observedAt: number;
  port: number | null;
  malware: string | null;
  extra: Record<string, string> | null;
  route: RefRoute;
}

export type RefFate =
  | { row: number; line: number; fate: 'rejected'; reason: string }
  | { row: number; line: number; fate: 'duplicate' }
  | ({ line: number; fate: 'accepted' } & RefEntry);

export interface RefResult {
  header: string[];
  profile: 'generic' | 'shadowserver';
  fates: RefFate[];
  counts: { rowsRead: number; rejected: number; duplicates: number; received: number; delivered: number; returned: number };
  /** member id → the data rows (row numbers) its batch holds, ascending */
  batches: Map<string, number[]>;
}

// ---------------------------------------------------------------------------------------------
// reading: bytes → text → records

function decode(file: Buffer): string {
  const bytes = file[0] === 0x1f && file[1] === 0x8b ? zlib.gunzipSync(file) : file;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  const utf8 = bytes.toString('utf8');
  // valid UTF-8 round-trips; anything else is read as Shift_JIS (CP932), as Excel in Japan saves it
  if (Buffer.from(utf8, 'utf8').equals(bytes)) return utf8;
  return iconv.decode(bytes, 'cp932');
}

interface Rec {
  fields: string[];
  line: number;
}

function records(text: string): Rec[] {
  const firstLine = text.split('\n').find((l) => l.trim() !== '') ?? '';
  const delimiter = [',', '\t', ';'].map((d) => [d, firstLine.split(d).length] as const).sort((a, b) => b[1] - a[1])[0][0];
  const rows = parseCsv(text, { delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: false, raw: true }) as {
    record: string[];
    raw: string;
  }[];
  const out: Rec[] = [];
  // the line a record starts on, counted from the records' raw text (csv-parse's own count takes a
  // quoted CRLF for two lines); a raw text holds its record's line break, except after CRLF
  let line = 1;
  for (const r of rows) {
    out.push({ fields: r.record, line });
    line += (r.raw.match(/\n/g) ?? []).length + (r.raw.endsWith('\n') ? 0 : 1);
  }
  return out;
}

const blank = (fields: string[]) => fields.every((f) => f.trim() === '');

// ---------------------------------------------------------------------------------------------
// profiles

export function headerName(h: string): string {
  return h
    .replace(/^\uFEFF/, '')
    .normalize('NFKC')
    .trim()
    .replace(/\s*[([][^)\]]*[)\]]$/, '')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '_');
}

const PROFILES = {
  generic: {
    ip: ['ip', 'ip_address', 'ipaddress', 'src_ip', 'source_ip', 'ipアドレス', '送信元ip', '送信元ipアドレス'],
    time: ['observed_at', 'timestamp', 'time', 'datetime', 'date_time', '観測日時', '検知日時', '日時'],
    port: ['port', 'src_port', 'source_port', 'ポート', '送信元ポート', 'ポート番号'],
    malware: ['malware', 'family', 'infection', 'tag', 'マルウェア', 'マルウェア名', '検体名'],
    zone: null as string | null,
  },
  shadowserver: {
    ip: ['src_ip', 'ip'],
    time: ['timestamp'],
    port: ['src_port', 'port'],
    malware: ['family', 'infection', 'tag'],
    zone: 'UTC' as string | null,
  },
};

function firstOf(norm: string[], names: string[]): number {
  for (const n of names) if (norm.includes(headerName(n))) return norm.indexOf(headerName(n));
  return -1;
}

function looksLikeShadowserver(norm: string[]): boolean {
  const h = new Set(norm);
  const geo = [
    'asn',
    'src_asn',
    'geo',
    'src_geo',
    'naics',
    'src_naics',
    'public_source',
    'http_referer_asn',
    'src_hostname',
    'device_vendor',
  ].some((c) => h.has(c));
  const event = h.has('src_ip') && h.has('src_port') && (h.has('infection') || h.has('family'));
  return h.has('timestamp') && (h.has('src_ip') || h.has('ip') || h.has('http_referer_ip')) && (geo || event);
}

// ---------------------------------------------------------------------------------------------
// fields

/** IPv4 → dotted text; IPv6 → 8 lower-case groups of 4 hex digits; or the reject code. */
export function refIp(raw: string): { ok: true; family: 4 | 6; text: string } | { ok: false; code: string } {
  const s = raw.trim();
  if (s === '') return { ok: false, code: 'ip.empty' };
  if (s.includes('/')) return { ok: false, code: 'ip.has_prefix' };
  if (s.includes('%')) return { ok: false, code: 'ip.zone' };
  if (!s.includes(':')) return v4(s);
  const body = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  if (isIP(body) !== 6) {
    if (/\.0\d/.test(body) || /:0\d+\./.test(body)) return { ok: false, code: 'ip.leading_zero' };
    return { ok: false, code: 'ip.invalid' };
  }
  const groups = expand6(body);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return { ok: true, family: 4, text: `${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}` };
  }
  return { ok: true, family: 6, text: groups.map((g) => g.toString(16).padStart(4, '0')).join(':') };
}

function v4(s: string): { ok: true; family: 4; text: string } | { ok: false; code: string } {
  const parts = s.split('.');
  for (let i = 0; i < parts.length; i++) {
    if (i === 4 || !/^\d{1,3}$/.test(parts[i]) || Number(parts[i]) > 255) return { ok: false, code: 'ip.invalid' };
    if (parts[i].length > 1 && parts[i][0] === '0') return { ok: false, code: 'ip.leading_zero' };
  }
  if (parts.length !== 4) return { ok: false, code: 'ip.invalid' };
  return { ok: true, family: 4, text: parts.map(Number).join('.') };
}

/** A valid IPv6 text (with `::` and an IPv4 tail) → its 8 groups. */
export function expand6(s: string): number[] {
  let t = s;
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(t);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number);
    t = t.slice(0, tail.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head, rest] = t.includes('::') ? t.split('::') : [t, null];
  const h = head ? head.split(':') : [];
  const r = rest ? rest.split(':') : [];
  const zeros = rest === null ? [] : new Array(8 - h.length - r.length).fill('0');
  return [...h, ...zeros, ...r].map((x) => parseInt(x, 16));
}

const ERA: Record<string, number> = {
  明治: 1868,
  大正: 1912,
  昭和: 1926,
  平成: 1989,
  令和: 2019,
  M: 1868,
  T: 1912,
  S: 1926,
  H: 1989,
  R: 2019,
};

/** A fixed offset's minutes, or null for a zone with rules (an IANA name). */
function fixedMinutes(zone: string): number | null {
  if (/^(UTC|GMT|Z)$/i.test(zone)) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  return m ? (Number(m[2]) * 60 + Number(m[3])) * (m[1] === '-' ? -1 : 1) : null;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset in minutes at a UTC instant, asked of Intl each time (no cache). */
export function offsetAt(zone: string, utc: number): number {
  const fixed = fixedMinutes(zone);
  if (fixed !== null) return fixed;
  let f = formats.get(zone);
  if (!f)
    formats.set(
      zone,
      (f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      })),
    );
  const p = Object.fromEntries(f.formatToParts(new Date(utc - (utc % 1000))).map((x) => [x.type, x.value]));
  return (Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - (utc - (utc % 1000))) / 60_000;
}

/**
 * A wall-clock time in a zone → the UTC instants it names: every offset the zone has within a day
 * of it is tried, and kept when the zone has that offset at the instant it gives. One instant for
 * an ordinary time; two in the hour clocks go back, none in the hour they skip.
 */
export function wallInstants(zone: string, wall: number): number[] {
  const offsets = new Set([-86_400_000, -21_600_000, 0, 21_600_000, 86_400_000].map((d) => offsetAt(zone, wall + d)));
  return [...offsets]
    .map((o) => wall - o * 60_000)
    .filter((u) => offsetAt(zone, u) === (wall - u) / 60_000)
    .sort((a, b) => a - b);
}

export function zoneMinutes(zone: string): number {
  const fixed = fixedMinutes(zone);
  if (fixed === null) throw new Error(`${zone} is not a fixed offset`);
  return fixed;
}

type TimeResult = { ok: true; ms: number } | { ok: false; code: string };

export function refTime(raw: string, zone: string | null): TimeResult {
  let s = raw.trim();
  if (s === '') return { ok: false, code: 'time.empty' };
  // Japanese dates: 令和6年5月1日 10時15分, H27.4.20, 2015年4月20日 10:15
  const era = /^(明治|大正|昭和|平成|令和|[MTSHR])(元|\d{1,2})[年./-](\d{1,2})[月./-](\d{1,2})日?\s*(.*)$/i.exec(s);
  const kanji = /^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(.*)$/.exec(s);
  if (era || kanji) {
    let date: string, rest: string;
    if (era) {
      const base = ERA[era[1].length === 1 ? era[1].toUpperCase() : era[1]];
      date = `${base + (era[2] === '元' ? 1 : Number(era[2])) - 1}-${era[3]}-${era[4]}`;
      rest = era[5];
    } else {
      date = `${kanji![1]}-${kanji![2]}-${kanji![3]}`;
      rest = kanji![4];
    }
    const jt = /^(\d{1,2})時(\d{1,2})分(?:(\d{1,2})秒)?$/.exec(rest);
    if (jt) rest = `${jt[1]}:${jt[2].padStart(2, '0')}${jt[3] ? ':' + jt[3].padStart(2, '0') : ''}`;
    s = rest ? `${date} ${rest}` : date;
  }
  if (/^\d{9,10}(\.\d{1,6})?$/.test(s)) return { ok: true, ms: Math.round(Number(s) * 1000) };
  if (/^\d{13}$/.test(s)) return { ok: true, ms: Number(s) };
  const m =
    /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|GMT|JST|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      s,
    );
  if (!m) return { ok: false, code: 'time.invalid' };
  const [Y, M, D, H, MI, S] = [m[1], m[3], m[4], m[5] ?? '0', m[6] ?? '0', m[7] ?? '0'].map(Number);
  if (M < 1 || M > 12 || D < 1 || D > 31 || H > 23 || MI > 59 || S > 59) return { ok: false, code: 'time.invalid' };
  const leap = (Y % 4 === 0 && Y % 100 !== 0) || Y % 400 === 0;
  if (D > [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][M - 1]) return { ok: false, code: 'time.invalid' };
  const ms = m[8] ? Number(m[8].padEnd(3, '0').slice(0, 3)) : 0;
  const wall = Date.UTC(Y, M - 1, D, H, MI, S, ms);
  const tz = m[9];
  if (tz) {
    const off = /^(Z|UTC|GMT)$/i.test(tz) ? 0 : /^JST$/i.test(tz) ? 540 : zoneMinutes(tz.length === 3 ? `${tz}:00` : tz);
    return { ok: true, ms: wall - off * 60_000 };
  }
  if (zone === null) return { ok: false, code: 'time.naive_without_zone' };
  const at = wallInstants(zone, wall);
  if (at.length !== 1) throw new Error(`"${raw}" in ${zone} names ${at.length} instants: the generator writes no such time`);
  return { ok: true, ms: at[0] };
}

const nonAscii = (s: string) => /[^\x00-\x7f]/.test(s);

// ---------------------------------------------------------------------------------------------
// routing: brute force over the registry with BigInt

interface Block {
  family: 4 | 6;
  net: bigint;
  length: number;
}

function toBig(family: 4 | 6, text: string): bigint {
  if (family === 4) return text.split('.').reduce((a, o) => (a << 8n) | BigInt(o), 0n);
  return expand6(text).reduce((a, g) => (a << 16n) | BigInt(g), 0n);
}

function block(cidr: string): Block {
  const [net, len] = cidr.split('/');
  const family = net.includes(':') ? 6 : 4;
  return { family, net: toBig(family, net), length: Number(len) };
}

const inside = (b: Block, family: 4 | 6, ip: bigint) => {
  if (b.family !== family) return false;
  const shift = BigInt((family === 4 ? 32 : 128) - b.length);
  return ip >> shift === b.net >> shift;
};

/** The IANA special-purpose blocks that are not globally reachable (as docs/routing.md lists them). */
const NON_ROUTABLE = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  '::/96',
  '64:ff9b:1::/48',
  '100::/64',
  '2001::/23',
  '2001:db8::/32',
  '3fff::/20',
  '5f00::/16',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
].map(block);

const jstMidnight = (d: string | null, open: number) => (d === null ? open : Date.parse(`${d}T00:00:00+09:00`));

export class RefRouter {
  private readonly holdings: { memberId: string; b: Block; from: number; to: number }[];
  private readonly members: Map<string, RefMember>;
  private readonly today: string;

  constructor(reg: RefRegistry, now: number) {
    this.holdings = reg.holdings.map((h) => ({
      memberId: h.memberId,
      b: block(h.cidr),
      from: jstMidnight(h.validFrom, -Infinity),
      to: jstMidnight(h.validTo, Infinity),
    }));
    this.members = new Map(reg.members.map((m) => [m.id, m]));
    this.today = new Date(now + 9 * 3_600_000).toISOString().slice(0, 10);
  }

  route(family: 4 | 6, text: string, t: number): RefRoute {
    const ip = toBig(family, text);
    if (NON_ROUTABLE.some((b) => inside(b, family, ip))) return { state: 'returned', reason: 'non_routable' };
    let best: { memberId: string; length: number } | null = null;
    for (const h of this.holdings) {
      if (h.from <= t && t < h.to && inside(h.b, family, ip) && (best === null || h.b.length > best.length))
        best = { memberId: h.memberId, length: h.b.length };
    }
    if (!best) return { state: 'returned', reason: 'no_member' };
    const m = this.members.get(best.memberId)!;
    if (!m.active || (m.leftOn !== null && m.leftOn <= this.today)) return { state: 'returned', reason: 'member_inactive' };
    return { state: 'delivered', memberId: m.id };
  }
}

// ---------------------------------------------------------------------------------------------
// the list

export function referenceList(input: RefListInput, registry: RefRegistry): RefResult {
  const recs = records(decode(input.bytes));
  const nonBlank = recs.filter((r) => !blank(r.fields));
  // the header: the first of the first 10 records naming an IP and a time column
  const early = nonBlank.slice(0, 10);
  const fits = (f: string[]) => {
    const norm = f.map(headerName);
    return Object.values(PROFILES).some((p) => firstOf(norm, p.ip) >= 0 && firstOf(norm, p.time) >= 0);
  };
  const h = Math.max(
    0,
    early.findIndex((r) => fits(r.fields)),
  );
  const header = early[h].fields.map((f) => f.trim());
  const norm = header.map(headerName);
  const profile = looksLikeShadowserver(norm) ? 'shadowserver' : 'generic';
  const p = PROFILES[profile];
  const ipCol = firstOf(norm, p.ip);
  const timeCol = firstOf(norm, p.time);
  const portCol = firstOf(norm, p.port);
  const malwareCols = [...new Set(p.malware.map((n) => norm.indexOf(headerName(n))).filter((i) => i >= 0))];
  const used = new Set([ipCol, timeCol, portCol, ...malwareCols]);
  const names: string[] = [];
  for (const [i, name] of header.entries()) {
    const base = name || `column_${i + 1}`;
    let k = base;
    for (let n = 2; names.includes(k); n++) k = `${base}_${n}`;
    names.push(k);
  }
  const note = /[([]\s*(JST|UTC|GMT|[+-]\d{2}:?\d{2})\s*[)\]]$/i.exec(header[timeCol].normalize('NFKC').trim());
  const noteZone = note ? (/^jst$/i.test(note[1]) ? 'Asia/Tokyo' : /^(utc|gmt)$/i.test(note[1]) ? 'UTC' : note[1]) : null;
  const zone = p.zone ?? input.timezone ?? noteZone;
  const router = new RefRouter(registry, input.now);
  const maxFuture = input.now + input.maxFutureMinutes * 60_000;

  const fates: RefFate[] = [];
  const seen = new Set<string>();
  let row = 0;
  for (const r of nonBlank.slice(h + 1)) {
    row++;
    const f = r.fields;
    const reject = (reason: string) => fates.push({ row, line: r.line, fate: 'rejected', reason });
    if (f.length < header.length && f.length <= Math.max(ipCol, timeCol)) {
      reject('row.short');
      continue;
    }
    let ip = refIp(f[ipCol] ?? '');
    if (!ip.ok && nonAscii(f[ipCol] ?? '')) ip = refIp(f[ipCol].normalize('NFKC'));
    if (!ip.ok) {
      reject(ip.code);
      continue;
    }
    let t = refTime(f[timeCol] ?? '', zone);
    if (!t.ok && nonAscii(f[timeCol] ?? '')) t = refTime(f[timeCol].normalize('NFKC'), zone);
    if (!t.ok) {
      if (t.code === 'time.naive_without_zone') throw new Error(`row ${row}: a naive time and no zone: the whole list fails`);
      reject(t.code);
      continue;
    }
    if (t.ms > maxFuture) {
      reject('time.future');
      continue;
    }
    let port: number | null = null;
    if (portCol >= 0) {
      const pt = (f[portCol] ?? '').normalize('NFKC').trim();
      if (pt !== '') {
        if (!/^\d{1,5}$/.test(pt) || Number(pt) > 65535) {
          reject('port.invalid');
          continue;
        }
        port = Number(pt);
      }
    }
    let malware: string | null = null;
    for (const i of malwareCols) {
      const mw = (f[i] ?? '').normalize('NFKC').trim();
      if (mw !== '') {
        malware = mw;
        break;
      }
    }
    if (malware !== null && malware.length > 200) {
      reject('malware.too_long');
      continue;
    }
    const key = `${ip.text}|${t.ms}|${port}`;
    if (seen.has(key)) {
      fates.push({ row, line: r.line, fate: 'duplicate' });
      continue;
    }
    seen.add(key);
    let extra: Record<string, string> | null = null;
    for (let i = 0; i < f.length; i++) {
      if (used.has(i) || f[i] === '') continue;
      (extra ??= {})[i < header.length ? names[i] : `column_${i + 1}`] = f[i];
    }
    fates.push({
      row,
      line: r.line,
      fate: 'accepted',
      ip: ip.text,
      observedAt: t.ms,
      port,
      malware,
      extra,
      route: router.route(ip.family, ip.text, t.ms),
    });
  }

  const batches = new Map<string, number[]>();
  let delivered = 0;
  for (const x of fates) {
    if (x.fate !== 'accepted' || x.route.state !== 'delivered') continue;
    delivered++;
    const b = batches.get(x.route.memberId) ?? [];
    b.push(x.row);
    batches.set(x.route.memberId, b);
  }
  const count = (k: RefFate['fate']) => fates.filter((x) => x.fate === k).length;
  const received = count('accepted');
  return {
    header,
    profile,
    fates,
    batches,
    counts: {
      rowsRead: row,
      rejected: count('rejected'),
      duplicates: count('duplicate'),
      received,
      delivered,
      returned: received - delivered,
    },
  };
}
