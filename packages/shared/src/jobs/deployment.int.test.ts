import path from 'node:path';
import { spawn } from 'node:child_process';
import type { Job, Worker } from 'bullmq';
import { Client } from 'pg';
import { LATEST_SCHEMA_VERSION } from 'bullmq';
import { openTestContext, adminQuery, dbUrl, until, type TestContext } from '../testing';
import { enqueue, startWorkers, workerCount, type HandlerMap } from './queues';

/** Workers on the remind queue that only record what they ran. */
function remindWorkers(ctx: TestContext, ran: string[]): Worker[] {
  const handlers: HandlerMap = {
    'router.remind': async (p) => void ran.push(`remind ${p.at}`),
    'router.remind-batch': async (p) => void ran.push(`batch ${p.batchId}`),
  };
  return startWorkers(ctx.queues, ctx.queues.prefix, ['remind'], handlers, { log: ctx.log });
}

describe.each(['redis', 'postgres'] as const)('jobs belong to one database (queues on %s)', (backend) => {
  let a: TestContext;
  let b: TestContext;
  const workers: Worker[] = [];
  beforeAll(async () => {
    // one Redis and one QUEUE_PREFIX (or one PostgreSQL server), two databases
    a = await openTestContext({ QUEUE_BACKEND: backend, QUEUE_PREFIX: 'dl-shared' });
    b = await openTestContext({ QUEUE_BACKEND: backend, QUEUE_PREFIX: 'dl-shared' });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await a.close();
    await b.close();
  });

  it('gives each database its own identity, a copied one too', () => {
    // the test databases are copies of one template: same random id, different oid
    expect(a.queues.deployment).not.toBe(b.queues.deployment);
    expect(a.queues.deployment.split('-')[0]).toBe(b.queues.deployment.split('-')[0]);
  });

  it('does not let a worker of one database take the jobs of the other', async () => {
    const ranA: string[] = [];
    workers.push(...remindWorkers(a, ranA));
    await until('a worker on a', async () => (await workerCount(a.queues, 'remind')) === 1);
    expect(await workerCount(b.queues, 'remind')).toBe(0);
    await enqueue(b.queues, 'router.remind', { at: 'of-b' });
    await enqueue(a.queues, 'router.remind', { at: 'of-a' });
    await until('a to run its job', async () => ranA.includes('remind of-a'));
    const waitingB = await b.queues.queues.remind.getJobCounts('waiting', 'active', 'completed', 'failed');
    expect(waitingB).toEqual({ waiting: 1, active: 0, completed: 0, failed: 0 });
    expect(ranA).toEqual(['remind of-a']);
    // b's own worker then runs it
    const ranB: string[] = [];
    workers.push(...remindWorkers(b, ranB));
    await until('b to run its job', async () => ranB.includes('remind of-b'));
    expect(ranA).toEqual(['remind of-a']);
  });

  it('refuses, loudly, a job that carries another deployment', async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()));
    const ranA: string[] = [];
    const failed = new Promise<{ job: Job | undefined; err: Error }>((resolve) => {
      workers.push(
        ...startWorkers(
          a.queues,
          a.queues.prefix,
          ['remind'],
          {
            'router.remind': async (p) => void ranA.push(`remind ${p.at}`),
            'router.remind-batch': async () => undefined,
          },
          { log: a.log, onFailed: (job, err) => job?.id === 'forged' && resolve({ job, err }) },
        ),
      );
    });
    await a.queues.queues.remind.add('router.remind', { at: 'forged', deployment: 'f0r9ed0000-1' }, { jobId: 'forged', attempts: 5 });
    const { job, err } = await failed;
    expect(err.name).toBe('UnrecoverableError');
    expect(err.message).toContain('f0r9ed0000-1');
    expect(err.message).toContain(a.queues.deployment);
    expect(job!.attemptsMade).toBe(1); // not retried
    expect(ranA).toEqual([]);
  });
});

describe('BullMQ schema and our migrations', () => {
  it('are applied once when several processes start at once on an empty database', async () => {
    const name = `dlmig_${process.pid}_${Date.now()}`;
    await adminQuery(`CREATE DATABASE "${name}"`);
    try {
      const runs = await Promise.all(
        Array.from(
          { length: 4 },
          () =>
            new Promise<{ code: number | null; out: string }>((resolve) => {
              const p = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../testing/migrate-once.ts')], {
                env: { ...process.env, DATABASE_URL: dbUrl(name) },
                stdio: ['ignore', 'pipe', 'pipe'],
              });
              let out = '';
              p.stdout.on('data', (d) => (out += d));
              p.stderr.on('data', (d) => (out += d));
              p.on('exit', (code) => resolve({ code, out }));
            }),
        ),
      );
      for (const r of runs) expect(r).toEqual({ code: 0, out: `bullmq schema ${LATEST_SCHEMA_VERSION}\n` });
      const c = new Client({ connectionString: dbUrl(name) });
      await c.connect();
      const dup = await c.query(`SELECT name FROM schema_migrations GROUP BY name HAVING count(*) > 1`);
      const dep = await c.query(`SELECT count(*)::int AS n FROM deployment`);
      await c.end();
      expect(dup.rows).toEqual([]);
      expect(dep.rows[0].n).toBe(1);
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });
});
