import { notAnnouncedBatches, notAnnouncedCount, stopBatchNotice, type AppContext, type NotAnnouncedBatch } from '@deliveryline/shared';
import type { Caller } from '../auth/caller';
import { notFound } from '../web/errors';

/** How many of the batches whose notice has not gone out a page lists (the longest waiting first); the count is of all. */
export const NOT_ANNOUNCED_SHOWN = 50;

/** Batches of released lists whose notice has not gone out (retrying, or stopped by a coordinator): how many, and the first ones. */
export async function notAnnounced(ctx: AppContext): Promise<{ total: number; rows: NotAnnouncedBatch[] }> {
  const total = await notAnnouncedCount(ctx.pool);
  return { total, rows: total ? await notAnnouncedBatches(ctx.pool, NOT_ANNOUNCED_SHOWN) : [] };
}

/** A coordinator stops the retries of a batch's notice (audited in the same transaction); 404 when there is none to stop. */
export async function stopNoticeFor(ctx: AppContext, caller: Caller, batchId: number): Promise<void> {
  // who stopped it, as people read it; the audit event names the caller's session or token
  if (!(await stopBatchNotice(ctx.pool, batchId, caller.email, caller.actor))) throw notFound();
}
