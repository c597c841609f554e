import type { Worker } from 'bullmq';
import { type AppContext, type HandlerMap, type QueueName, startWorkers, failList } from '@deliveryline/shared';
import { routeList } from './jobs/route-list.job';
import { routeChunk } from './jobs/route-chunk.job';
import { finishRoute } from './jobs/finish-route.job';
import { releaseList } from './jobs/release-list.job';
import { notifyBatch } from './jobs/notify-batch.job';
import { remind } from './jobs/remind.job';
import { notifyWebhook } from './jobs/notify-webhook.job';
import { remindBatch } from './jobs/remind-batch.job';
import type { ReminderPolicy } from './delivery/reminder-policy';
import { MatcherCache } from './registry/matcher';
import { mailerFromEnv, type Mailer } from './delivery/mailer';

export const ROUTER_QUEUES: QueueName[] = ['route', 'deliver', 'remind'];

export interface RouterWorkerOptions {
  mailer?: Mailer;
  concurrency?: number;
  /** the clock, for deadline logic in tests */
  now?: () => Date;
  fetch?: typeof fetch;
  reminderPolicy?: ReminderPolicy;
  /** how often the reminder sweep runs (default hourly); 0 turns the schedule off */
  reminderEveryMs?: number;
}

/** The handler of every job on the route, deliver and remind queues (one each; see worker.test.ts). */
export function routerHandlers(ctx: AppContext, opts: RouterWorkerOptions & { mailer: Mailer }): HandlerMap {
  const matchers = new MatcherCache();
  const { mailer } = opts;
  const remindDeps = { ...ctx, now: opts.now, reminderPolicy: opts.reminderPolicy };
  return {
    'router.route-list': (p) => routeList(p, ctx),
    'router.route-chunk': (p) => routeChunk(p, { ...ctx, matchers }),
    'router.finish-route': (p) => finishRoute(p, ctx),
    'router.release-list': (p) => releaseList(p, { ...ctx, now: opts.now }),
    'router.notify-batch': (p, job) => notifyBatch(p, { ...ctx, mailer }, job.attemptsMade + 1),
    'router.notify-webhook': (p, job) => notifyWebhook(p, { ...ctx, fetch: opts.fetch }, job.attemptsMade + 1),
    'router.remind': (p) => remind(p, remindDeps),
    'router.remind-batch': (p, job) => remindBatch(p, { ...remindDeps, mailer }, job.attemptsMade + 1),
  };
}

/** Wires the route, deliver and remind handlers to BullMQ, and schedules the reminder sweep. */
export function startRouterWorker(ctx: AppContext, opts: RouterWorkerOptions = {}): Worker[] {
  const mailer = opts.mailer ?? mailerFromEnv(ctx.env);
  const workers = startWorkers(ctx.queues, ctx.queues.prefix, ROUTER_QUEUES, routerHandlers(ctx, { ...opts, mailer }), {
    concurrency: { route: opts.concurrency ?? 1, deliver: 4, remind: 1 },
    onFailed: (job, err) => {
      ctx.log.error({ job: job?.name, jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'router job failed');
      const final = job && job.attemptsMade >= (job.opts.attempts ?? 1);
      if (final && job.name.startsWith('router.route') && typeof job.data?.listId === 'number') {
        void failList(ctx.pool, job.data.listId, `routing failed: ${err.message}`).catch(() => undefined);
      }
    },
  });
  const every = opts.reminderEveryMs ?? 3_600_000;
  if (every > 0) {
    // A job scheduler, not a setInterval: one schedule in Redis however many router workers run.
    void ctx.queues.queues.remind
      .upsertJobScheduler(
        'reminder-sweep',
        { every },
        {
          name: 'router.remind',
          data: {},
          opts: {
            attempts: 3,
            backoff: { type: 'exponential', delay: 5000 },
            removeOnComplete: { count: 100 },
            removeOnFail: { count: 100 },
          },
        },
      )
      .catch((err) => ctx.log.error({ err: (err as Error).message }, 'could not schedule the reminder sweep'));
  }
  workers[0].on('closed', () => mailer.close());
  return workers;
}
