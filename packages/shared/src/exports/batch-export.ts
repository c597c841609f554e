import type { Queryable } from '../db/pool';
import { csvLine } from '../domain/csv-safe';
import { batchEntries, type BatchEntry, type BatchHeader } from '../repositories/batch.repository';

/**
 * A member's download of one batch, as CSV (UTF-8, optional BOM for Excel) or JSON. Both are
 * generators of text chunks, one per page of entries, so a 100,000-entry batch never sits in
 * memory whole: the caller writes each chunk to the response or file before asking for the next.
 * The campaign is named; the source never is (anonymous sources, and sources in general, are
 * the coordinator's business).
 */
export const MEMBER_COLUMNS = [
  'entry_id',
  'ip',
  'port',
  'observed_at_jst',
  'observed_at_utc',
  'malware',
  'campaign',
  'round',
  'tlp',
  'relapse',
  // filled with what was reported so far: a member fills the empty ones and uploads the same file (outcome-csv.ts)
  'outcome',
  'notified_at',
  'channel',
  'note',
] as const;

export const BOM = '\uFEFF';
const JST_MS = 9 * 3_600_000;

/** ISO 8601 in Japan time with its offset, e.g. 2015-04-20T10:15:30+09:00. */
export const isoJst = (d: Date) => new Date(d.getTime() + JST_MS).toISOString().replace(/\.\d{3}Z$/, '+09:00');
export const isoUtc = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
export const tlpLabel = (tlp: string) => `TLP:${tlp.toUpperCase()}`;

type Header = Pick<BatchHeader, 'id' | 'listId' | 'campaignName' | 'round' | 'tlp'>;

export function memberRow(e: BatchEntry, b: Header): unknown[] {
  return [
    e.ref,
    e.ip,
    e.port,
    isoJst(e.observedAt),
    isoUtc(e.observedAt),
    e.malware,
    b.campaignName,
    b.round,
    tlpLabel(b.tlp),
    e.relapse ? 'relapse' : '',
    e.outcome,
    e.notifiedAt ? isoJst(e.notifiedAt) : null,
    e.channel,
    e.note,
  ];
}
const NUMERIC = new Set([2, 7]);

export async function* batchCsv(db: Queryable, batch: Header, opts: { bom?: boolean; pageSize?: number } = {}): AsyncGenerator<string> {
  yield (opts.bom ? BOM : '') + csvLine([...MEMBER_COLUMNS]);
  for await (const page of batchEntries(db, batch, opts.pageSize)) {
    let s = '';
    for (const e of page) s += csvLine(memberRow(e, batch), NUMERIC);
    yield s;
  }
}

export interface MemberEntryJson {
  entryId: string;
  ip: string;
  port: number | null;
  observedAtJst: string;
  observedAtUtc: string;
  malware: string | null;
  campaign: string;
  round: number | null;
  tlp: string;
  relapse: boolean;
  /** reported so far (null when not yet) */
  outcome: string | null;
  notifiedAt: string | null;
  channel: string | null;
  note: string | null;
}

export function memberJson(e: BatchEntry, b: Header): MemberEntryJson {
  return {
    entryId: e.ref,
    ip: e.ip,
    port: e.port,
    observedAtJst: isoJst(e.observedAt),
    observedAtUtc: isoUtc(e.observedAt),
    malware: e.malware,
    campaign: b.campaignName,
    round: b.round,
    tlp: tlpLabel(b.tlp),
    relapse: e.relapse,
    outcome: e.outcome,
    notifiedAt: e.notifiedAt ? isoJst(e.notifiedAt) : null,
    channel: e.channel,
    note: e.note,
  };
}

/** A JSON array, streamed: `[`, one object per line, `]`. */
export async function* batchJson(db: Queryable, batch: Header, opts: { pageSize?: number } = {}): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const page of batchEntries(db, batch, opts.pageSize)) {
    let s = '';
    for (const e of page) {
      s += (first ? '\n' : ',\n') + JSON.stringify(memberJson(e, batch));
      first = false;
    }
    yield s;
  }
  yield first ? ']\n' : '\n]\n';
}
