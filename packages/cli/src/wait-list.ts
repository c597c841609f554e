import type { AppContext } from '@deliveryline/shared';
import { getList, toFigures, type ListFigures } from '@deliveryline/shared';

const DONE = new Set(['released', 'awaiting_approval', 'returned_sent', 'failed']);

/** Polls PostgreSQL (the system of record) until the list is released, awaits approval, or failed. */
export async function waitForList(ctx: AppContext, listId: number, opts: { timeoutMs?: number; drainDeliver?: boolean } = {}): Promise<ListFigures & { failure: string | null }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60 * 60_000);
  for (;;) {
    const l = await getList(ctx.pool, listId);
    if (!l) throw new Error(`list ${listId} disappeared`);
    if (DONE.has(l.state)) {
      if (opts.drainDeliver && l.state !== 'failed') await drain(ctx, deadline);
      return { ...toFigures(l as unknown as Record<string, unknown>), failure: l.failure };
    }
    if (Date.now() > deadline) throw new Error(`list ${listId} is still ${l.state} after waiting`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Waits until the deliver queue has nothing waiting or running (the batch e-mails are out). */
async function drain(ctx: AppContext, deadline: number) {
  for (;;) {
    const c = await ctx.queues.queues.deliver.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    if (c.waiting + c.active + c.prioritized === 0) return;
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 150));
  }
}
