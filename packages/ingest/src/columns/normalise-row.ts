import { parseIpWords } from '@deliveryline/shared';
import { parseTime, type ZoneOffset } from './time';
import type { ColumnMap } from './profile';

export interface NormalisedEntry {
  /** the address as numbers: IPv4 in w[0]; IPv6 as four 32-bit words */
  family: 4 | 6;
  w: readonly number[];
  observedAt: number;
  port: number | null;
  malware: string | null;
  /** the other columns as JSON text (built directly: no object per row) */
  extra: string | null;
}

export interface RowReject {
  reason: string;
  message: string;
}

export interface RowOptions {
  zone: ZoneOffset | null;
  maxFutureMs: number; // times past this instant are rejected
  malwareMax: number;
}

// Full-width digits and punctuation as typed in Japanese spreadsheets; NFKC only when needed.
const NEEDS_NFKC = /[^\x00-\x7f]/;
const nfkc = (s: string) => (NEEDS_NFKC.test(s) ? s.normalize('NFKC') : s);

export function normaliseRow(rec: string[], cols: ColumnMap, opt: RowOptions): NormalisedEntry | RowReject {
  if (rec.length < cols.header.length && rec.length <= Math.max(cols.ip, cols.observedAt)) {
    return { reason: 'row.short', message: `the row has ${rec.length} fields; the header has ${cols.header.length}` };
  }
  // the plain text is tried first; NFKC (full-width input) only when that fails: no per-row scan
  const ipText = rec[cols.ip] ?? '';
  let ip = parseIpWords(ipText);
  if (!ip.ok && NEEDS_NFKC.test(ipText)) ip = parseIpWords(ipText.normalize('NFKC'));
  if (!ip.ok) return { reason: ip.code, message: `field "${cols.header[cols.ip]}": ${ip.message}` };

  const timeText = rec[cols.observedAt] ?? '';
  let t = parseTime(timeText, opt.zone);
  if (!t.ok && NEEDS_NFKC.test(timeText)) t = parseTime(timeText.normalize('NFKC'), opt.zone);
  if (!t.ok) return { reason: t.code, message: `field "${cols.header[cols.observedAt]}": ${t.message}` };
  if (t.ms > opt.maxFutureMs) {
    // the file's own text, not a converted instant: the reader finds it in the file as written
    return {
      reason: 'time.future',
      message: `field "${cols.header[cols.observedAt]}": "${timeText.trim()}" is later than now; check the date (a year typed wrong?)`,
    };
  }

  let port: number | null = null;
  if (cols.port >= 0) {
    const raw = rec[cols.port] ?? '';
    const p = (/^\d{1,5}$/.test(raw) ? raw : nfkc(raw)).trim();
    if (p !== '') {
      if (!/^\d{1,5}$/.test(p) || Number(p) > 65535) {
        return { reason: 'port.invalid', message: `field "${cols.header[cols.port]}": "${p}" is not a port number (0–65535)` };
      }
      port = Number(p);
    }
  }

  let malware: string | null = null;
  for (const i of cols.malware) {
    const m = nfkc(rec[i] ?? '').trim();
    if (m !== '') {
      if (m.length > opt.malwareMax) {
        return {
          reason: 'malware.too_long',
          message: `field "${cols.header[i]}": the malware name has ${m.length} characters; at most ${opt.malwareMax}`,
        };
      }
      malware = m;
      break;
    }
  }

  // JSON text built by hand: a column named "__proto__" is data like any other, and no object per row
  let extra: string | null = null;
  for (const i of cols.extra) {
    const v = rec[i];
    if (v !== undefined && v !== '') extra = (extra === null ? '{' : extra + ',') + cols.jsonNames[i] + ':' + JSON.stringify(v);
  }
  // fields past the header's last column are kept too, so nothing the source sent is dropped
  for (let i = cols.header.length; i < rec.length; i++) {
    if (rec[i] !== '') extra = (extra === null ? '{' : extra + ',') + `"column_${i + 1}":` + JSON.stringify(rec[i]);
  }
  if (extra !== null) extra += '}';

  return { family: ip.family, w: ip.family === 4 ? [ip.v4] : ip.words, observedAt: t.ms, port, malware, extra };
}

/** C0 control characters and DEL, except TAB, LF and CR (which CSV itself uses). */

export const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * A row holding a control character (a NUL from a binary paste, a form feed) is refused with
 * where it is: PostgreSQL cannot store a NUL, and removing it would store a value the file did
 * not hold. Offsets are 1-based characters within the field.
 */
export function controlCharacter(rec: string[], header: string[]): RowReject | null {
  for (let i = 0; i < rec.length; i++) {
    const m = CONTROL.exec(rec[i]);
    if (!m) continue;
    const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    const name = i < header.length ? `field "${header[i]}"` : `column ${i + 1}`;
    return {
      reason: 'row.control_character',
      message: `${name}: control character U+${code} at character ${m.index + 1}; remove it and send the row again`,
    };
  }
  return null;
}

export const isReject = (r: NormalisedEntry | RowReject): r is RowReject => 'reason' in r;
