import { submitList } from '@deliveryline/shared';
import { TEST_QUEUE_BACKENDS } from '@deliveryline/shared/testing';
import {
  openFaultContext,
  spawnWorker,
  startSmtpSink,
  makeList,
  waitFor,
  waitReleased,
  expectExact,
  type FaultContext,
  type SmtpSink,
  type WorkerProcess,
} from './harness';

/** Workers die and race; the counts stay exact and no member is mailed twice. */
describe.each(TEST_QUEUE_BACKENDS)('fault (queues on %s): route workers killed and racing', (backend) => {
  let ctx: FaultContext;
  let sink: SmtpSink;
  const procs: WorkerProcess[] = [];
  const spawn = (kind: 'ingest' | 'router') => {
    const w = spawnWorker(kind, { ...ctx.workerEnv, SMTP_URL: sink.url });
    procs.push(w);
    return w;
  };

  beforeAll(async () => {
    sink = await startSmtpSink();
    ctx = await openFaultContext({ backend });
  });
  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts || process.env.FAULT_DEBUG) {
      for (const p of procs)
        process.stderr.write(
          `--- ${p.kind} (pid ${p.proc.pid}, exit ${p.proc.exitCode ?? p.proc.signalCode}):\n${p.output().slice(-3000)}\n`,
        );
    }
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await ctx.close();
    await sink.close();
  });

  it('SIGKILL of the route worker in the middle of a 200,000-entry list ends with the exact counts', async () => {
    spawn('ingest');
    const router = spawn('router');
    const file = makeList(ctx, 'kill', 200_000, 133_337, 11);
    const listId = await submitList(ctx, { path: file, sourceId: 'jpcert', campaignId: 'kill', round: 1 });
    // kill it once a few of the 20 chunks are done and others are not
    await waitFor(
      'routing under way',
      async () => {
        const r = await ctx.pool.query('SELECT count(*)::int AS n FROM route_chunks WHERE list_id = $1', [listId]);
        return r.rows[0].n >= 3;
      },
      180_000,
      20,
    );
    await router.kill('SIGKILL');
    const doneAtKill = (await ctx.pool.query('SELECT count(*)::int AS n FROM route_chunks WHERE list_id = $1', [listId])).rows[0].n;
    expect(doneAtKill).toBeLessThan(20);
    spawn('router');
    await waitReleased(ctx, listId);
    await expectExact(ctx, listId, { received: 200_000, delivered: 133_337 }, sink);
  }, 400_000);

  it('two route workers racing on the same list route every entry once', async () => {
    spawn('router');
    spawn('router');
    const file = makeList(ctx, 'race', 120_000, 80_001, 12);
    const listId = await submitList(ctx, { path: file, sourceId: 'jpcert', campaignId: 'race', round: 1 });
    await waitReleased(ctx, listId);
    await expectExact(ctx, listId, { received: 120_000, delivered: 80_001 }, sink);
  }, 400_000);
});
