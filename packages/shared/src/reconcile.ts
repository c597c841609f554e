import type { AppContext } from './context';
import { enqueue } from './jobs/queues';
import { unfinishedWork } from './repositories/reconcile.repository';

/**
 * The queues (in PostgreSQL or Redis) carry only work in flight; PostgreSQL's tables know what is
 * unfinished. The reconciler asks them and enqueues the next step of every unfinished list. Job
 * ids are deterministic and every handler is idempotent, so enqueueing work that is already
 * queued or done changes nothing: after the queues lose everything (a Redis flushed or
 * restarted empty), the next reconcile puts it all back — a delay, never a loss.
 */
export async function reconcile(ctx: Pick<AppContext, 'pool' | 'queues'>): Promise<number> {
  const w = await unfinishedWork(ctx.pool);
  for (const id of w.toParse) await enqueue(ctx.queues, 'ingest.parse-list', { listId: id });
  for (const r of w.toRoute) await enqueue(ctx.queues, 'router.route-list', { listId: r.id, run: r.run });
  for (const r of w.toFinish) await enqueue(ctx.queues, 'router.finish-route', { listId: r.id, run: r.run });
  for (const id of w.toRelease) await enqueue(ctx.queues, 'router.release-list', { listId: id });
  return w.toParse.length + w.toRoute.length + w.toFinish.length + w.toRelease.length;
}

/** Runs `reconcile` now and then every `intervalMs` (0: only now); returns a stop function. */
export function startReconciler(ctx: Pick<AppContext, 'pool' | 'queues' | 'log'>, intervalMs: number): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const n = await reconcile(ctx);
      if (n) ctx.log.info({ lists: n }, 'reconciler re-enqueued unfinished work');
    } catch (err) {
      ctx.log.warn({ err: (err as Error).message }, 'reconcile failed; will try again');
    } finally {
      running = false;
    }
  };
  void tick();
  if (intervalMs <= 0) return () => undefined;
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
