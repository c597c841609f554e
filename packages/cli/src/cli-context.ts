import { openContext, type AppContext, workerCount } from '@deliveryline/shared';
import type { Worker } from 'bullmq';

export class CliError extends Error {}

/** Opens the context for one command and always closes it. */
export async function withContext<T>(fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const ctx = await openContext('dline');
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

/**
 * When no worker serves the pipeline's queues (`pnpm start` is not running), the command runs
 * the workers itself for as long as it waits, and says so.
 */
export async function ensurePipelineWorkers(ctx: AppContext): Promise<Worker[]> {
  const [i, r, d] = await Promise.all([workerCount(ctx.queues, 'ingest'), workerCount(ctx.queues, 'route'), workerCount(ctx.queues, 'deliver')]);
  const started: Worker[] = [];
  // the worker packages load only when they run here: a command's start stays short otherwise
  if (i === 0) started.push(...(await import('@deliveryline/ingest')).startIngestWorker(ctx));
  if (r === 0 || d === 0) started.push(...(await import('@deliveryline/router')).startRouterWorker(ctx));
  if (started.length) process.stderr.write('dline: no running workers found (is `pnpm start` running?); running the pipeline in this process\n');
  return started;
}

export const print = (v: unknown) => process.stdout.write(JSON.stringify(v, null, 2) + '\n');
export const say = (s: string) => process.stderr.write(s + '\n');

export function intArg(name: string) {
  return (v: string) => {
    if (!/^\d+$/.test(v)) throw new CliError(`${name} must be a positive whole number, not "${v}"`);
    return Number(v);
  };
}
