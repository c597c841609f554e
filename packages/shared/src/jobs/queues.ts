import { Queue, Worker, Job, UnrecoverableError, type ConnectionOptions } from 'bullmq';
import type { Pool } from 'pg';
import { env } from '../env';
import { createLogger, type Logger } from '../log';
import { deploymentId } from '../repositories/deployment.repository';
import { JOBS, QUEUES, JobOwnerSchema, type JobName, type Payload, type QueueName, jobsOfQueue } from './catalog';
import { checkRedis, migrateQueueSchema, openQueueStore, type QueueBackendKind, type QueueStore } from './backend';

export interface QueueContext {
  /** where the queues live: 'postgres' (no REDIS_URL) or 'redis' */
  backend: QueueBackendKind;
  /** the database's deployment identity (0023): every job carries it; workers refuse any other */
  deployment: string;
  /** QUEUE_PREFIX as configured */
  prefix: string;
  /** the Redis key prefix actually used, `${QUEUE_PREFIX}-${deployment}` (unused on PostgreSQL) */
  keyPrefix: string;
  /** a human description of where the queues are */
  where: string;
  /** answers when the queue store does (readiness) */
  connection: { ping(): Promise<unknown> };
  queues: Record<QueueName, Queue>;
  close(): Promise<void>;
  /** @internal makes this context's workers */
  store: QueueStore;
}

export interface QueueSettings {
  /** REDIS_URL; unset puts the queues in PostgreSQL */
  redisUrl?: string;
  databaseUrl: string;
  /** who applies BullMQ's schema (the owner's URL when the process's own role may not); default databaseUrl */
  ownerUrl?: string;
  /** QUEUE_PREFIX */
  prefix: string;
  deployment: string;
}

// startWorkers(url, prefix, …) finds its context by prefix: the contexts this process opened
const opened = new Set<QueueContext>();

/**
 * Queues on the backend the settings choose; the deployment identity comes from `openQueues`.
 * The older `createQueues(REDIS_URL, prefix)` form still works: Redis, that exact key prefix, and
 * jobs without a deployment (a worker of such a context checks none).
 */
export function createQueues(s: QueueSettings): QueueContext;
export function createQueues(redisUrl: string, prefix: string): QueueContext;
export function createQueues(a: QueueSettings | string, b?: string): QueueContext {
  const s: QueueSettings = typeof a === 'string' ? { redisUrl: a, databaseUrl: '', prefix: b!, deployment: '' } : a;
  const keyPrefix = s.deployment ? `${s.prefix}-${s.deployment}` : s.prefix;
  const store = openQueueStore({ redisUrl: s.redisUrl, databaseUrl: s.databaseUrl, keyPrefix });
  const queues = Object.fromEntries(QUEUES.map((q) => [q, store.queue(q)])) as Record<QueueName, Queue>;
  for (const q of Object.values(queues)) q.on('error', () => undefined);
  const ctx: QueueContext = {
    backend: store.kind,
    deployment: s.deployment,
    prefix: s.prefix,
    keyPrefix,
    where: store.where,
    connection: { ping: () => store.ping() },
    queues,
    store,
    async close() {
      opened.delete(ctx);
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await store.close();
    },
  };
  opened.add(ctx);
  return ctx;
}

/**
 * What a process does to reach its queues: reads the database's deployment identity, then on
 * PostgreSQL applies BullMQ's migrations, on Redis checks that Redis answers.
 */
export async function openQueues(pool: Pool, s: Omit<QueueSettings, 'deployment'>): Promise<QueueContext> {
  const deployment = await deploymentId(pool);
  if (s.redisUrl) await checkRedis(s.redisUrl);
  else await migrateQueueSchema(s.ownerUrl ?? s.databaseUrl);
  return createQueues({ ...s, deployment });
}

