import { z } from 'zod';

/**
 * A profile maps a file's header to the fields of an entry; other columns go to `extra`.
 * Built in: `generic` and `shadowserver`; more are defined per source in the database or in a
 * JSON file (see profile-store.repository.ts), with this schema.
 */
export const ProfileSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, _ . - only'),
  /** candidate header names per field, compared after normalising (NFKC, lower case, trimmed, spaces → _) */
  fields: z.object({
    ip: z.array(z.string().min(1)).min(1),
    observedAt: z.array(z.string().min(1)).min(1),
    port: z.array(z.string().min(1)).default([]),
    malware: z.array(z.string().min(1)).default([]),
  }),
  /** the time zone the source writes naive timestamps in; overrides the list's (Shadowserver: UTC) */
  timezone: z.string().optional(),
  /** header names that all present mean "this profile" when none is given */
  detect: z.array(z.string().min(1)).default([]),
});
export type Profile = z.infer<typeof ProfileSchema>;

export const GENERIC: Profile = {
  name: 'generic',
  fields: {
    ip: ['ip', 'ip_address', 'ipaddress', 'src_ip', 'source_ip', 'ipアドレス', '送信元ip', '送信元ipアドレス'],
    observedAt: ['observed_at', 'timestamp', 'time', 'datetime', 'date_time', '観測日時', '検知日時', '日時'],
    port: ['port', 'src_port', 'source_port', 'ポート', '送信元ポート', 'ポート番号'],
    malware: ['malware', 'family', 'infection', 'tag', 'マルウェア', 'マルウェア名', '検体名'],
  },
  detect: [],
};

/** Header name as compared: NFKC, lower case, trimmed, spaces → `_`, a trailing `(…)`/`[…]` note dropped (`観測日時（JST）`). */
export function normaliseHeader(h: string): string {
  return h
    .replace(/^\uFEFF/, '')
    .normalize('NFKC')
    .trim()
    .replace(/\s*[([][^)\]]*[)\]]$/, '')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '_');
}

/** A time zone named in the time column's header note: `観測日時(JST)`, `timestamp [UTC]`, `time (+09:00)`. */
export function headerZone(h: string): string | undefined {
  const m = /[([]\s*(JST|UTC|GMT|[+-]\d{2}:?\d{2})\s*[)\]]$/i.exec(h.normalize('NFKC').trim());
  if (!m) return undefined;
  return /^jst$/i.test(m[1]) ? 'Asia/Tokyo' : /^(utc|gmt)$/i.test(m[1]) ? 'UTC' : m[1];
}

export interface ColumnMap {
  ip: number;
  observedAt: number;
  port: number; // -1 when absent
  malware: number[]; // in preference order: the first non-empty wins
  extra: number[];
  /** the header as read; `names` are the keys used in `extra` (made unique) */
  header: string[];
  names: string[];
  /** `names` as JSON strings, for building `extra` */
  jsonNames: string[];
  profile: string;
  timezone?: string;
  /** the zone the time column's header names, used when the list gives none */
  headerZone?: string;
}

export class HeaderError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

const shown = (header: string[]) => {
  const s = header
    .slice(0, 20)
    .map((h) => JSON.stringify(h.slice(0, 40)))
    .join(', ');
  return header.length > 20 ? `${s}, … (${header.length} columns)` : s;
};

function findIn(norm: string[], names: string[]): number {
  for (const n of names) {
    const i = norm.indexOf(normaliseHeader(n));
    if (i >= 0) return i;
  }
  return -1;
}

/** True when the header names an IP and a time column for this profile. */
export function fitsHeader(header: string[], profile: Profile): boolean {
  const norm = header.map(normaliseHeader);
  return findIn(norm, profile.fields.ip) >= 0 && findIn(norm, profile.fields.observedAt) >= 0;
}

export function mapColumns(header: string[], profile: Profile): ColumnMap {
  const norm = header.map(normaliseHeader);
  const ip = findIn(norm, profile.fields.ip);
  const observedAt = findIn(norm, profile.fields.observedAt);
  if (ip < 0) {
    throw new HeaderError(
      'header.no_ip',
      `profile "${profile.name}": no IP address column in the header (${shown(header)}); name it one of: ${profile.fields.ip.join(', ')}`,
    );
  }
  if (observedAt < 0) {
    throw new HeaderError(
      'header.no_time',
      `profile "${profile.name}": no observation time column in the header (${shown(header)}); name it one of: ${profile.fields.observedAt.join(', ')}`,
    );
  }
  const port = findIn(norm, profile.fields.port);
  const malware: number[] = [];
  for (const n of profile.fields.malware) {
    const i = norm.indexOf(normaliseHeader(n));
    if (i >= 0 && !malware.includes(i)) malware.push(i);
  }
  const used = new Set([ip, observedAt, port, ...malware]);
  const extra = header.map((_, i) => i).filter((i) => !used.has(i));
  // extra is stored as JSON keyed by column name: blank or repeated names get a unique key
  const seen = new Set<string>();
  const names = header.map((h, i) => {
    let k = h.trim() || `column_${i + 1}`;
    for (let n = 2; seen.has(k); n++) k = `${h.trim() || `column_${i + 1}`}_${n}`;
    seen.add(k);
    return k;
  });
  return {
    ip,
    observedAt,
    port,
    malware,
    extra,
    header,
    names,
    jsonNames: names.map((n) => JSON.stringify(n)),
    profile: profile.name,
    timezone: profile.timezone,
    headerZone: headerZone(header[observedAt]),
  };
}
