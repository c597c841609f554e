import { Queue, Worker, Job, UnrecoverableError, type ConnectionOptions } from 'bullmq';
import IORedis, { type Redis } from 'ioredis';
import { env } from '../env';
import { JOBS, QUEUES, type JobName, type Payload, type QueueName, jobsOfQueue } from './catalog';

export interface QueueContext {
  connection: Redis;
  prefix: string;
  queues: Record<QueueName, Queue>;
  close(): Promise<void>;
}

export function redisConnection(url: string): Redis {
  // maxRetriesPerRequest: null is what BullMQ workers need to survive a Redis restart.
  return new IORedis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}

export class RedisUnavailableError extends Error {}

/** Fails fast with a message that says how to start Redis, instead of retrying forever. */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const probe = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new RedisUnavailableError(
      `Redis does not answer at ${url} (${(err as Error).message}).\n` +
        `Start one, e.g.:  redis-server --daemonize yes --port 6379 --save "" --appendonly no\n` +
        `  or: docker compose -f docker/compose.yaml up -d redis\n` +
        `or point REDIS_URL at a running Redis.`,
    );
  } finally {
    probe.disconnect();
  }
}

export function createQueues(url: string, prefix: string): QueueContext {
  const connection = redisConnection(url);
  const queues = Object.fromEntries(QUEUES.map((q) => [q, new Queue(q, { connection, prefix })])) as Record<QueueName, Queue>;
  return {
    connection,
    prefix,
    queues,
    async close() {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      connection.disconnect();
    },
  };
}

/** The only way work is enqueued: validated payload, deterministic id, the catalog's retry policy. */
export async function enqueue<N extends JobName>(ctx: QueueContext, name: N, payload: Payload<N>, opts: { delayMs?: number } = {}): Promise<void> {
  const d = JOBS[name];
  const data = d.schema.parse(payload);
  await ctx.queues[d.queue].add(name, data, {
    jobId: d.jobId(data as never),
    attempts: d.attempts,
    backoff: { type: 'exponential', delay: d.backoffMs },
    delay: opts.delayMs,
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });
}

export type Handler<N extends JobName> = (payload: Payload<N>, job: Job) => Promise<void>;
export type HandlerMap = { [N in JobName]?: Handler<N> };

/**
 * One BullMQ worker per queue this process serves; each job is dispatched by name to its handler
 * after its payload is parsed with the catalog schema. A payload that does not parse is permanent.
 */
export function startWorkers(
  url: string,
  prefix: string,
  queueNames: QueueName[],
  handlers: HandlerMap,
  opts: { concurrency?: Partial<Record<QueueName, number>>; lockMs?: number; onFailed?: (job: Job | undefined, err: Error) => void } = {},
): Worker[] {
  const lockMs = opts.lockMs ?? env().JOB_LOCK_MS;
  return queueNames.map((q) => {
    const connection = redisConnection(url);
    for (const name of jobsOfQueue(q)) if (!handlers[name]) throw new Error(`no handler for job ${name} on queue ${q}`);
    const worker = new Worker(
      q,
      async (job) => {
        const name = job.name as JobName;
        const d = JOBS[name];
        const handler = handlers[name] as Handler<JobName> | undefined;
        if (!d || !handler) throw new UnrecoverableError(`unknown job ${job.name} on queue ${q}`);
        const parsed = d.schema.safeParse(job.data);
        if (!parsed.success) throw new UnrecoverableError(`bad payload for ${name}: ${parsed.error.message}`);
        await handler(parsed.data, job);
      },
      {
        connection,
        prefix,
        concurrency: opts.concurrency?.[q] ?? 1,
        // a worker that dies (SIGKILL, lost machine) holds its job until the lock runs out; then the
        // stalled check hands the job to another worker (at most twice, then it fails visibly)
        lockDuration: lockMs,
        stalledInterval: Math.max(1000, Math.floor(lockMs / 2)),
        maxStalledCount: 2,
      },
    );
    worker.on('error', () => undefined);
    // BullMQ leaves a connection it was handed open; this one is the worker's alone
    worker.on('closed', () => connection.disconnect());
    if (opts.onFailed) worker.on('failed', opts.onFailed);
    return worker;
  });
}

/** How many workers currently listen on a queue (BullMQ registers them as Redis clients). */
export async function workerCount(ctx: QueueContext, q: QueueName): Promise<number> {
  return (await ctx.queues[q].getWorkers()).length;
}

export { UnrecoverableError };
export type { ConnectionOptions };
