import { Readable } from 'node:stream';
import { audit, batchCsv, batchJson, getBatch, markBatchDownloaded, type AppContext } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import { openScope } from '../repositories/scope';
import type { BatchView } from '../repositories/batches.repository';

export const FORMATS = ['csv', 'excel', 'json'] as const;
export type BatchFormat = (typeof FORMATS)[number];

/**
 * A batch file in the shared member format (the same as the e-mails and the CLI): entries carry
 * opaque `entry_id` refs, never internal ids. "excel" is the CSV with a UTF-8 BOM so Excel
 * opens the Japanese in the right encoding.
 */
export async function batchDownload(ctx: AppContext, caller: Caller, b: BatchView, format: BatchFormat) {
  await audit(ctx.pool, {
    actor: caller.actor,
    action: 'batch.download',
    object: `batch:${b.id}`,
    details: { format, member: b.member_id, list: b.list_id, entries: b.entries },
  });
  if (caller.role === 'member') await markBatchDownloaded(ctx.pool, b.id);
  const gen = async function* () {
    // The scoped transaction stays open while the response streams and ends with it, so the
    // row-level-security policies apply to the read too.
    const scope = await openScope(ctx.pool, caller);
    let ok = false;
    try {
      const header = await getBatch(scope.db, b.id);
      if (!header) return;
      yield* format === 'json' ? batchJson(scope.db, header) : batchCsv(scope.db, header, { bom: format === 'excel' });
      ok = true;
    } finally {
      await scope.end(ok);
    }
  };
  const name = `batch-${b.id}-${b.member_id}-${b.campaign_id}${b.round ? `-r${b.round}` : ''}.${format === 'json' ? 'json' : 'csv'}`;
  const type = format === 'json' ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8';
  return { stream: Readable.from(gen()), name, type };
}
