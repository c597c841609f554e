/**
 * Fast IP parsing for the per-row hot path (ip-num, the reference in the tests, parses
 * ~76k IPv6/s, far too slow per row). IPv4 → uint32 number; IPv6 → four uint32 words, big-endian.
 */

export type IpWords =
  | { ok: true; family: 4; v4: number }
  | { ok: true; family: 6; words: [number, number, number, number] }
  | { ok: false; code: 'ip.empty' | 'ip.invalid' | 'ip.leading_zero' | 'ip.has_prefix' | 'ip.zone'; message: string };

/** An address with its canonical text (RFC 5952 for IPv6). */
export type ParsedIp =
  | { ok: true; family: 4; v4: number; text: string }
  | { ok: true; family: 6; words: [number, number, number, number]; text: string }
  | Extract<IpWords, { ok: false }>;

/** Parses dotted-quad IPv4; returns -1 if invalid, -2 if an octet has a leading zero. */
export function parseIpv4(s: string, start = 0, end = s.length): number {
  let value = 0;
  let octets = 0;
  let i = start;
  while (i <= end) {
    let n = 0;
    let digits = 0;
    const first = i;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      digits++;
      i++;
      if (digits > 3) return -1;
    }
    if (digits === 0 || n > 255) return -1;
    if (digits > 1 && s.charCodeAt(first) === 48) return -2;
    value = value * 256 + n;
    octets++;
    if (i === end) break;
    if (s.charCodeAt(i) !== 46 || octets === 4) return -1;
    i++;
  }
  return octets === 4 ? value : -1;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses IPv6 (with :: and an embedded IPv4 tail) into 8 groups; null if invalid. */
export function parseIpv6Groups(s: string): number[] | null {
  const len = s.length;
  if (len < 2 || len > 45) return null;
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return null;
    gap = 0;
    i = 2;
    if (i === len) return [0, 0, 0, 0, 0, 0, 0, 0];
  }
  while (i < len) {
    let n = 0;
    let digits = 0;
    const groupStart = i;
    while (i < len && digits <= 4) {
      const h = hexVal(s.charCodeAt(i));
      if (h < 0) break;
      n = n * 16 + h;
      digits++;
      i++;
    }
    if (i < len && s.charCodeAt(i) === 46) {
      // embedded IPv4 as the last 32 bits
      const v4 = parseIpv4(s, groupStart, len);
      if (v4 < 0 || groups.length > 6) return null;
      groups.push(Math.floor(v4 / 65536), v4 % 65536);
      i = len;
      break;
    }
    if (digits === 0 || digits > 4) return null;
    groups.push(n);
    if (i === len) break;
    if (s.charCodeAt(i) !== 58) return null;
    i++;
    if (s.charCodeAt(i) === 58) {
      if (gap >= 0) return null;
      gap = groups.length;
      i++;
      if (i === len) break;
    } else if (i === len) return null;
  }
  if (gap >= 0) {
    if (groups.length > 7) return null;
    const fill = new Array(8 - groups.length).fill(0);
    groups.splice(gap, 0, ...fill);
  }
  return groups.length === 8 ? groups : null;
}

function v4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (≥2) of zero groups as ::. */
export function formatIpv6(g: number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Validates and normalises one address as written in a list, with its canonical text. */
export function parseIp(raw: string): ParsedIp {
  const ip = parseIpWords(raw);
  if (!ip.ok) return ip;
  return ip.family === 4 ? { ...ip, text: v4Text(ip.v4) } : { ...ip, text: formatIpWords(6, ip.words) };
}

/** Canonical text of an address given as words (IPv4: [value]; IPv6: four big-endian 32-bit words). */
export function formatIpWords(family: 4 | 6, w: readonly number[]): string {
  if (family === 4) return v4Text(w[0]);
  const g: number[] = [];
  for (let k = 0; k < 4; k++) g.push(Math.floor(w[k] / 65536), w[k] % 65536);
  return formatIpv6(g);
}

/**
 * Validates and normalises one address as written in a list (IPv4-mapped IPv6 → IPv4), as
 * numbers only: the per-row paths (ingest, routing) need no text, and formatting it cost the
 * ingest worker a tenth of a second per million rows.
 */
export function parseIpWords(raw: string): IpWords {
  const s = raw.trim();
  if (s === '') return { ok: false, code: 'ip.empty', message: 'the IP address is empty' };
  if (s.includes('/')) return { ok: false, code: 'ip.has_prefix', message: `"${s}" is a prefix, not one address` };
  if (s.includes('%')) return { ok: false, code: 'ip.zone', message: `"${s}" carries a zone id; write the address alone` };
  if (!s.includes(':')) {
    const v4 = parseIpv4(s);
    if (v4 === -2) {
      const fixed = s
        .split('.')
        .map((o) => String(Number(o)))
        .join('.');
      return { ok: false, code: 'ip.leading_zero', message: `"${s}" has a leading zero in an octet (octal or decimal?); write ${fixed}` };
    }
    if (v4 < 0) return { ok: false, code: 'ip.invalid', message: `"${s}" is not an IPv4 or IPv6 address` };
    return { ok: true, family: 4, v4 };
  }
  let body = s;
  if (body.startsWith('[') && body.endsWith(']')) body = body.slice(1, -1);
  const g = parseIpv6Groups(body);
  if (!g) {
    if (/\.0\d/.test(body) || /:0\d+\./.test(body)) {
      return { ok: false, code: 'ip.leading_zero', message: `"${s}" has a leading zero in an IPv4 octet` };
    }
    return { ok: false, code: 'ip.invalid', message: `"${s}" is not an IPv4 or IPv6 address` };
  }
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return { ok: true, family: 4, v4: g[6] * 65536 + g[7] };
  }
  const words: [number, number, number, number] = [g[0] * 65536 + g[1], g[2] * 65536 + g[3], g[4] * 65536 + g[5], g[6] * 65536 + g[7]];
  return { ok: true, family: 6, words };
}

export { v4Text as formatIpv4 };
