import IORedis from 'ioredis';
import { submitList } from '@deliveryline/shared';
import { rng } from '../demo/replay';
import {
  openFaultContext,
  spawnWorker,
  startSmtpSink,
  startPrivateRedis,
  startPrivatePostgres,
  makeList,
  waitReleased,
  type FaultContext,
  type SmtpSink,
  type WorkerProcess,
  type PrivateRedis,
  type PrivatePostgres,
} from './harness';

/**
 * The chaos soak: several lists replayed while, at random (seeded) moments, workers are killed,
 * PostgreSQL restarts, Redis is flushed, and the SMTP server refuses or stalls. Then every list
 * must be final, its counts exact per list and member, every batch announced with one recorded
 * send, and a second copy of a notice only where a send's outcome was recorded as unknown (and
 * then with the same Message-ID). `CHAOS_SEED`, `CHAOS_SECONDS` (default 40) and
 * `CHAOS_BACKENDS` (default `redis`: the queues in Redis, so a flush applies; `postgres,redis`
 * runs both) change the run.
 */
const SEED = Number(process.env.CHAOS_SEED ?? 20261204);
const SECONDS = Number(process.env.CHAOS_SECONDS ?? 40);
const BACKENDS = (process.env.CHAOS_BACKENDS ?? 'redis').split(',') as ('postgres' | 'redis')[];

