import type { Worker } from 'bullmq';
import { type AppContext, startWorkers, failList } from '@deliveryline/shared';
import { routeList } from './route-list.job';
import { routeChunk } from './route-chunk.job';
import { finishRoute } from './finish-route.job';
import { releaseList } from './release-list.job';
import { notifyBatch } from './notify-batch.job';
import { remind } from './remind.job';
import { MatcherCache } from './registry/matcher';
import { mailerFromEnv, type Mailer } from './mailer';

/** Wires the route, deliver and remind handlers to BullMQ. */
export function startRouterWorker(ctx: AppContext, opts: { mailer?: Mailer; concurrency?: number } = {}): Worker[] {
  const matchers = new MatcherCache();
  const mailer = opts.mailer ?? mailerFromEnv(ctx.env);
  const workers = startWorkers(ctx.env.REDIS_URL, ctx.queues.prefix, ['route', 'deliver', 'remind'], {
    'router.route-list': (p) => routeList(p, ctx),
    'router.route-chunk': (p) => routeChunk(p, { ...ctx, matchers }),
    'router.finish-route': (p) => finishRoute(p, ctx),
    'router.release-list': (p) => releaseList(p, ctx),
    'router.notify-batch': (p, job) => notifyBatch(p, { ...ctx, mailer }, job.attemptsMade + 1),
    'router.remind': (p) => remind(p, ctx),
  }, {
    concurrency: { route: opts.concurrency ?? 1, deliver: 4, remind: 1 },
    onFailed: (job, err) => {
      ctx.log.error({ job: job?.name, jobId: job?.id, err: err.message }, 'router job failed');
      const final = job && job.attemptsMade >= (job.opts.attempts ?? 1);
      if (final && job.name.startsWith('router.route') && typeof job.data?.listId === 'number') {
        void failList(ctx.pool, job.data.listId, `routing failed: ${err.message}`).catch(() => undefined);
      }
    },
  });
  workers[0].on('closed', () => mailer.close());
  return workers;
}
