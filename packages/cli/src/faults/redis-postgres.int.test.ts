import IORedis from 'ioredis';
import { submitList } from '@deliveryline/shared';
import { TEST_QUEUE_BACKENDS } from '@deliveryline/shared/testing';
import {
  openFaultContext,
  spawnWorker,
  startSmtpSink,
  startPrivateRedis,
  startPrivatePostgres,
  makeList,
  waitFor,
  waitReleased,
  expectExact,
  type FaultContext,
  type SmtpSink,
  type WorkerProcess,
  type PrivateRedis,
  type PrivatePostgres,
} from './harness';

/**
 * Redis loses everything; PostgreSQL restarts under load (with the queues in it, or in Redis): a
 * delay, never a loss.
 */
describe.each(TEST_QUEUE_BACKENDS)('fault (queues on %s): Redis flushed, PostgreSQL restarted', (backend) => {
  let sink: SmtpSink;
  let redis: PrivateRedis;
  let pg: PrivatePostgres;
  const procs: WorkerProcess[] = [];
  const contexts: FaultContext[] = [];
  const spawn = (ctx: FaultContext, kind: 'ingest' | 'router') => {
    const w = spawnWorker(kind, { ...ctx.workerEnv, SMTP_URL: sink.url });
    procs.push(w);
    return w;
  };

  beforeAll(async () => {
    sink = await startSmtpSink();
    if (backend === 'redis') redis = await startPrivateRedis();
    pg = await startPrivatePostgres();
  });
  // batch ids start at 1 in every fresh database: count each test's e-mails on their own
  beforeEach(() => sink?.perBatch.clear());
  afterEach(() => {
    const s = expect.getState();
    if (s.assertionCalls !== s.numPassingAsserts || process.env.FAULT_DEBUG) {
      for (const p of procs) process.stderr.write(`--- ${p.kind} (pid ${p.proc.pid}):\n${p.output().slice(-3000)}\n`);
    }
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    for (const c of contexts) await c.close();
    pg?.stop();
    await redis?.stop();
    await sink?.close();
  });

  // a flush of Redis applies only where the queues are in Redis
  if (backend === 'redis')
    it('FLUSHALL while lists are in flight: the reconciler puts the work back and the counts stay exact', async () => {
      const ctx = await openFaultContext({ backend, redisUrl: redis.url });
      contexts.push(ctx);
      spawn(ctx, 'ingest');
      spawn(ctx, 'router');
      const lists = [
        { file: makeList(ctx, 'flush-a', 150_000, 100_003, 21), received: 150_000, delivered: 100_003 },
        { file: makeList(ctx, 'flush-b', 60_000, 40_009, 22), received: 60_000, delivered: 40_009 },
      ];
      const ids: number[] = [];
      for (const l of lists)
        ids.push(await submitList(ctx, { path: l.file, sourceId: 'jpcert', campaignId: 'flush', round: ids.length + 1 }));
      await waitFor(
        'the first list to be under way',
        async () => {
          const r = await ctx.pool.query(`SELECT state FROM lists WHERE id = $1`, [ids[0]]);
          return ['parsing', 'parsed', 'routing'].includes(r.rows[0].state);
        },
        120_000,
        20,
      );
      const r = new IORedis(redis.url);
      await r.flushall();
      r.disconnect();
      for (const [i, id] of ids.entries()) {
        await waitReleased(ctx, id);
        await expectExact(ctx, id, lists[i], sink);
      }
    }, 400_000);

  it('PostgreSQL restarted while a list is read and routed: workers reconnect, counts stay exact', async () => {
    const ctx = await openFaultContext({ backend, pgAdminUrl: pg.url, redisUrl: redis?.url });
    contexts.push(ctx);
    spawn(ctx, 'ingest');
    spawn(ctx, 'router');
    const file = makeList(ctx, 'pgrestart', 150_000, 99_991, 31);
    const id = await submitList(ctx, { path: file, sourceId: 'jpcert', campaignId: 'pgrestart', round: 1 });
    await waitFor(
      'the list to be under way',
      async () => {
        const r = await ctx.pool.query(`SELECT state FROM lists WHERE id = $1`, [id]);
        return ['parsing', 'parsed', 'routing'].includes(r.rows[0].state);
      },
      120_000,
      20,
    );
    pg.restart();
    await waitReleased(ctx, id);
    await expectExact(ctx, id, { received: 150_000, delivered: 99_991 }, sink);
  }, 400_000);
});
