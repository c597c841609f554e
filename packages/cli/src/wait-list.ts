import type { Worker } from 'bullmq';
import type { AppContext } from '@deliveryline/shared';
import { toFigures, type ListFigures } from '@deliveryline/reports';
import { getList, workerCount } from '@deliveryline/shared';

const DONE = new Set(['released', 'awaiting_approval', 'returned_sent', 'failed']);

/** How often a wait looks again for the workers that serve this database. */
const WORKER_CHECK_MS = 3000;

/** Errors of a database that is restarting or out of reach: the wait goes on through them. */
function unreachable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006'].includes(
      e?.code ?? '',
    ) ||
    /Connection terminated|terminating connection|the database system is (starting|shutting) up|Client has encountered a connection error/i.test(
      e?.message ?? '',
    )
  );
}

/**
 * When no worker serves one of the pipeline's queues for this database (`pnpm start` is not
 * running, or stopped), the command runs the missing workers itself for as long as it waits,
 * and says so. Returns the workers it started.
 */
export async function ensurePipelineWorkers(
  ctx: AppContext,
  say: (s: string) => void = (s) => process.stderr.write(s + '\n'),
): Promise<Worker[]> {
  const [i, r, d] = await Promise.all([
    workerCount(ctx.queues, 'ingest'),
    workerCount(ctx.queues, 'route'),
    workerCount(ctx.queues, 'deliver'),
  ]);
  const started: Worker[] = [];
  // the worker packages load only when they run here: a command's start stays short otherwise
  if (i === 0) started.push(...(await import('@deliveryline/ingest')).startIngestWorker(ctx));
  if (r === 0 || d === 0) started.push(...(await import('@deliveryline/router')).startRouterWorker(ctx));
  if (started.length) say('dline: no running workers serve this database (is `pnpm start` running?); running the pipeline in this process');
  return started;
}

export interface WaitOptions {
  timeoutMs?: number;
  /** once the list is done, also wait until its batch e-mails are out (default: when this process ran workers) */
  drainDeliver?: boolean;
  /** look for workers at the start and every few seconds, and run the missing ones here */
  superviseWorkers?: boolean;
  say?: (s: string) => void;
}

/**
 * Polls PostgreSQL (the system of record) until the list is released, awaits approval, or failed.
 * A database that restarts meanwhile is waited for (and said once); with `superviseWorkers`, a
 * pipeline nobody serves is run here within seconds. Workers it started are closed before it returns.
 */
export async function waitForList(
  ctx: AppContext,
  listId: number,
  opts: WaitOptions = {},
): Promise<ListFigures & { failure: string | null }> {
  const say = opts.say ?? ((s: string) => process.stderr.write(s + '\n'));
  const deadline = Date.now() + (opts.timeoutMs ?? 60 * 60_000);
  const started: Worker[] = [];
  let nextWorkerCheck = 0;
  let outage = false;
  try {
    for (;;) {
      if (opts.superviseWorkers && Date.now() >= nextWorkerCheck) {
        nextWorkerCheck = Date.now() + WORKER_CHECK_MS;
        try {
          started.push(...(await ensurePipelineWorkers(ctx, say)));
        } catch (err) {
          if (!unreachable(err)) throw err; // the queue service is out of reach: look again later
        }
      }
      let l;
      try {
        l = await getList(ctx.pool, listId);
        if (outage) say(`dline: the database answers again; still waiting for list ${listId}`);
        outage = false;
      } catch (err) {
        if (!unreachable(err)) throw err;
        if (!outage) say(`dline: the database does not answer (${(err as Error).message}); still waiting for list ${listId}`);
        outage = true;
      }
      if (l === undefined && !outage) throw new Error(`list ${listId} disappeared`);
      if (l && DONE.has(l.state)) {
        if ((opts.drainDeliver ?? started.length > 0) && l.state !== 'failed') await drain(ctx, deadline);
        return { ...toFigures(l as unknown as Record<string, unknown>), failure: l.failure };
      }
      if (Date.now() > deadline) throw new Error(`list ${listId} is still ${l?.state ?? 'unknown'} after waiting`);
      await new Promise((r) => setTimeout(r, outage ? 1000 : 150));
    }
  } finally {
    await Promise.all(started.map((w) => w.close()));
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

/**
 * `--wait` of the commands that start a list's pipeline: waits (running the workers here when
 * nobody serves this database), then prints the list's counters, or its failure with exit code 2.
 */
export async function waitAndReport(
  ctx: AppContext,
  listId: number,
  o: { json?: boolean; extra?: Record<string, unknown> },
): Promise<void> {
  const { formatRate } = await import('@deliveryline/shared');
  const say = (s: string) => process.stderr.write(s + '\n');
  const f = await waitForList(ctx, listId, { superviseWorkers: true, say });
  if (o.json) process.stdout.write(JSON.stringify(Object.assign({}, o.extra, f), null, 2) + '\n');
  else if (f.state !== 'failed') {
    say(
      `list ${listId}: ${f.state}; rows read ${f.rowsRead}, rejected ${f.rejected}, duplicates ${f.duplicates}, ` +
        `received ${f.received}, delivered ${f.delivered}, returned ${f.returned}, handling rate ${formatRate(f.delivered, f.received)}`,
    );
  }
  if (f.state === 'failed') {
    if (!o.json) say(`list ${listId} failed: ${f.failure}\n  once the cause is fixed: dline retry ${listId} --wait`);
    process.exitCode = 2;
  }
}
