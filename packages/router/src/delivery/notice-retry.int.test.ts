import http from 'node:http';
import type { Worker } from 'bullmq';
import { enqueue, reconcile, stopNotice, notAnnouncedBatches, notAnnouncedCount, JOBS } from '@deliveryline/shared';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { startRouterWorker } from '../worker';
import { makeRoutedList } from '../testing/routed-list.fixture';
import { startSmtpCatcher, waitFor, type SmtpCatcher } from '../testing/smtp-catcher';

/** An SMTP outage longer than a notice's retry budget: the reconciler sends every notice once the server is back. */
describe('notices that failed every attempt are retried on a schedule', () => {
  let ctx: TestContext;
  let smtp: SmtpCatcher;
  let workers: Worker[];
  let down = true;

  beforeAll(async () => {
    smtp = await startSmtpCatcher({ refuse: () => down });
    ctx = await openTestContext({ SMTP_URL: smtp.url, NOTIFY_RETRY_MINUTES: '30' });
    workers = startRouterWorker(ctx, { reminderEveryMs: 0 });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    await smtp.close();
  });

  it('delivers each notice exactly once after the outage, and not one a coordinator stopped', async () => {
    const at = '2014-06-02T10:00:00Z';
    const listId = await makeRoutedList(ctx.pool, {
      campaignName: 'outage',
      sourceName: 'JPCERT/CC',
      round: 1,
      entries: ['isp-a', 'isp-b', 'isp-c'].map((m, i) => ({
        ip: `203.0.113.${i + 1}`,
        observedAt: at,
        port: 80,
        malware: 'x',
        memberId: m,
      })),
      members: ['isp-a', 'isp-b', 'isp-c'].map((id) => ({ id, name: id, emails: [`abuse@${id}.example`] })),
    });
    await enqueue(ctx.queues, 'router.release-list', { listId });
    const batches = async () =>
      (
        await ctx.pool.query('SELECT id, member_id, notified_at, notify_failed_at FROM batches WHERE list_id = $1 ORDER BY member_id', [
          listId,
        ])
      ).rows;
    // the outage outlasts every attempt: the backoff waits are skipped, never the attempts
    await waitFor(
      async () => {
        for (const j of await ctx.queues.queues.deliver.getDelayed()) await j.promote().catch(() => undefined);
        const b = await batches();
        return b.length === 3 && b.every((x) => x.notify_failed_at);
      },
      'every notice to fail its last attempt',
      120_000,
    );
    const jobState = async (id: number) =>
      (await ctx.queues.queues.deliver.getJob(JOBS['router.notify-batch'].jobId({ batchId: id })))?.getState();
    const [a, b, c] = (await batches()).map((x) => Number(x.id));
    expect(await jobState(a)).toBe('failed');
    const attempts = (await ctx.pool.query(`SELECT count(*)::int AS n FROM deliveries WHERE batch_id = $1 AND status = 'failed'`, [a]))
      .rows[0].n;
    expect(attempts).toBe(JOBS['router.notify-batch'].attempts);
    expect(await notAnnouncedCount(ctx.pool)).toBe(3);

    // within NOTIFY_RETRY_MINUTES of the last failure the reconciler leaves them
    await reconcile(ctx);
    expect(await jobState(a)).toBe('failed');

    expect(await stopNotice(ctx.pool, c, 'coordinator@example.jp')).toBe(true);
    down = false;
    // the retry interval passes (the database's clock, moved by the failure's time instead)
    await ctx.pool.query(`UPDATE batches SET notify_failed_at = notify_failed_at - interval '31 minutes' WHERE list_id = $1`, [listId]);
    expect(await reconcile(ctx)).toBe(2);
    await waitFor(async () => (await batches()).filter((x) => x.notified_at).length === 2, 'the two notices to go out');
    // later rounds find nothing to send
    expect(await reconcile(ctx)).toBe(0);
    const to = smtp.mails.map((m) => m.to.join(',')).sort();
    expect(to).toEqual(['abuse@isp-a.example', 'abuse@isp-b.example']);
    expect(await jobState(b)).toBe('completed');
    expect(await notAnnouncedBatches(ctx.pool)).toMatchObject([{ batchId: c, memberId: 'isp-c', stoppedBy: 'coordinator@example.jp' }]);
    expect(await stopNotice(ctx.pool, a, 'coordinator@example.jp')).toBe(false); // sent: nothing to stop
  });
});

