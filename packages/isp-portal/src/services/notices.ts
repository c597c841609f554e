import { audit, notAnnouncedBatches, stopNotice, type AppContext, type NotAnnouncedBatch } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import { notFound } from '../web/errors';

/** Batches of released lists whose notice has not gone out (retrying, or stopped by a coordinator). */
export const notAnnounced = (ctx: AppContext): Promise<NotAnnouncedBatch[]> => notAnnouncedBatches(ctx.pool);

/** A coordinator stops the retries of a batch's notice (audited, as `dline batches stop-notice` does); 404 when there is none to stop. */
export async function stopBatchNotice(ctx: AppContext, caller: Caller, batchId: number): Promise<void> {
  // who stopped it, as people read it (the audit event names the caller's session or token)
  if (!(await stopNotice(ctx.pool, batchId, caller.email))) throw notFound();
  await audit(ctx.pool, { actor: caller.actor, action: 'batch.stop_notice', object: `batch:${batchId}`, details: {} });
}
