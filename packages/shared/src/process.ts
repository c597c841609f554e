import type { Worker } from 'bullmq';
import type { AppContext } from './context';
import { ConfigError } from './env';
import { RedisUnavailableError } from './jobs/queues';
import { startReconciler } from './jobs/reconcile';

/**
 * Node flags of the ingest and router workers. Both make millions of short-lived strings (fields,
 * rows, decisions); with the default 16 MiB young generation enough of them outlived a scavenge
 * that, when the machine was busy, the ingest worker's old generation grew to 200 MiB and its RSS
 * past 400 MB on a 1M-row list (3 of 16 bench runs); with 32 MiB it stayed near 300 MB
 * (docs/ingest.md). The router routing a 1M list peaked at 405 MiB without it, 321–346 with it.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** Prints a startup failure as a person-readable message and exits non-zero. */
export function exitOnStartupError(err: unknown): never {
  if (err instanceof ConfigError || err instanceof RedisUnavailableError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`startup failed: ${(err as Error)?.stack ?? err}\n`);
  }
  process.exit(1);
}

/**
 * A worker process: open the context, start the workers, and on SIGTERM/SIGINT let the current
 * job finish (BullMQ's close waits for it) before closing the queues and the pool.
 */
export async function runWorkerProcess(
  name: string,
  open: (name: string) => Promise<AppContext>,
  start: (ctx: AppContext) => Worker[] | Promise<Worker[]>,
): Promise<void> {
  let ctx: AppContext;
  try {
    ctx = await open(name);
  } catch (err) {
    exitOnStartupError(err);
  }
  const workers = await start(ctx);
  ctx.log.info({ queues: workers.map((w) => w.name) }, `${name} worker started`);
  // at start-up and then periodically: whatever PostgreSQL says is unfinished goes back on the queues
  const stopReconciler = startReconciler(ctx, ctx.env.RECONCILE_INTERVAL_MS);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) {
      // a second signal: stop now (a job under way is handed to another worker once its lock runs out)
      ctx.log.warn({ signal }, `${name} worker stopping at once`);
      process.exit(1);
    }
    closing = true;
    ctx.log.info({ signal }, `${name} worker stopping`);
    // the current job gets SHUTDOWN_GRACE_MS to end; past it, the process ends anyway and the job's
    // lock runs out, so the stalled check gives it to another worker (its work is transactional)
    const grace = setTimeout(() => {
      ctx.log.warn({ graceMs: ctx.env.SHUTDOWN_GRACE_MS }, `${name} worker: the current job did not end in time; stopping without it`);
      process.exit(1);
    }, ctx.env.SHUTDOWN_GRACE_MS);
    grace.unref();
    stopReconciler();
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
