import { type AppContext, startWorkers, failList } from '@deliveryline/shared';
import type { Worker } from 'bullmq';
import { parseList } from './jobs/parse-list.job';

/** Wires the ingest handlers to BullMQ. A job that used its last attempt marks its list failed. */
export function startIngestWorker(ctx: AppContext, opts: { concurrency?: number } = {}): Worker[] {
  return startWorkers(
    ctx.queues,
    ctx.queues.prefix,
    ['ingest'],
    {
      'ingest.parse-list': (p) => parseList(p, ctx),
    },
    {
      concurrency: { ingest: opts.concurrency ?? 1 },
      onFailed: (job, err) => {
        ctx.log.error({ job: job?.name, jobId: job?.id, err: err.message }, 'ingest job failed');
        if (job && job.attemptsMade >= (job.opts.attempts ?? 1) && typeof job.data?.listId === 'number') {
          void failList(ctx.pool, job.data.listId, err.message).catch(() => undefined);
        }
      },
    },
  );
}
