import type { Worker } from 'bullmq';
import { submitList, enqueue } from '@deliveryline/shared';
import { TEST_QUEUE_BACKENDS } from '@deliveryline/shared/testing';
import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, smtpMailer } from '@deliveryline/router';
import { openFaultContext, startSmtpSink, makeList, waitFor, waitReleased, expectExact, type FaultContext, type SmtpSink } from './harness';

/** An SMTP server that refuses for a while, and jobs that run twice. */
describe.each(TEST_QUEUE_BACKENDS)('fault (queues on %s): refusing SMTP server, duplicated jobs', (backend) => {
  let ctx: FaultContext;
  let sink: SmtpSink;
  let workers: Worker[] = [];

  beforeAll(async () => {
    sink = await startSmtpSink();
    ctx = await openFaultContext({ backend });
    workers = [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer: smtpMailer(sink.url, 'dl@test.invalid') })];
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    await sink.close();
  });

  it('an SMTP server that refuses for a while still gets every message later, once', async () => {
    sink.refuseNext = 20; // more than one attempt of every batch's message: each is retried with backoff
    const file = makeList(ctx, 'smtp', 20_000, 13_001, 41);
    const id = await submitList(ctx, { path: file, sourceId: 'jpcert', campaignId: 'smtp', round: 1 });
    await waitReleased(ctx, id);
    expect(sink.refused).toBeGreaterThan(0);
    const failed = await ctx.pool.query(
      `SELECT count(*)::int AS n FROM deliveries d JOIN batches b ON b.id = d.batch_id WHERE b.list_id = $1 AND d.status = 'failed'`,
      [id],
    );
    expect(failed.rows[0].n).toBeGreaterThan(0);
    await expectExact(ctx, id, { received: 20_000, delivered: 13_001 }, sink);
  }, 200_000);

  it('every job of a list enqueued again (new ids, so they really run) changes nothing', async () => {
    const file = makeList(ctx, 'dup', 30_000, 20_002, 42);
    const id = await submitList(ctx, { path: file, sourceId: 'jpcert', campaignId: 'dup', round: 1 });
    await waitReleased(ctx, id);
    for (const q of Object.values(ctx.queues.queues)) await q.obliterate({ force: true });
    const batches = (await ctx.pool.query('SELECT id FROM batches WHERE list_id = $1', [id])).rows.map((r) => Number(r.id));
    await Promise.all([
      enqueue(ctx.queues, 'ingest.parse-list', { listId: id }),
      enqueue(ctx.queues, 'router.route-list', { listId: id, run: 1 }),
      enqueue(ctx.queues, 'router.route-chunk', { listId: id, run: 1, chunk: 0 }),
      enqueue(ctx.queues, 'router.finish-route', { listId: id, run: 1 }),
      enqueue(ctx.queues, 'router.release-list', { listId: id }),
      ...batches.map((b) => enqueue(ctx.queues, 'router.notify-batch', { batchId: b })),
    ]);
    await waitFor('queues to drain', async () => {
      let busy = 0;
      for (const q of Object.values(ctx.queues.queues)) {
        const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        busy += (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0);
      }
      return busy === 0;
    });
    await expectExact(ctx, id, { received: 30_000, delivered: 20_002 }, sink);
  }, 200_000);
});
