import type { AppContext } from '../context';
import type { Env } from '../env';
import { JOBS, type JobName, type Payload } from './catalog';
import { enqueue } from './queues';
import { failList } from '../repositories/list.repository';
import { countRequeue, unfinishedWork, type UnfinishedList } from '../repositories/reconcile.repository';

type ReconcileContext = Pick<AppContext, 'pool' | 'queues'> & {
  env?: Pick<Env, 'RECONCILE_MAX_REQUEUES' | 'NOTIFY_RETRY_MINUTES'>;
  log?: AppContext['log'];
};

/**
 * The queues (in PostgreSQL or Redis) carry only work in flight; PostgreSQL's tables know what is
 * unfinished. The reconciler asks
 * PostgreSQL and puts back the next step of every unfinished list, whatever became of its job:
 * missing (the queues lost it), completed while the list did not move, or failed — a worker killed while
 * reading a file (out of memory) fails its job as "stalled", and that failed job's deterministic id
 * would otherwise keep every later enqueue a no-op. A failed job is put back at most
 * RECONCILE_MAX_REQUEUES times per list; then the list fails with the job's last error, so no list
 * stays in a working state without a job that moves it or a failure that says why.
 * Batches whose notice (e-mail or webhook) failed are tried again every NOTIFY_RETRY_MINUTES until
 * it goes out or a coordinator stops it; the send path locks the batch, so a notice goes out once.
 */
export async function reconcile(ctx: ReconcileContext): Promise<number> {
  const maxRequeues = ctx.env?.RECONCILE_MAX_REQUEUES ?? 3;
  const w = await unfinishedWork(ctx.pool, { notifyRetryMinutes: ctx.env?.NOTIFY_RETRY_MINUTES ?? 30 });
  let n = 0;
  const put = async <N extends JobName>(name: N, payload: Payload<N>, list?: UnfinishedList) => {
    const r = await putBack(ctx, name, payload, list, maxRequeues);
    if (r) n++;
    return r;
  };
  for (const l of w.toParse) await put('ingest.parse-list', { listId: l.id }, l);
  for (const l of w.toRoute) await put('router.route-list', { listId: l.id, run: l.run }, l);
  for (const l of w.toRouteChunks) {
    for (const chunk of l.chunks) if ((await put('router.route-chunk', { listId: l.id, run: l.run, chunk }, l)) === 'failed') break;
  }
  for (const l of w.toFinish) await put('router.finish-route', { listId: l.id, run: l.run }, l);
  for (const l of w.toRelease) await put('router.release-list', { listId: l.id }, l);
  // a released list's announcements: release-list enqueues what is not out (and is a no-op while it ran lately)
  for (const id of w.toAnnounce) await enqueue(ctx.queues, 'router.release-list', { listId: id });
  for (const batchId of w.toNotify) await put('router.notify-batch', { batchId });
  for (const batchId of w.toHook) await put('router.notify-webhook', { batchId });
  return n;
}

/**
 * Enqueues a step unless its job is waiting, delayed or running. A job that completed, failed or
 * is gone is removed and enqueued afresh; a failed one counts against the list's requeue budget,
 * and past it the list fails with the job's error ('failed' is returned). Null: nothing to do.
 */
async function putBack<N extends JobName>(
  ctx: ReconcileContext,
  name: N,
  payload: Payload<N>,
  list: UnfinishedList | undefined,
  maxRequeues: number,
): Promise<'enqueued' | 'failed' | null> {
  const d = JOBS[name];
  const queue = ctx.queues.queues[d.queue];
  const jobId = d.jobId(payload as never);
  const job = await queue.getJob(jobId);
  const state = job ? await job.getState() : 'missing';
  if (state !== 'missing' && state !== 'unknown' && state !== 'completed' && state !== 'failed') return null;
  if (job && state === 'failed' && list) {
    if (list.requeues >= maxRequeues) {
      await failList(
        ctx.pool,
        list.id,
        `job.failed: ${name} failed ${list.requeues + 1} times (put back ${list.requeues} times, RECONCILE_MAX_REQUEUES=${maxRequeues}); last error: ${job.failedReason}`,
      );
      ctx.log?.warn({ listId: list.id, job: name, err: job.failedReason }, 'list failed: its job failed past the requeue budget');
      return 'failed';
    }
    await countRequeue(ctx.pool, list.id);
    list.requeues++;
  }
  if (job && state !== 'missing') {
    // a job locked by a worker cannot be removed: it is running after all, and the next round looks again
    if (
      !(await job.remove().then(
        () => true,
        () => false,
      ))
    )
      return null;
  }
  await enqueue(ctx.queues, name, payload);
  if (state !== 'missing') ctx.log?.info({ job: name, jobId, was: state }, 'reconciler put a job back');
  return 'enqueued';
}

/** Runs `reconcile` now and then every `intervalMs` (0: only now); returns a stop function. */
export function startReconciler(
  ctx: Pick<AppContext, 'pool' | 'queues' | 'log'> & { env?: ReconcileContext['env'] },
  intervalMs: number,
): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const n = await reconcile(ctx);
      if (n) ctx.log.info({ jobs: n }, 'reconciler re-enqueued unfinished work');
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
