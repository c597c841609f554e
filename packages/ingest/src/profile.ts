/** A profile maps a file's header to the fields of an entry; other columns go to `extra`. */
export interface Profile {
  name: string;
  /** candidate header names per field, compared after normalising (NFKC, lower case, trimmed) */
  fields: { ip: string[]; observedAt: string[]; port: string[]; malware: string[] };
  /** a fixed time zone the profile's timestamps are in (Shadowserver: UTC), overriding the list's */
  timezone?: string;
}

export const GENERIC: Profile = {
  name: 'generic',
  fields: {
    ip: ['ip', 'ip_address', 'ipaddress', 'src_ip', 'source_ip', 'ipアドレス', '送信元ip', '送信元ipアドレス'],
    observedAt: ['observed_at', 'timestamp', 'time', 'datetime', 'date_time', '観測日時', '検知日時', '日時'],
    port: ['port', 'src_port', 'source_port', 'ポート', '送信元ポート'],
    malware: ['malware', 'family', 'infection', 'tag', 'マルウェア', 'マルウェア名', '検体名'],
  },
};

export function normaliseHeader(h: string): string {
  return h.replace(/^\uFEFF/, '').normalize('NFKC').trim().toLowerCase().replace(/\s+/g, '_');
}

export interface ColumnMap {
  ip: number;
  observedAt: number;
  port: number; // -1 when absent
  malware: number[]; // in preference order: the first non-empty wins
  extra: number[];
  header: string[];
}

export class HeaderError extends Error {
  constructor(public code: string, message: string) {
    super(message);
  }
}

export function mapColumns(header: string[], profile: Profile): ColumnMap {
  const norm = header.map(normaliseHeader);
  const find = (names: string[]) => {
    for (const n of names) {
      const i = norm.indexOf(n);
      if (i >= 0) return i;
    }
    return -1;
  };
  const ip = find(profile.fields.ip);
  const observedAt = find(profile.fields.observedAt);
  if (ip < 0) throw new HeaderError('header.no_ip', `no IP address column in the header (${header.join(', ')}); expected one of: ${profile.fields.ip.join(', ')}`);
  if (observedAt < 0) throw new HeaderError('header.no_time', `no observation time column in the header (${header.join(', ')}); expected one of: ${profile.fields.observedAt.join(', ')}`);
  const port = find(profile.fields.port);
  const malware = profile.fields.malware.map((n) => norm.indexOf(n)).filter((i) => i >= 0);
  const used = new Set([ip, observedAt, port, ...malware]);
  const extra = header.map((_, i) => i).filter((i) => !used.has(i));
  return { ip, observedAt, port, malware, extra, header };
}
