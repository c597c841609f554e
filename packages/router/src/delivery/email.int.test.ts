import type { Worker } from 'bullmq';
import { enqueue, deliveryAttempts } from '@deliveryline/shared';
import { createBatches } from '../repositories/batch-release.repository';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { startRouterWorker } from '../worker';
import { smtpMailer } from './mailer';
import { notifyBatch } from '../jobs/notify-batch.job';
import { dueDate } from './due-date';
import { makeRoutedList } from '../testing/routed-list.fixture';
import { startSmtpCatcher, waitFor, type SmtpCatcher } from '../testing/smtp-catcher';

const ENTRIES = [
  { ip: '203.0.113.10', observedAt: '2014-06-02T10:00:00Z', port: 4431, malware: 'gameover', memberId: 'isp-a' },
  { ip: '203.0.113.11', observedAt: '2014-06-02T10:05:00Z', port: 4432, malware: 'gameover', memberId: 'isp-a' },
  { ip: '198.51.100.77', observedAt: '2014-06-02T11:00:00Z', port: null, malware: 'gameover', memberId: 'isp-b' },
  { ip: '192.0.2.200', observedAt: '2014-06-02T11:30:00Z', port: 80, malware: 'gameover', memberId: null },
];

describe('batch e-mail through a real SMTP server (STARTTLS + AUTH)', () => {
  let ctx: TestContext;
  let smtp: SmtpCatcher;
  let workers: Worker[];

  beforeAll(async () => {
    // The server refuses the first two recipients of isp-c's batch: its message must still arrive, once.
    let refusals = 0;
    smtp = await startSmtpCatcher({ user: 'dl', pass: 'p@ss word', refuse: (_n, to) => to.endsWith('@isp-c.example') && refusals++ < 2 });
    ctx = await openTestContext({ SMTP_URL: smtp.url, PUBLIC_URL: 'https://portal.example.jp' });
    workers = startRouterWorker(ctx, { reminderEveryMs: 0 });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    await smtp.close();
  });

  it('sends one message per batch, Japanese then English, with counts, TLP, due date and link, never the entries', async () => {
    const listId = await makeRoutedList(ctx.pool, {
      campaignName: 'GOZ 2014',
      sourceName: 'JPCERT/CC',
      anonymousSource: true,
      tlp: 'amber',
      round: 2,
      entries: ENTRIES,
      members: [
        { id: 'isp-a', name: 'ISP A', emails: ['abuse@isp-a.example', 'noc@isp-a.example'] },
        { id: 'isp-b', name: 'ISP B', emails: ['soc@isp-b.example'], language: 'en' },
      ],
    });
    await enqueue(ctx.queues, 'router.release-list', { listId });
    await waitFor(
      async () =>
        (await ctx.pool.query(`SELECT count(*)::int AS n FROM batches WHERE list_id = $1 AND state = 'notified'`, [listId])).rows[0].n ===
        2,
      'both batches notified',
    );

    const a = smtp.mails.filter((m) => m.to.some((t) => t.endsWith('@isp-a.example')));
    expect(a).toHaveLength(1);
    expect(a[0].to.sort()).toEqual(['abuse@isp-a.example', 'noc@isp-a.example']); // several contacts, one message
    expect(a[0].secure).toBe(true); // STARTTLS was used
    expect(a[0].user).toBe('dl');
    const batch = (await ctx.pool.query(`SELECT id, due_at FROM batches WHERE list_id = $1 AND member_id = 'isp-a'`, [listId])).rows[0];
    expect(a[0].subject).toContain('[TLP:AMBER]');
    expect(a[0].subject).toContain('感染端末情報 GOZ 2014 第2回: 2 件');
    expect(a[0].subject).toContain('New batch: GOZ 2014, round 2, 2 entries');
    const t = a[0].text;
    expect(t.indexOf('ご担当者様')).toBeLessThan(t.indexOf('To the contacts of'));
    expect(t).toContain(`キャンペーン: GOZ 2014 第2回（リスト ${listId}）`);
    expect(t).toContain('件数: 2 件');
    expect(t).toContain('Entries: 2');
    expect(t).toContain(`https://portal.example.jp/batches/${batch.id}`);
    const dueJst = new Date(batch.due_at.getTime() + 9 * 3_600_000).toISOString().slice(0, 10);
    expect(t).toContain(`対応期限: ${dueJst}`);
    expect(t).toContain(`Due: ${dueJst}`);
    for (const e of ENTRIES) expect(a[0].raw).not.toContain(e.ip);
    expect(a[0].raw).not.toContain('JPCERT'); // anonymous source: its name never reaches a member

    const b = smtp.mails.filter((m) => m.to.includes('soc@isp-b.example'));
    expect(b).toHaveLength(1);
    expect(b[0].text).toContain('To the contacts of ISP B');
    expect(b[0].text).not.toContain('ご担当者様'); // member language: English only
    expect(smtp.mails.some((m) => m.to.some((x) => x.includes('192.0.2')))).toBe(false);

    const d = await ctx.pool.query(
      `SELECT status, final, response FROM deliveries d JOIN batches b ON b.id = d.batch_id WHERE b.list_id = $1`,
      [listId],
    );
    expect(d.rows.map((r) => [r.status, r.final])).toEqual([
      ['sent', true],
      ['sent', true],
    ]);
    expect(d.rows[0].response).toMatch(/^250/);
  });

  it('retries with backoff after the server refused, records each attempt, and delivers once', async () => {
    const listId = await makeRoutedList(ctx.pool, {
      round: 3,
      entries: [{ ip: '203.0.113.50', observedAt: '2014-07-01T00:00:00Z', memberId: 'isp-c' }],
      members: [{ id: 'isp-c', emails: ['abuse@isp-c.example'] }],
    });
    await enqueue(ctx.queues, 'router.release-list', { listId });
    await waitFor(
      async () =>
        (await ctx.pool.query(`SELECT count(*)::int AS n FROM batches WHERE list_id = $1 AND notified_at IS NOT NULL`, [listId])).rows[0]
          .n === 1,
      'the refused batch to be notified',
      60_000,
    );
    expect(smtp.refused).toBe(2);
    expect(smtp.mails.filter((m) => m.to.includes('abuse@isp-c.example'))).toHaveLength(1);
    const d = await deliveryAttempts(ctx.pool, { listId });
    expect(d.map((r) => [r.attempt, r.status, r.final])).toEqual([
      [1, 'failed', false],
      [2, 'failed', false],
      [3, 'sent', true],
    ]);
    expect(d[0].response).toContain('451');
    expect(d[2].recipients).toEqual(['abuse@isp-c.example']);
  });

  it('sends exactly one message when the job runs twice, concurrently and again later', async () => {
    const listId = await makeRoutedList(ctx.pool, {
      round: 4,
      entries: [{ ip: '203.0.113.60', observedAt: '2014-07-02T00:00:00Z', memberId: 'isp-d' }],
      members: [{ id: 'isp-d', emails: ['abuse@isp-d.example'] }],
    });
    // The batch is made without the queue, so only the direct runs below can send.
    await createBatches(ctx.pool, listId, dueDate(new Date(), 10), 10);
    const batchId = Number((await ctx.pool.query('SELECT id FROM batches WHERE list_id = $1', [listId])).rows[0].id);
    const mailer = smtpMailer(smtp.url, 'deliveryline <noreply@example.jp>');
    const deps = { ...ctx, mailer };
    await Promise.all([notifyBatch({ batchId }, deps), notifyBatch({ batchId }, deps), notifyBatch({ batchId }, deps)]);
    await notifyBatch({ batchId }, deps);
    await enqueue(ctx.queues, 'router.notify-batch', { batchId });
    await waitFor(
      async () =>
        (await ctx.queues.queues.deliver.getJobCounts('waiting', 'active', 'delayed')).waiting +
          (await ctx.queues.queues.deliver.getJobCounts('active')).active ===
        0,
      'the queued run to finish',
    );
    mailer.close();
    expect(smtp.mails.filter((m) => m.to.includes('abuse@isp-d.example'))).toHaveLength(1);
    const sent = await ctx.pool.query(`SELECT count(*)::int AS n FROM deliveries WHERE batch_id = $1 AND status = 'sent'`, [batchId]);
    expect(sent.rows[0].n).toBe(1);
  });
});
