import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { submitList } from '@deliveryline/shared';
import { testCoordinator } from '@deliveryline/shared/testing';
import {
  expectExact,
  makeList,
  openFaultContext,
  spawnWorker,
  startPrivatePostgres,
  startSmtpSink,
  waitFor,
  type FaultContext,
  type PrivatePostgres,
  type SmtpSink,
  type WorkerProcess,
} from '../faults/harness';

/** `dline ingest --wait` rides out a PostgreSQL restart; a worker stops within seconds of SIGTERM after a failed list. */
describe('--wait and SIGTERM on bad days', () => {
  let pg: PrivatePostgres;
  let sink: SmtpSink;
  const procs: WorkerProcess[] = [];
  const contexts: FaultContext[] = [];
  beforeAll(async () => {
    pg = await startPrivatePostgres();
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    for (const c of contexts) await c.close();
    await sink.close();
    pg.stop();
  });

  const dline = (env: Record<string, string>, args: string[]) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../dline.ts'), ...args], {
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) =>
      child.on('exit', (code) => res({ code, stdout, stderr })),
    );
    return { child, done, stderr: () => stderr };
  };

  it('dline ingest --wait survives a PostgreSQL restart and reports the exact figures', async () => {
    const ctx = await openFaultContext({ backend: 'postgres', pgAdminUrl: pg.url });
    contexts.push(ctx);
    procs.push(
      spawnWorker('ingest', { ...ctx.workerEnv, SMTP_URL: sink.url }),
      spawnWorker('router', { ...ctx.workerEnv, SMTP_URL: sink.url }),
    );
    const file = makeList(ctx, 'waitrestart', 120_000, 80_013, 7);
    const { token } = await testCoordinator(ctx.pool);
    const cli = dline({ ...ctx.workerEnv, SMTP_URL: sink.url, DLINE_TOKEN: token }, [
      'ingest',
      file,
      '--source',
      'jpcert',
      '--campaign',
      'waitrestart',
      '--wait',
      '--json',
    ]);
    await waitFor(
      'the list to be under way',
      async () => {
        const r = await ctx.pool
          .query(`SELECT state FROM lists WHERE campaign_id = 'waitrestart'`)
          .catch(() => ({ rows: [] as { state: string }[] }));
        return ['parsing', 'parsed', 'routing'].includes(r.rows[0]?.state ?? '');
      },
      120_000,
      20,
    );
    pg.restart();
    const r = await cli.done;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/\n\s+at /) });
    const f = JSON.parse(r.stdout);
    expect(f).toMatchObject({ state: 'released', received: 120_000, delivered: 80_013, returned: 120_000 - 80_013 });
    await waitFor(
      'every batch announced',
      async () =>
        (await ctx.pool.query(`SELECT count(*)::int AS n FROM batches WHERE list_id = $1 AND notified_at IS NULL`, [f.listId])).rows[0]
          .n === 0,
    );
    await expectExact(ctx, f.listId, { received: 120_000, delivered: 80_013 }, sink);
  }, 400_000);

  it('an ingest worker whose list failed mid-file stops within seconds of SIGTERM', async () => {
    const ctx = await openFaultContext({ backend: 'postgres', pgAdminUrl: pg.url, workerEnv: { MAX_ROWS: '5000' } });
    contexts.push(ctx);
    const w = spawnWorker('ingest', ctx.workerEnv);
    procs.push(w);
    const file = makeList(ctx, 'sigterm', 60_000, 100, 3);
    expect(fs.statSync(file).size).toBeGreaterThan(2 << 20);
    const id = await submitList(ctx, { path: file, sourceId: 'jpcert', campaignId: 'sigterm' });
    await waitFor(
      'the list to fail',
      async () => (await ctx.pool.query(`SELECT state FROM lists WHERE id = $1`, [id])).rows[0].state === 'failed',
      120_000,
      50,
    );
    const t = Date.now();
    const exited = new Promise<number | null>((res) => w.proc.once('exit', (code) => res(code)));
    w.proc.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'still running'>((res) => setTimeout(() => res('still running'), 15_000))]);
    expect({ code, output: code === 0 ? '' : w.output() }).toEqual({ code: 0, output: '' });
    expect(Date.now() - t).toBeLessThan(15_000);
  }, 200_000);
});
