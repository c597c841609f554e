import { Readable } from 'node:stream';
import { audit, batchEntries, csvLine, getBatch, type AppContext } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import { openScope } from '../data/scope';
import { markDownloaded, type BatchView } from '../data/batches.repository';

export const FORMATS = ['csv', 'excel', 'json'] as const;
export type BatchFormat = (typeof FORMATS)[number];

export const BATCH_CSV_HEADER = ['entry_id', 'ip', 'port', 'observed_at', 'malware', 'outcome', 'notified_at', 'channel', 'note'];

/**
 * A batch file, streamed page by page inside the caller's scope (so RLS applies to the read
 * too). The CSV has empty outcome columns: the member fills them and uploads the same file.
 * "excel" is the same CSV with a UTF-8 BOM so Excel opens it in the right encoding.
 */
export async function batchDownload(ctx: AppContext, caller: Caller, b: BatchView, format: BatchFormat) {
  await audit(ctx.pool, { actor: caller.actor, action: 'batch.download', object: `batch:${b.id}`, details: { format, member: b.member_id, list: b.list_id, entries: b.entries } });
  if (caller.role === 'member') await markDownloaded(ctx.pool, b.id);
  const gen = async function* () {
    // The scoped transaction stays open while the response streams and ends with it.
    const scope = await openScope(ctx.pool, caller);
    let ok = false;
    try {
      const header = await getBatch(scope.db, b.id);
      if (!header) return;
      if (format === 'json') yield `{"batch":${JSON.stringify({ id: b.id, listId: b.list_id, memberId: b.member_id, campaign: b.campaign_id, round: b.round, tlp: b.tlp, entries: b.entries, dueAt: b.due_at })},"entries":[`;
      else yield (format === 'excel' ? '\ufeff' : '') + csvLine(BATCH_CSV_HEADER);
      let first = true;
      for await (const page of batchEntries(scope.db, header)) {
        let chunk = '';
        for (const e of page) {
          const at = new Date(e.observedAt).toISOString();
          if (format === 'json') {
            chunk += (first ? '' : ',') + JSON.stringify({ entryId: e.entryId, ip: e.ip, port: e.port, observedAt: at, malware: e.malware });
            first = false;
          } else chunk += csvLine([e.entryId, e.ip, e.port, at, e.malware, '', '', '', ''], new Set([0, 2]));
        }
        yield chunk;
      }
      if (format === 'json') yield ']}';
      ok = true;
    } finally {
      await scope.end(ok);
    }
  };
  const name = `batch-${b.id}-${b.member_id}-${b.campaign_id}${b.round ? `-r${b.round}` : ''}.${format === 'json' ? 'json' : 'csv'}`;
  const type = format === 'json' ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8';
  return { stream: Readable.from(gen()), name, type };
}
