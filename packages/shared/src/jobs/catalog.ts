import { z } from 'zod';

/**
 * The one job catalog. A live job name never changes; payload schemas only gain optional
 * fields. Payloads carry ids, never data. Job ids are deterministic, so enqueueing the same
 * work twice is a no-op while the first job is still known to the queue.
 * BullMQ forbids ':' in custom ids, so ids use '-'.
 */
export const QUEUES = ['ingest', 'route', 'deliver', 'remind'] as const;
export type QueueName = (typeof QUEUES)[number];

const ListId = z.number().int().positive();

export const ParseListSchema = z.object({ listId: ListId });
export const RouteListSchema = z.object({ listId: ListId, run: z.number().int().positive() });
export const RouteChunkSchema = z.object({ listId: ListId, run: z.number().int().positive(), chunk: z.number().int().min(0) });
export const FinishRouteSchema = z.object({ listId: ListId, run: z.number().int().positive() });
export const ReleaseListSchema = z.object({ listId: ListId });
export const NotifyBatchSchema = z.object({ batchId: z.number().int().positive() });
export const RemindSchema = z.object({ at: z.string().optional() });
export const NotifyWebhookSchema = z.object({ batchId: z.number().int().positive() });
/** `day`: the JST day (YYYY-MM-DD) the reminder is for, so one reminder per batch per day at most is even enqueued. */
export const RemindBatchSchema = z.object({ batchId: z.number().int().positive(), day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) });

/**
 * What `enqueue` adds to every payload: the deployment (database) the job belongs to, so a worker
 * serving another database refuses it. Optional: jobs enqueued before 0023 have none.
 */
export const JobOwnerSchema = z.object({ deployment: z.string().optional() });

interface JobDef<S extends z.ZodTypeAny> {
  queue: QueueName;
  schema: S;
  jobId: (p: z.infer<S>) => string;
  attempts: number;
  backoffMs: number;
}
const def = <S extends z.ZodTypeAny>(d: JobDef<S>) => d;

export const JOBS = {
  'ingest.parse-list': def({ queue: 'ingest', schema: ParseListSchema, jobId: (p) => `parse-${p.listId}`, attempts: 3, backoffMs: 2000 }),
  'router.route-list': def({
    queue: 'route',
    schema: RouteListSchema,
    jobId: (p) => `route-${p.listId}-${p.run}`,
    attempts: 5,
    backoffMs: 1000,
  }),
  'router.route-chunk': def({
    queue: 'route',
    schema: RouteChunkSchema,
    jobId: (p) => `route-${p.listId}-${p.run}-${p.chunk}`,
    attempts: 5,
    backoffMs: 1000,
  }),
  'router.finish-route': def({
    queue: 'route',
    schema: FinishRouteSchema,
    jobId: (p) => `finish-${p.listId}-${p.run}`,
    attempts: 5,
    backoffMs: 1000,
  }),
  'router.release-list': def({
    queue: 'deliver',
    schema: ReleaseListSchema,
    jobId: (p) => `release-${p.listId}`,
    attempts: 5,
    backoffMs: 1000,
  }),
  'router.notify-batch': def({
    queue: 'deliver',
    schema: NotifyBatchSchema,
    jobId: (p) => `notify-${p.batchId}`,
    attempts: 8,
    backoffMs: 2000,
  }),
  'router.notify-webhook': def({
    queue: 'deliver',
    schema: NotifyWebhookSchema,
    jobId: (p) => `webhook-${p.batchId}`,
    attempts: 8,
    backoffMs: 2000,
  }),
  'router.remind-batch': def({
    queue: 'remind',
    schema: RemindBatchSchema,
    jobId: (p) => `reminder-${p.batchId}-${p.day}`,
    attempts: 6,
    backoffMs: 5000,
  }),
  'router.remind': def({ queue: 'remind', schema: RemindSchema, jobId: (p) => `remind-${p.at ?? 'now'}`, attempts: 3, backoffMs: 5000 }),
} as const;

export type JobName = keyof typeof JOBS;
export type Payload<N extends JobName> = z.infer<(typeof JOBS)[N]['schema']>;
export const JOB_NAMES = Object.keys(JOBS) as JobName[];
export const jobsOfQueue = (q: QueueName) => JOB_NAMES.filter((n) => JOBS[n].queue === q);
