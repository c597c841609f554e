import type { Queryable } from '../db/pool';
import { returnedEntriesPage } from '../repositories/list.repository';
import { isoJst, isoUtc } from './batch-export';

export interface ReturnedEntryJson {
  row: number;
  ip: string;
  port: number | null;
  observedAtJst: string;
  observedAtUtc: string;
  malware: string | null;
  returnReason: string;
}

/**
 * A list's returned entries as JSON (the CSV in the source's own layout is ingest's
 * `returnedRows`). Streamed a page at a time, keyset on seq.
 */
export async function* returnedJson(db: Queryable, listId: number, pageSize = 5000): AsyncGenerator<string> {
  let after = 0;
  let first = true;
  yield '[';
  for (;;) {
    const rows = await returnedEntriesPage(db, listId, after, pageSize);
    let s = '';
    for (const x of rows) {
      const o: ReturnedEntryJson = {
        row: x.row_no,
        ip: x.ip,
        port: x.port,
        observedAtJst: isoJst(x.observed_at),
        observedAtUtc: isoUtc(x.observed_at),
        malware: x.malware,
        returnReason: x.reason,
      };
      s += (first ? '\n' : ',\n') + JSON.stringify(o);
      first = false;
    }
    if (s) yield s;
    if (rows.length < pageSize) break;
    after = rows[rows.length - 1].seq;
  }
  yield first ? ']\n' : '\n]\n';
}
