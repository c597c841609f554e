import { notAnnouncedBatches, stopBatchNotice, type AppContext, type NotAnnouncedBatch } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import { notFound } from '../web/errors';

/** Batches of released lists whose notice has not gone out (retrying, or stopped by a coordinator). */
export const notAnnounced = (ctx: AppContext): Promise<NotAnnouncedBatch[]> => notAnnouncedBatches(ctx.pool);

/** A coordinator stops the retries of a batch's notice (audited in the same transaction); 404 when there is none to stop. */
export async function stopNoticeFor(ctx: AppContext, caller: Caller, batchId: number): Promise<void> {
  // who stopped it, as people read it; the audit event names the caller's session or token
  if (!(await stopBatchNotice(ctx.pool, batchId, caller.email, caller.actor))) throw notFound();
}