describe.each(BACKENDS)('chaos soak (queues on %s)', (backend) => {
  let sink: SmtpSink;
  let redis: PrivateRedis | undefined;
  let pg: PrivatePostgres;
  let ctx: FaultContext;
  const procs: WorkerProcess[] = [];
  const log: string[] = [];

  beforeAll(async () => {
    sink = await startSmtpSink();
    if (backend === 'redis') redis = await startPrivateRedis();
    pg = await startPrivatePostgres();
    ctx = await openFaultContext({ backend, pgAdminUrl: pg.url, redisUrl: redis?.url, workerEnv: { NOTIFY_RETRY_MINUTES: '1' } });
  });
  afterEach(() => {
    const s = expect.getState();
    if (s.assertionCalls !== s.numPassingAsserts || process.env.FAULT_DEBUG) {
      process.stderr.write(`chaos (seed ${SEED}): ${log.join('; ')}\n`);
      for (const p of procs.slice(-3)) process.stderr.write(`--- ${p.kind} (pid ${p.proc.pid}):\n${p.output().slice(-3000)}\n`);
    }
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await ctx?.close();
    pg?.stop();
    await redis?.stop();
    await sink?.close();
  });

  it(`ends with every list final and exact, seed ${SEED}`, async () => {
    const r = rng(SEED);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
    const live = new Map<string, WorkerProcess>();
    const start = (name: string) => {
      const w = spawnWorker(name.startsWith('ingest') ? 'ingest' : 'router', { ...ctx.workerEnv, SMTP_URL: sink.url });
      procs.push(w);
      live.set(name, w);
    };
    for (const name of ['ingest-1', 'router-1', 'router-2']) start(name);

    // lists of different sizes, each with a known number of entries in members' space
    const lists = [0, 1, 2, 3, 4].map((i) => {
      const received = 8_000 + Math.floor(r() * 30_000);
      const delivered = Math.floor(received * (0.5 + r() * 0.3));
      return { received, delivered, file: makeList(ctx, `chaos-${i}`, received, delivered, SEED + i) };
    });
    const ids: number[] = [];
    for (const [i, l] of lists.entries())
      ids.push(await submitList(ctx, { path: l.file, sourceId: 'jpcert', campaignId: 'chaos', round: i + 1 }));

    // the faults, until the time is up
    const end = Date.now() + SECONDS * 1000;
    const actions = ['kill', 'kill', 'pg-restart', 'smtp-refuse', 'smtp-stall', ...(backend === 'redis' ? ['redis-flush'] : [])];
    for (;;) {
      await new Promise((res) => setTimeout(res, 2_000 + r() * 3_000));
      if (Date.now() >= end) break;
      const a = pick(actions);
      const at = `${Math.round((end - Date.now()) / 1000)}s left`;
      if (a === 'kill') {
        const name = pick([...live.keys()]);
        await live.get(name)!.kill('SIGKILL');
        start(name);
        log.push(`${at}: SIGKILL ${name}`);
      } else if (a === 'pg-restart') {
        pg.restart();
        log.push(`${at}: PostgreSQL restarted`);
      } else if (a === 'redis-flush') {
        const c = new IORedis(redis!.url);
        await c.flushall();
        c.disconnect();
        log.push(`${at}: Redis flushed`);
      } else if (a === 'smtp-refuse') {
        sink.refuseUntil = Date.now() + 1_000 + r() * 3_000;
        log.push(`${at}: SMTP refuses`);
      } else {
        sink.stallMs = 1_000 + Math.floor(r() * 2_000);
        sink.stallUntil = Date.now() + 4_000;
        log.push(`${at}: SMTP stalls ${sink.stallMs} ms`);
      }
    }
    sink.refuseUntil = 0;
    sink.stallUntil = 0;

    for (const id of ids) await waitReleased(ctx, id, 300_000);

    // every list final and exact, per list and per member
    for (const [i, id] of ids.entries()) {
      const f = (
        await ctx.pool.query(
          `SELECT l.state, l.received, l.delivered, l.returned,
                  (SELECT count(*)::int FROM entries WHERE list_id = l.id) AS entries,
                  (SELECT count(*)::int FROM routes WHERE list_id = l.id) AS routes,
                  (SELECT coalesce(sum(entries), 0)::int FROM batches WHERE list_id = l.id) AS in_batches,
                  (SELECT count(*)::int FROM batches b WHERE b.list_id = l.id AND b.entries <>
                     (SELECT count(*) FROM routes r WHERE r.list_id = b.list_id AND r.member_id = b.member_id AND r.state = 'delivered')) AS wrong_batches
             FROM lists l WHERE l.id = $1`,
          [id],
        )
      ).rows[0];
      const want = {
        state: 'released',
        received: lists[i].received,
        delivered: lists[i].delivered,
        returned: lists[i].received - lists[i].delivered,
        entries: lists[i].received,
        routes: lists[i].received,
        in_batches: lists[i].delivered,
        wrong_batches: 0,
      };
      expect({ list: id, ...f }).toEqual({ list: id, ...want });
    }

    // every batch announced with one recorded send; a second copy only after an unknown outcome, with the same Message-ID
    const batches = (
      await ctx.pool.query(
        `SELECT b.id::int AS id, b.notified_at IS NOT NULL AS announced,
                (SELECT count(*)::int FROM deliveries d WHERE d.batch_id = b.id AND d.channel = 'email' AND d.kind = 'ready' AND d.status = 'sent') AS sent,
                (SELECT count(*)::int FROM deliveries d WHERE d.batch_id = b.id AND d.channel = 'email' AND d.status = 'unknown') AS unknown
           FROM batches b ORDER BY b.id`,
      )
    ).rows as { id: number; announced: boolean; sent: number; unknown: number }[];
    expect(batches.length).toBeGreaterThan(lists.length);
    const unexplained = batches
      .map((b) => ({ ...b, received: sink.perBatch.get(b.id) ?? 0, ids: new Set(sink.messageIds.get(b.id) ?? []).size }))
      .filter((b) => !b.announced || b.sent !== 1 || b.received < 1 || (b.received > 1 && (b.unknown === 0 || b.ids !== 1)));
    expect(unexplained).toEqual([]);

    // nothing left in a non-final state
    const open = (await ctx.pool.query(`SELECT id, state FROM lists WHERE state NOT IN ('released', 'returned_sent', 'failed', 'refused')`))
      .rows;
    expect(open).toEqual([]);
    expect(log.length).toBeGreaterThan(3);
  }, 600_000);
});