/** A member's ticket system down longer than a webhook's retry budget: the reconciler posts it once the system is back. */
describe('webhooks that failed every attempt are retried on a schedule', () => {
  let ctx: TestContext;
  let smtp: SmtpCatcher;
  let workers: Worker[];
  let hook: http.Server;
  let up = false;
  const posted: string[] = [];

  beforeAll(async () => {
    smtp = await startSmtpCatcher();
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        if (!up) return res.writeHead(503).end('down for maintenance');
        posted.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    ctx = await openTestContext({ SMTP_URL: smtp.url, NOTIFY_RETRY_MINUTES: '30' });
    workers = startRouterWorker(ctx, { reminderEveryMs: 0 });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    await smtp.close();
    await new Promise((r) => hook.close(r));
  });

  it('posts each webhook once after the outage', async () => {
    const listId = await makeRoutedList(ctx.pool, {
      campaignName: 'hook-outage',
      sourceName: 'JPCERT/CC',
      round: 1,
      entries: [{ ip: '203.0.113.9', observedAt: '2014-06-02T10:00:00Z', port: 80, malware: 'x', memberId: 'isp-h' }],
      members: [{ id: 'isp-h', name: 'isp-h', emails: ['abuse@isp-h.example'] }],
    });
    const url = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hooks`;
    await ctx.pool.query(`UPDATE members SET webhook_url = $1, webhook_secret = 'a-secret-of-the-member' WHERE id = 'isp-h'`, [url]);
    await enqueue(ctx.queues, 'router.release-list', { listId });
    const batch = async () => (await ctx.pool.query('SELECT id, webhook_sent_at FROM batches WHERE list_id = $1', [listId])).rows[0];
    const failedPosts = async (id: number) =>
      (
        await ctx.pool.query(
          `SELECT count(*)::int AS n FROM deliveries WHERE batch_id = $1 AND channel = 'webhook' AND status = 'failed'`,
          [id],
        )
      ).rows[0].n as number;
    await waitFor(async () => Boolean(await batch()), 'the batch');
    const id = Number((await batch()).id);
    const jobState = async () => (await ctx.queues.queues.deliver.getJob(JOBS['router.notify-webhook'].jobId({ batchId: id })))?.getState();
    // the outage outlasts every attempt: the backoff waits are skipped, never the attempts
    await waitFor(
      async () => {
        for (const j of await ctx.queues.queues.deliver.getDelayed()) await j.promote().catch(() => undefined);
        return (await jobState()) === 'failed';
      },
      'the webhook to fail its last attempt',
      120_000,
    );
    expect(await failedPosts(id)).toBe(JOBS['router.notify-webhook'].attempts);
    // within NOTIFY_RETRY_MINUTES of the last attempt the reconciler leaves it
    await reconcile(ctx);
    expect(await jobState()).toBe('failed');
    up = true;
    await ctx.pool.query(`UPDATE deliveries SET at = at - interval '31 minutes' WHERE batch_id = $1 AND channel = 'webhook'`, [id]);
    expect(await reconcile(ctx)).toBe(1);
    await waitFor(async () => Boolean((await batch()).webhook_sent_at), 'the webhook to go out');
    expect(posted).toHaveLength(1);
    expect(JSON.parse(posted[0])).toMatchObject({ event: 'batch.ready', batchId: id, listId });
    // later rounds find nothing to post
    expect(await reconcile(ctx)).toBe(0);
    expect(posted).toHaveLength(1);
  });
});
