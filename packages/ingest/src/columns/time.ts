/**
 * Observation times → epoch ms (UTC). Accepted: ISO 8601 with offset or Z;
 * `YYYY-MM-DD HH:MM[:SS[.fff]]` and `YYYY/M/D H:MM[:SS]` (naive, read in the list's time zone);
 * `YYYY.M.D`; Unix seconds or milliseconds; Japanese dates (`2015年4月20日`, era `平成27年4月20日`, `H27.4.20`, with `10:15` or
 * `10時15分`). A naive time with no zone given is a reject (the list fails only when no row could be read).
 */

export type TimeResult =
  | { ok: true; ms: number; naive: boolean }
  | { ok: false; code: 'time.empty' | 'time.invalid' | 'time.naive_without_zone'; message: string };

const RE =
  /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|GMT|JST|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Offset in ms of an IANA zone or `±HH:MM` at a UTC instant (positive east of Greenwich). */
export type ZoneOffset = (utcMs: number) => number;

const QUARTER_HOUR = 900_000;

export function zoneOffset(zone: string): ZoneOffset {
  const fixed = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(zone.trim());
  if (fixed) {
    const v = (Number(fixed[2]) * 60 + Number(fixed[3] ?? 0)) * 60_000 * (fixed[1] === '-' ? -1 : 1);
    return () => v;
  }
  if (/^(UTC|GMT|Z)$/i.test(zone.trim())) return () => 0;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new RangeError(`unknown time zone "${zone}" (use an IANA name such as Asia/Tokyo, or an offset such as +09:00)`);
  }
  // one offset per quarter hour of UTC: clocks change on quarter hours, not always on whole hours
  // (Adelaide's summer time starts at 02:00 ACST, 16:30 UTC; a cache per hour gave 16:30–17:00
  // the offset of 16:00 and read 03:10 ACDT an hour late)
  const cache = new Map<number, number>();
  return (utcMs: number) => {
    const q = Math.floor(utcMs / QUARTER_HOUR);
    let off = cache.get(q);
    if (off === undefined) {
      const p = Object.fromEntries(fmt.formatToParts(new Date(q * QUARTER_HOUR)).map((x) => [x.type, x.value]));
      off = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - q * QUARTER_HOUR;
      if (cache.size > 100_000) cache.clear();
      cache.set(q, off);
    }
    return off;
  };
}

const ERAS: Record<string, number> = {
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
const ERA_RE = /^(明治|大正|昭和|平成|令和|[MTSHR])(元|\d{1,2})[年./-](\d{1,2})[月./-](\d{1,2})日?\s*(.*)$/i;
const KANJI_DATE = /^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(.*)$/;
const KANJI_TIME = /^(\d{1,2})時(\d{1,2})分(?:(\d{1,2})秒)?$/;

/** Japanese forms (`平成27年4月20日 10時15分`, `2015年4月20日 10:15`) → `YYYY-M-D H:MM[:SS]`; others unchanged. */
function westernise(s: string): string {
  const c = s.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    if (s.indexOf('年') < 0) return s; // the hot path: a western date
  } else if (c < 0x80 && !/^[MTSHR]\d/i.test(s)) return s;
  let date: string | null = null;
  let rest = '';
  const era = ERA_RE.exec(s);
  if (era) {
    const year = ERAS[era[1].length === 1 ? era[1].toUpperCase() : era[1]] + (era[2] === '元' ? 1 : Number(era[2])) - 1;
    date = `${year}-${era[3]}-${era[4]}`;
    rest = era[5];
  } else {
    const k = KANJI_DATE.exec(s);
    if (!k) return s;
    date = `${k[1]}-${k[2]}-${k[3]}`;
    rest = k[4];
  }
  const t = KANJI_TIME.exec(rest);
  if (t) rest = `${t[1]}:${t[2].padStart(2, '0')}${t[3] ? ':' + t[3].padStart(2, '0') : ''}`;
  return rest ? `${date} ${rest}` : date;
}

const d2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;
const isD = (s: string, i: number) => {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
};

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (y: number, m: number) => (m === 2 && ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0) ? 29 : DAYS[m - 1]);

/** Set by fastTime: the offset in minutes it read (NaN when naive); a field, so no object per row. */
let fastOffset = NaN;

/**
 * The hot path, without a regex: `YYYY-MM-DD[T ]HH:MM:SS[.fraction]` with `Z`, `±HH:MM`/`±HHMM`
 * or nothing (a fraction of 1–9 digits, as JavaScript's toISOString and most exports write it,
 * kept to the millisecond like the general parser). Returns the wall-clock ms (and sets
 * fastOffset: minutes, NaN when naive), or null to fall back to the general parser (which also
 * gives the error messages).
 */
