import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { enqueue, repoRoot } from '@deliveryline/shared';
import { createBatches } from '../repositories/batch-release.repository';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { smtpMailer } from './mailer';
import { batchMessageId, notifyBatch } from '../jobs/notify-batch.job';
import { dueDate } from './due-date';
import { makeRoutedList } from '../testing/routed-list.fixture';
import { startSmtpCatcher, waitFor, type SmtpCatcher } from '../testing/smtp-catcher';

/**
 * The batch notice is sent at least once, with one Message-ID per batch: at the two points where a
 * member could get a second message — a server slower than the client's socket timeout, and a
 * worker killed while the server holds its reply — the second message carries the same
 * Message-ID, and `deliveries` holds an `unknown` attempt that explains it.
 */
describe('batch e-mail: at least once, a repeat recognisable and recorded', () => {
  let ctx: TestContext;
  const smtps: SmtpCatcher[] = [];
  const procs: ChildProcess[] = [];
  beforeAll(async () => {
    ctx = await openTestContext({ PUBLIC_URL: 'https://portal.example.jp' });
  });
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const s of smtps) await s.close();
    await ctx.close();
  });

  async function oneBatch(member: string): Promise<{ batchId: number; listId: number }> {
    const listId = await makeRoutedList(ctx.pool, {
      campaignId: `c-${member}`,
      members: [{ id: member, emails: [`abuse@${member}.example`] }],
      entries: [{ ip: '203.0.113.10', observedAt: '2014-06-02T10:00:00Z', memberId: member }],
    });
    await createBatches(ctx.pool, listId, dueDate(new Date(), 10), 10);
    const batchId = Number((await ctx.pool.query('SELECT id FROM batches WHERE list_id = $1', [listId])).rows[0].id);
    return { batchId, listId };
  }
  const attempts = async (batchId: number) =>
    (await ctx.pool.query(`SELECT status, message_id FROM deliveries WHERE batch_id = $1 AND channel = 'email' ORDER BY id`, [batchId]))
      .rows;

  it('a server slower than the socket timeout: the retry repeats the same Message-ID, the first attempt is recorded unknown', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const smtp = await startSmtpCatcher({ holdReply: (n) => (n === 1 ? held : undefined) });
    smtps.push(smtp);
    const mailer = smtpMailer(`${smtp.url}&socketTimeout=700`, 'deliveryline <noreply@example.jp>');
    const { batchId, listId } = await oneBatch('slow-isp');
    const deps = { ...ctx, mailer };
    await expect(notifyBatch({ batchId }, deps, 1)).rejects.toThrow();
    release();
    await notifyBatch({ batchId }, deps, 2);
    mailer.close();

    const id = batchMessageId(batchId, listId, 'https://portal.example.jp');
    expect(smtp.mails.map((m) => m.headers['message-id'])).toEqual([id, id]);
    expect(await attempts(batchId)).toEqual([
      { status: 'unknown', message_id: id },
      { status: 'sent', message_id: id },
    ]);
    const b = (await ctx.pool.query('SELECT state, notified_at FROM batches WHERE id = $1', [batchId])).rows[0];
    expect(b.state).toBe('notified');
  });

  it('a server that refuses: the attempt is failed, not unknown, and nothing reached anyone', async () => {
    const smtp = await startSmtpCatcher({ refuse: (n) => n === 1 });
    smtps.push(smtp);
    const mailer = smtpMailer(smtp.url, 'deliveryline <noreply@example.jp>');
    const { batchId } = await oneBatch('greylisting-isp');
    await expect(notifyBatch({ batchId }, { ...ctx, mailer }, 1)).rejects.toThrow();
    await notifyBatch({ batchId }, { ...ctx, mailer }, 2);
    mailer.close();
    expect(smtp.mails).toHaveLength(1);
    expect((await attempts(batchId)).map((a) => a.status)).toEqual(['failed', 'sent']);
  });

  it('a worker killed while the server holds its reply: the next worker sends it again with the same Message-ID', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const smtp = await startSmtpCatcher({ holdReply: (n) => (n === 1 ? held : undefined) });
    smtps.push(smtp);
    const env = {
      ...process.env,
      DATABASE_URL: ctx.databaseUrl,
      REDIS_URL: ctx.env.REDIS_URL,
      QUEUE_PREFIX: ctx.queues.prefix,
      SMTP_URL: smtp.url,
      PUBLIC_URL: 'https://portal.example.jp',
      JOB_LOCK_MS: '2000',
      RECONCILE_INTERVAL_MS: '0',
      LOG_LEVEL: 'silent',
      DATA_DIR: ctx.env.dataDir,
    };
    const worker = () => {
      const p = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'packages/router/src/main.ts')], {
        env,
        stdio: 'ignore',
      });
      procs.push(p);
      return p;
    };
    const { batchId, listId } = await oneBatch('killed-isp');
    const first = worker();
    await enqueue(ctx.queues, 'router.notify-batch', { batchId });
    await waitFor(() => smtp.mails.length === 1, 'the first message at the server', 60_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    release(); // the server answers a client that is gone
    worker();
    await waitFor(
      async () => (await ctx.pool.query('SELECT notified_at FROM batches WHERE id = $1', [batchId])).rows[0].notified_at !== null,
      'the batch announced by the second worker',
      90_000,
    );

    const id = batchMessageId(batchId, listId, 'https://portal.example.jp');
    expect(smtp.mails.map((m) => m.headers['message-id'])).toEqual([id, id]);
    const rows = await attempts(batchId);
    expect(rows).toEqual([
      { status: 'unknown', message_id: id },
      { status: 'sent', message_id: id },
    ]);
  }, 150_000);
});
