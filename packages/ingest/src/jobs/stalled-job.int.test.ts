import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'bullmq';
import { submitList, getList, reconcile, redisConnection, JOBS, UnrecoverableError } from '@deliveryline/shared';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { startIngestWorker } from '../worker';
import { settled } from '../testing/settled';

/**
 * A worker that dies while it holds a parse job (killed for memory, a lost machine) leaves the job
 * to the stalled check; after maxStalledCount the job fails as "stalled", and its deterministic id
 * made every later enqueue a no-op: the list stayed `parsing` for good. Here the job is taken by a
 * worker that goes away, and failed the way BullMQ's stalled check fails it (no further attempt).
 */
describe('a parse job that stalled past maxStalledCount', () => {
  let ctx: TestContext;
  let dir: string;
  beforeAll(async () => {
    ctx = await openTestContext({ RECONCILE_MAX_REQUEUES: '1' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-stalled-'));
  });
  afterAll(async () => {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  async function submit() {
    const file = path.join(dir, `l${n++}.csv`);
    fs.writeFileSync(file, `ip,observed_at\n203.0.113.${n},2015-04-20T10:00:00Z\n198.51.100.${n},2015-04-20T10:01:00Z\n`);
    return submitList(ctx, { path: file, sourceId: 'src', campaignId: `c${n}` });
  }

  /** Takes the list's parse job for a worker that goes away, and fails it as BullMQ fails a stalled job. */
  async function stallUntilFailed(listId: number): Promise<string> {
    const connection = redisConnection(ctx.env.REDIS_URL!); // this test's context keeps its queues in Redis
    const dying = new Worker('ingest', null, {
      connection,
      prefix: ctx.queues.keyPrefix,
      autorun: false,
      lockDuration: 300,
      stalledInterval: 300,
      maxStalledCount: 2,
    });
    try {
      await dying.waitUntilReady();
      const job = (await ctx.queues.queues.ingest.getJob(JOBS['ingest.parse-list'].jobId({ listId })))!;
      const end = Date.now() + 60_000;
      for (;;) {
        const state = await job.getState();
        if (state === 'failed') return (await ctx.queues.queues.ingest.getJob(job.id!))!.failedReason;
        if (state === 'waiting') await dying.getNextJob('dead-worker', { block: false });
        if (Date.now() > end) throw new Error(`job still ${state}`);
        await new Promise((r) => setTimeout(r, 50));
        if (state === 'active') {
          // the worker is gone; what BullMQ's stalled check does to its job past maxStalledCount
          const taken = (await ctx.queues.queues.ingest.getJob(job.id!))!;
          // failed without a retry, as a stalled job is (UnrecoverableError: BullMQ makes no further attempt)
          await taken.moveToFailed(new UnrecoverableError('job stalled more than allowable limit'), 'dead-worker', false);
        }
      }
    } finally {
      await dying.close(true);
      connection.disconnect();
    }
  }

  it('is put back by the reconciler and the list is parsed; past RECONCILE_MAX_REQUEUES the list fails with the reason', async () => {
    const first = await submit();
    expect(await stallUntilFailed(first)).toMatch(/stalled/);
    expect((await getList(ctx.pool, first))!.state).toBe('uploaded'); // no job will move it: stuck until reconciled
    const workers = startIngestWorker(ctx);
    try {
      await reconcile(ctx);
      const l = await settled(ctx.pool, first);
      expect(l.state).toBe('parsed');
      expect(l.received).toBe(2);
      expect((await ctx.pool.query('SELECT requeues FROM lists WHERE id = $1', [first])).rows[0].requeues).toBe(1);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }

    // a file that kills every worker that reads it stalls again after being put back: the budget ends it
    const second = await submit();
    expect(await stallUntilFailed(second)).toMatch(/stalled/);
    await reconcile(ctx);
    expect(await stallUntilFailed(second)).toMatch(/stalled/);
    await reconcile(ctx);
    const l = (await getList(ctx.pool, second))!;
    expect(l.state).toBe('failed');
    expect(l.failure).toMatch(
      /^job\.failed: ingest\.parse-list failed 2 times .*RECONCILE_MAX_REQUEUES=1.*stalled more than allowable limit/,
    );
  });
});