function fastTime(s: string): number | null {
  const n = s.length;
  if (n < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return null;
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 32) return null;
  if (!(
    isD(s, 0) &&
    isD(s, 1) &&
    isD(s, 2) &&
    isD(s, 3) &&
    isD(s, 5) &&
    isD(s, 6) &&
    isD(s, 8) &&
    isD(s, 9) &&
    isD(s, 11) &&
    isD(s, 12) &&
    isD(s, 14) &&
    isD(s, 15) &&
    isD(s, 17) &&
    isD(s, 18)
  ))
    return null;
  const Y = d2(s, 0) * 100 + d2(s, 2),
    M = d2(s, 5),
    D = d2(s, 8),
    H = d2(s, 11),
    MI = d2(s, 14),
    S = d2(s, 17);
  if (M < 1 || M > 12 || D < 1 || D > 31 || H > 23 || MI > 59 || S > 59) return null;
  if (D > daysIn(Y, M)) return null;
  // the fraction: its first three digits are the milliseconds (the rest is dropped, not rounded)
  let p = 19,
    ms = 0;
  if (p < n && s.charCodeAt(p) === 46) {
    p++;
    const from = p;
    while (p < n && isD(s, p)) {
      if (p - from < 3) ms += (s.charCodeAt(p) - 48) * (p === from ? 100 : p === from + 1 ? 10 : 1);
      p++;
    }
    if (p === from || p - from > 9) return null;
  }
  const wall = Date.UTC(Y, M - 1, D, H, MI, S, ms);
  fastOffset = NaN;
  const rest = n - p;
  if (rest === 0) return wall;
  const c = s.charCodeAt(p);
  if (rest === 1 && c === 90) {
    fastOffset = 0;
    return wall;
  }
  if ((c === 43 || c === 45) && (rest === 6 || rest === 5) && isD(s, p + 1) && isD(s, p + 2)) {
    const mm = rest === 6 ? (s.charCodeAt(p + 3) === 58 ? p + 4 : -1) : p + 3;
    if (mm < 0 || !isD(s, mm) || !isD(s, mm + 1)) return null;
    const off = d2(s, p + 1) * 60 + d2(s, mm);
    fastOffset = c === 45 ? -off : off;
    return wall;
  }
  return null;
}

export function parseTime(raw: string, zone: ZoneOffset | null): TimeResult {
  const fast = fastTime(raw);
  if (fast !== null) {
    if (!Number.isNaN(fastOffset)) return { ok: true, ms: fast - fastOffset * 60_000, naive: false };
    if (zone) {
      let utc = fast - zone(fast);
      utc = fast - zone(utc);
      return { ok: true, ms: utc, naive: true };
    }
  }
  const s = westernise(raw.trim());
  if (s === '') return { ok: false, code: 'time.empty', message: 'the observation time is empty' };
  if (/^\d{9,10}(\.\d{1,6})?$/.test(s)) return { ok: true, ms: Math.round(Number(s) * 1000), naive: false };
  if (/^\d{13}$/.test(s)) return { ok: true, ms: Number(s), naive: false }; // Unix milliseconds (JavaScript, Java exports)
  const m = RE.exec(s);
  if (!m)
    return {
      ok: false,
      code: 'time.invalid',
      message: `"${s}" is not a time this system reads (e.g. 2014-06-02T10:15:30+09:00, 2015/04/20 10:15:30)`,
    };
  const [, y, , mo, d, h = '0', mi = '0', se = '0', frac, tz] = m;
  const Y = +y,
    M = +mo,
    D = +d,
    H = +h,
    MI = +mi,
    S = +se;
  if (M < 1 || M > 12 || D < 1 || D > 31 || H > 23 || MI > 59 || S > 59) {
    return { ok: false, code: 'time.invalid', message: `"${s}" is not a valid date and time` };
  }
  const ms = frac ? Math.floor(Number('0.' + frac) * 1000) : 0;
  const wall = Date.UTC(Y, M - 1, D, H, MI, S, ms);
  if (new Date(wall).getUTCDate() !== D) return { ok: false, code: 'time.invalid', message: `"${s}" is not a valid date (no such day)` };
  if (tz) {
    if (/^(Z|UTC|GMT)$/i.test(tz)) return { ok: true, ms: wall, naive: false };
    if (/^JST$/i.test(tz)) return { ok: true, ms: wall - 9 * 3_600_000, naive: false };
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const off = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000 * sign;
    return { ok: true, ms: wall - off, naive: false };
  }
  if (!zone) return { ok: false, code: 'time.naive_without_zone', message: `"${s}" has no time zone and the list has none` };
  // wall clock in the zone: subtract the offset valid at that instant (two passes settle DST edges)
  let utc = wall - zone(wall);
  utc = wall - zone(utc);
  return { ok: true, ms: utc, naive: true };
}
