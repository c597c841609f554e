import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from 'bullmq';
import {
  approveList,
  markReturnsSent,
  ListDecisionError,
  verifyAudit,
  setCampaignSettings,
  setSourceAnonymous,
} from '@deliveryline/shared';
import { createBatches } from '../repositories/batch-release.repository';
import { openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { startRouterWorker } from '../worker';
import { smtpMailer } from './mailer';
import { dueDate } from './due-date';
import { remind } from '../jobs/remind.job';
import { finishRoute } from '../jobs/finish-route.job';
import { makeRoutedList } from '../testing/routed-list.fixture';
import { startSmtpCatcher, waitFor, type SmtpCatcher } from '../testing/smtp-catcher';
import { remindBatch } from '../jobs/remind-batch.job';
import { previewRelease, sendReleaseTest } from './preview';
import { verifyWebhook, SIGNATURE_HEADER } from './webhook-signature';

const entry = (ip: string, memberId: string | null) => ({
  ip,
  observedAt: '2014-06-02T10:00:00Z',
  port: 443,
  malware: 'gameover',
  memberId,
});

describe('release: approval, preview and test mode, webhook, reminders, returns', () => {
  let ctx: TestContext;
  let smtp: SmtpCatcher;
  let workers: Worker[];
  let hook: http.Server;
  let hookUrl: string;
  const hookCalls: { body: string; signature: string }[] = [];

  beforeAll(async () => {
    smtp = await startSmtpCatcher();
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hookCalls.push({ body, signature: String(req.headers[SIGNATURE_HEADER.toLowerCase()]) });
        res.statusCode = hookCalls.length === 1 ? 503 : 204; // the ticket system is down once
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/deliveryline`;
    ctx = await openTestContext({ SMTP_URL: smtp.url, APPROVAL_REQUIRED: 'true' });
    workers = startRouterWorker(ctx, { reminderEveryMs: 0 });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await ctx.close();
    await smtp.close();
    await new Promise((r) => hook.close(r));
  });

  it('keeps a list waiting until a coordinator other than the uploader approves it; both are audit events', async () => {
    const listId = await makeRoutedList(ctx.pool, {
      state: 'awaiting_approval',
      uploadedBy: 'alice@t-isac.example',
      members: [{ id: 'isp-a', webhookUrl: hookUrl, webhookSecret: 's3cret' }],
      entries: [entry('203.0.113.1', 'isp-a'), entry('192.0.2.9', null)],
    });
    // Preview before release: what the member would get, nothing sent.
    const p = await previewRelease(ctx, listId, { actor: 'alice@t-isac.example', rows: 1 });
    expect(p.members).toHaveLength(1);
    expect(p.members[0]).toMatchObject({ memberId: 'isp-a', entries: 1, webhook: true });
    expect(p.members[0].mail.text).toContain('件数: 1 件');
    expect(p.members[0].firstRows[0].ip).toBe('203.0.113.1');
    // Test mode: the whole release to a test address, recorded; the member gets nothing.
    const mailer = smtpMailer(smtp.url, 'dl <noreply@example.jp>');
    const t = await sendReleaseTest(ctx, mailer, listId, { to: 'qa@t-isac.example', actor: 'alice@t-isac.example' });
    mailer.close();
    expect(t).toEqual([expect.objectContaining({ memberId: 'isp-a', status: 'sent' })]);
    expect(smtp.mails.map((m) => m.to)).toEqual([['qa@t-isac.example']]);
    expect(smtp.mails[0].subject).toMatch(/^\[TEST\]/);
    expect((await ctx.pool.query('SELECT count(*)::int AS n FROM release_tests WHERE list_id = $1', [listId])).rows[0].n).toBe(1);

    const coordinator = async (email: string) => {
      const id = Number(
        // stored normalised (0027), named as typed: the four-eyes check compares without case
        (await ctx.pool.query(`INSERT INTO users (email, name, role) VALUES (lower($1), $1, 'coordinator') RETURNING id`, [email])).rows[0]
          .id,
      );
      return { userId: id, email, actor: `user:${id}` };
    };
    const [alice, bob, carol] = [
      await coordinator('Alice@t-isac.example'),
      await coordinator('bob@t-isac.example'),
      await coordinator('carol@t-isac.example'),
    ];
    await expect(approveList(ctx, listId, alice)).rejects.toMatchObject({ code: 'approval.same_person' });
    expect((await ctx.pool.query('SELECT count(*)::int AS n FROM batches WHERE list_id = $1', [listId])).rows[0].n).toBe(0);
    await approveList(ctx, listId, bob);
    await expect(approveList(ctx, listId, carol)).rejects.toBeInstanceOf(ListDecisionError);
    await waitFor(
      async () =>
        (
          await ctx.pool.query(
            `SELECT count(*)::int AS n FROM batches WHERE list_id = $1 AND notified_at IS NOT NULL AND webhook_sent_at IS NOT NULL`,
            [listId],
          )
        ).rows[0].n === 1,
      'e-mail and webhook',
      60_000,
    );
    expect(smtp.mails.filter((m) => m.to.includes('abuse@isp-a.example'))).toHaveLength(1);
    const l = (await ctx.pool.query('SELECT state, approved_by FROM lists WHERE id = $1', [listId])).rows[0];
    expect(l).toEqual({ state: 'released', approved_by: 'bob@t-isac.example' });
    const events = (await ctx.pool.query(`SELECT action, actor FROM audit_events WHERE object = $1 ORDER BY id`, [`list:${listId}`])).rows;
    expect(events.map((e) => e.action)).toEqual(['list.preview', 'list.test_send', 'list.approve', 'list.release']);
    expect((await verifyAudit(ctx.pool)).ok).toBe(true);

    // The webhook: refused once (503), retried, then accepted; signed; ids and counts only.
    expect(hookCalls).toHaveLength(2);
    const body = JSON.parse(hookCalls[1].body);
    expect(body).toMatchObject({ event: 'batch.ready', listId, memberId: 'isp-a', entries: 1, tlp: 'TLP:AMBER' });
    expect(hookCalls[1].body).not.toContain('203.0.113.1');
    expect(verifyWebhook('s3cret', hookCalls[1].body, hookCalls[1].signature)).toBe(true);
    expect(verifyWebhook('wrong', hookCalls[1].body, hookCalls[1].signature)).toBe(false);
    const d = await ctx.pool.query(
      `SELECT status, final FROM deliveries d JOIN batches b ON b.id = d.batch_id WHERE b.list_id = $1 AND channel = 'webhook' ORDER BY d.id`,
      [listId],
    );
    expect(d.rows.map((r) => [r.status, r.final])).toEqual([
      ['failed', false],
      ['sent', true],
    ]);

    // Returns: marked as sent once, as an audit event.
    await markReturnsSent(ctx, listId, 'bob@t-isac.example');
    await expect(markReturnsSent(ctx, listId, 'bob@t-isac.example')).rejects.toMatchObject({ code: 'list.returns_already_sent' });
    expect((await ctx.pool.query('SELECT state FROM lists WHERE id = $1', [listId])).rows[0].state).toBe('returned_sent');
  });

  it('reminds a member about a batch not downloaded, at most once per interval, and lists it for the coordinator', async () => {
    const listId = await makeRoutedList(ctx.pool, {
      state: 'routed',
      members: [{ id: 'isp-r', emails: ['a@isp-r.example', 'b@isp-r.example'] }],
      entries: [entry('203.0.113.7', 'isp-r')],
    });
    const released = new Date('2025-04-24T10:00:00+09:00'); // a Thursday before Golden Week
    await createBatches(ctx.pool, listId, dueDate(released, 10), 10);
    const batchId = Number((await ctx.pool.query('SELECT id FROM batches WHERE list_id = $1', [listId])).rows[0].id);
    await ctx.pool.query(`UPDATE batches SET notified_at = $2, state = 'notified' WHERE id = $1`, [batchId, released]);
    const mailer = smtpMailer(smtp.url, 'dl <noreply@example.jp>');
    const at = (s: string) => ({ ...ctx, mailer, now: () => new Date(`${s}+09:00`) });
    const reminders = () => smtp.mails.filter((m) => m.to.includes('a@isp-r.example') && m.headers['x-deliveryline-kind'] === 'reminder');

    await remindBatch({ batchId, day: '2025-04-29' }, at('2025-04-29T12:00:00')); // 2 business days: too early
    expect(reminders()).toHaveLength(0);
    await Promise.all([
      remindBatch({ batchId, day: '2025-04-30' }, at('2025-04-30T12:00:00')),
      remindBatch({ batchId, day: '2025-04-30' }, at('2025-04-30T12:00:00')),
    ]);
    await remindBatch({ batchId, day: '2025-05-01' }, at('2025-05-01T12:00:00')); // within the interval
    expect(reminders()).toHaveLength(1);
    expect(reminders()[0].to.sort()).toEqual(['a@isp-r.example', 'b@isp-r.example']);
    expect(reminders()[0].text).toContain('まだダウンロードされていません');
    expect(reminders()[0].text).toContain('has not been downloaded yet');
    await remindBatch({ batchId, day: '2025-05-07' }, at('2025-05-07T12:00:00')); // 5/2 and 5/7: two business days later
    expect(reminders()).toHaveLength(2);
    mailer.close();
    const b = (await ctx.pool.query('SELECT reminders FROM batches WHERE id = $1', [batchId])).rows[0];
    expect(b.reminders).toBe(2);

    // The sweep enqueues a reminder job for the batch (and the worker sends it, interval permitting).
    await remind({ at: '2025-05-20T03:00:00Z' }, ctx);
    expect(await ctx.queues.queues.remind.getJob(`reminder-${batchId}-2025-05-20`)).toBeDefined();
  });

  it('follows the campaign: approval off releases at once, due days and the source name as set', async () => {
    await setCampaignSettings(ctx.pool, 'vawtrak-2015', { name: 'VAWTRAK 2015', dueDays: 5, approvalRequired: false }, 'coord');
    const listId = await makeRoutedList(ctx.pool, {
      campaignId: 'vawtrak-2015',
      sourceId: 'mpd',
      sourceName: 'Metropolitan Police Department',
      members: [{ id: 'isp-v' }],
      entries: [entry('203.0.113.77', 'isp-v')],
    });
    await setSourceAnonymous(ctx.pool, 'mpd', true, 'coord');
    const named = await previewRelease(ctx, listId, { actor: 'coord' });
    expect(named.members[0].mail.text).not.toContain('Metropolitan');
    await ctx.pool.query(`UPDATE lists SET state = 'routing', route_run = 1 WHERE id = $1`, [listId]);
    await finishRoute({ listId, run: 1 }, ctx); // APPROVAL_REQUIRED=true globally, but this campaign says off
    await waitFor(
      async () =>
        (await ctx.pool.query(`SELECT count(*)::int AS n FROM batches WHERE list_id = $1 AND notified_at IS NOT NULL`, [listId])).rows[0]
          .n === 1,
      'release without approval',
    );
    expect((await ctx.pool.query('SELECT due_business_days FROM batches WHERE list_id = $1', [listId])).rows[0].due_business_days).toBe(5);
    const mail = smtp.mails.find((m) => m.to.includes('abuse@isp-v.example'))!;
    expect(mail.text).toContain('VAWTRAK 2015');
    expect(mail.raw).not.toContain('Metropolitan');

    // With the campaign back on the global default (required), the next list waits, and says so in the audit log.
    await setCampaignSettings(ctx.pool, 'vawtrak-2015', { approvalRequired: null }, 'coord');
    const next = await makeRoutedList(ctx.pool, {
      campaignId: 'vawtrak-2015',
      sourceId: 'mpd',
      members: [{ id: 'isp-v' }],
      entries: [entry('203.0.113.78', 'isp-v')],
    });
    await ctx.pool.query(`UPDATE lists SET state = 'routing', route_run = 1 WHERE id = $1`, [next]);
    await finishRoute({ listId: next, run: 1 }, ctx);
    expect((await ctx.pool.query('SELECT state FROM lists WHERE id = $1', [next])).rows[0].state).toBe('awaiting_approval');
    expect(
      (
        await ctx.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'list.awaiting_approval' AND object = $1`, [
          `list:${next}`,
        ])
      ).rows[0].n,
    ).toBe(1);
  });
});