/** The only way work is enqueued: validated payload, deterministic id, the catalog's retry policy, the deployment's identity. */
export async function enqueue<N extends JobName>(
  ctx: QueueContext,
  name: N,
  payload: Payload<N>,
  opts: { delayMs?: number } = {},
): Promise<void> {
  const d = JOBS[name];
  const data = d.schema.parse(payload);
  await ctx.queues[d.queue].add(name, ctx.deployment ? { ...data, deployment: ctx.deployment } : data, {
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

export interface WorkerOpts {
  concurrency?: Partial<Record<QueueName, number>>;
  lockMs?: number;
  onFailed?: (job: Job | undefined, err: Error) => void;
  log?: Logger;
}

function contextFor(target: QueueContext | string | undefined, prefix: string): QueueContext {
  if (target && typeof target === 'object') return target;
  const found = [...opened].filter((c) => c.prefix === prefix || c.keyPrefix === prefix);
  if (found.length !== 1) {
    throw new Error(
      `startWorkers: ${found.length === 0 ? 'no' : 'more than one'} open queue context with prefix ${prefix}; pass the QueueContext (ctx.queues)`,
    );
  }
  return found[0]!;
}

/**
 * One BullMQ worker per queue this process serves; each job is dispatched by name to its handler
 * after its payload is parsed with the catalog schema. A payload that does not parse is permanent,
 * and so is a job of another deployment (another database): it is refused, loudly.
 * The first argument is the QueueContext (`ctx.queues`); the older `(REDIS_URL, prefix)` form
 * finds the context this process opened with that prefix.
 */
export function startWorkers(
  target: QueueContext | string | undefined,
  prefix: string,
  queueNames: QueueName[],
  handlers: HandlerMap,
  opts: WorkerOpts = {},
): Worker[] {
  const ctx = contextFor(target, prefix);
  const lockMs = opts.lockMs ?? env().JOB_LOCK_MS;
  let log = opts.log;
  return queueNames.map((q) => {
    for (const name of jobsOfQueue(q)) if (!handlers[name]) throw new Error(`no handler for job ${name} on queue ${q}`);
    const worker = ctx.store.worker(
      q,
      async (job) => {
        const owner = JobOwnerSchema.safeParse(job.data);
        const theirs = owner.success ? owner.data.deployment : undefined;
        if (theirs !== undefined && ctx.deployment && theirs !== ctx.deployment) {
          const msg = `job ${job.id} (${job.name}) on queue ${q} belongs to deployment ${theirs}, not to this worker's deployment ${ctx.deployment} (another database): refused`;
          log ??= createLogger('worker', env().LOG_LEVEL);
          log.error(msg);
          throw new UnrecoverableError(msg);
        }
        const name = job.name as JobName;
        const d = JOBS[name];
        const handler = handlers[name] as Handler<JobName> | undefined;
        if (!d || !handler) throw new UnrecoverableError(`unknown job ${job.name} on queue ${q}`);
        const parsed = d.schema.safeParse(job.data);
        if (!parsed.success) throw new UnrecoverableError(`bad payload for ${name}: ${parsed.error.message}`);
        await handler(parsed.data, job);
      },
      {
        concurrency: opts.concurrency?.[q] ?? 1,
        // a worker that dies (SIGKILL, lost machine) holds its job until the lock runs out; then the
        // stalled check hands the job to another worker (at most twice, then it fails visibly)
        lockDuration: lockMs,
        stalledInterval: Math.max(1000, Math.floor(lockMs / 2)),
        maxStalledCount: 2,
      },
    );
    worker.on('error', () => undefined);
    if (opts.onFailed) worker.on('failed', opts.onFailed);
    return worker;
  });
}

/**
 * How many workers currently serve a queue of this database: on Redis the key prefix names the
 * deployment, on PostgreSQL BullMQ counts the workers' sessions on this database only.
 */
export async function workerCount(ctx: QueueContext, q: QueueName): Promise<number> {
  return (await ctx.queues[q].getWorkers()).length;
}

export { UnrecoverableError, checkRedis, migrateQueueSchema };
export { RedisUnavailableError, redisConnection, QUEUE_SCHEMA, type QueueBackendKind } from './backend';
export type { ConnectionOptions };
