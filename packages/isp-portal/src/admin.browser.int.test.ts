import { asPortal } from '@deliveryline/shared/testing';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot, setCampaignSettings, submitList } from '@deliveryline/shared';
import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, verifyWebhook, type Mail, type Mailer } from '@deliveryline/router';
import { buildServer } from './server';
import { createUser } from './services/users';
import { buildWorld, PASSWORD, waitReleased, type World } from './testing/portal-world';
import { listen } from './testing/http-client';
import { CHROMIUM, shotBoth, signInAs } from './testing/browser';
import { currentTotp } from './auth/totp';

/**
 * Administration in the browser: a list refused by a second coordinator (the uploader sees no
 * button), users with one-time passwords, webhooks, campaign settings, big tables with pages,
 * and the layout on a 390 px phone. Screenshots (ja, en, 390 px) go to test-artifacts/screenshots/admin/.
 */
const SHOTS = path.join(repoRoot(), 'test-artifacts', 'screenshots', 'admin');

describe('administration in the portal', () => {
  const sent: Mail[] = [];
  const mailer: Mailer = {
    send: async (m) => {
      sent.push(m);
      return { messageId: 'x', response: '250 ok' };
    },
    close: () => undefined,
  };
  let w: World;
  let server: FastifyInstance;
  let base: string;
  let browser: Browser;
  let hook: http.Server;
  let hookUrl: string;
  const hooks: { body: string; sig: string }[] = [];
  let awaiting: number;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    w = await buildWorld((ctx) => [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer, reminderEveryMs: 0 })]);
    server = await buildServer(asPortal(w.ctx), {
      mailer,
      settings: { requireTotp: false, cookieSecure: false, sessionHours: 1, signinPerMinute: 1000 },
    });
    base = (await listen(server)).base;
    browser = await chromium.launch(CHROMIUM);
    hook = http.createServer((req, res) => {
      let body = '';
      req
        .on('data', (d) => (body += d))
        .on('end', () => {
          hooks.push({ body, sig: String(req.headers['x-deliveryline-signature']) });
          res.writeHead(204).end();
        });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hooks`;
    // a list that waits for approval, uploaded by the first coordinator; a second coordinator decides
    await createUser(
      w.ctx.pool,
      { email: 'second@portal.test', name: 'second coordinator', role: 'coordinator', password: PASSWORD },
      'test',
    );
    await setCampaignSettings(w.ctx.pool, 'goz-approve', { approvalRequired: true }, 'test');
    const file = path.join(w.dir, 'approve.csv');
    fs.writeFileSync(file, 'ip,timestamp\n101.0.9.1,2026-11-01T00:00:00Z\n150.0.9.2,2026-11-01T00:00:00Z\n');
    awaiting = await submitList(w.ctx, {
      path: file,
      sourceId: 'jpcert',
      campaignId: 'goz-approve',
      round: 1,
      uploadedBy: w.users.coordinator.email,
    });
    expect(await waitReleased(w.ctx, awaiting)).toBe('awaiting_approval');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await w?.close();
    await new Promise((r) => hook?.close(r));
  });

  const signIn = (email: string, locale: 'ja-JP' | 'en-US', width = 1280, password = PASSWORD) =>
    signInAs(browser, base, email, password, { locale, width });
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  it('the uploader sees no approve button; a second coordinator refuses the list with a reason and the source is told', async () => {
    const mine = await signIn(w.users.coordinator.email, 'ja-JP');
    await mine.goto(`${base}/lists/${awaiting}`);
    expect(await mine.locator(`#approve-${awaiting}`).count()).toBe(0);
    expect(await mine.textContent('#decision-not-yours')).toContain('別のコーディネーター');
    await shotBoth(mine, SHOTS, 'list-awaiting-uploader');
    // the server refuses the uploader too, in words, not a bare 409
    const res = await mine.request.post(`${base}/approvals/lists/${awaiting}`, {
      form: { _csrf: await csrfOf(mine) },
      headers: { accept: 'text/html' },
    });
    expect(res.status()).toBe(409);
    expect(await res.text()).toContain('別のコーディネーターが承認してください');
    await mine.context().close();

    sent.length = 0;
    const other = await signIn('second@portal.test', 'en-US');
    await other.goto(`${base}/approvals`);
    await shotBoth(other, SHOTS, 'approvals');
    await other.fill(`#approvals-lists input[name=reason]`, 'Observation times are a day off; please check and send again.');
    await Promise.all([other.waitForURL(/\/lists\/\d+/), other.click(`#refuse-${awaiting}`)]);
    expect(await other.textContent('#list-refused')).toContain('Observation times are a day off');
    await shot(other, 'list-refused-en');
    await other.click('#lang-switch');
    await other.waitForFunction("document.documentElement.lang === 'ja'");
    expect(await other.textContent('main')).toContain('不承認');
    await shot(other, 'list-refused-ja');
    await other.context().close();
    const l = (await w.ctx.pool.query('SELECT state, refused_by, refusal_reason FROM lists WHERE id = $1', [awaiting])).rows[0];
    expect(l).toEqual({
      state: 'refused',
      refused_by: 'second@portal.test',
      refusal_reason: 'Observation times are a day off; please check and send again.',
    });
    expect(
      (
        await w.ctx.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'list.refuse' AND object = $1`, [
          `list:${awaiting}`,
        ])
      ).rows[0].n,
    ).toBe(1);
    expect(sent.map((m) => m.to)).toEqual([[w.users.sourceA.email]]);
    expect(sent[0].text).toContain('Observation times are a day off');
    // a refused list counts in no figure, and nothing was released
    expect((await w.ctx.pool.query('SELECT count(*)::int AS n FROM batches WHERE list_id = $1', [awaiting])).rows[0].n).toBe(0);
  });

  it('adds a user with a one-time password, keeps the form on an error, and asks for a new password at the first sign-in', async () => {
    const page = await signIn(w.users.coordinator.email, 'ja-JP');
    await page.goto(`${base}/users`);
    await page.fill('#user-form input[name=email]', 'noc2@alpha.example');
    await page.fill('#user-form input[name=name]', 'Alpha NOC 2');
    await page.selectOption('#user-role', 'member');
    await Promise.all([page.waitForLoadState('load'), page.click('#user-submit')]);
    expect(await page.textContent('.flash.error')).toContain('協力先');
    expect(await page.inputValue('#user-form input[name=email]')).toBe('noc2@alpha.example');
    expect(await page.inputValue('#user-form input[name=name]')).toBe('Alpha NOC 2');
    await shot(page, 'users-error-ja');
    await page.selectOption('#user-form select[name=member]', 'isp-a');
    await Promise.all([page.waitForSelector('#one-time-password'), page.click('#user-submit')]);
    const otp = (await page.textContent('#one-time-password'))!.trim();
    expect(otp).toMatch(/^[A-Za-z0-9-]{19}$/);
    await shot(page, 'users-created-ja');
    await page.context().close();

    const first = await signIn('noc2@alpha.example', 'en-US', 1280, otp);
    expect(new URL(first.url()).pathname).toBe('/account/password');
    await shotBoth(first, SHOTS, 'password-first');
    await first.fill('input[name=password]', 'a new long password 1');
    await first.fill('input[name=again]', 'a new long password 1');
    await Promise.all([first.waitForURL((u) => u.pathname === '/batches'), first.click('#password-submit')]);
    await first.context().close();
    expect(
      (await w.ctx.pool.query(`SELECT must_change_password FROM users WHERE email = 'noc2@alpha.example'`)).rows[0].must_change_password,
    ).toBe(false);
  });

  it("sets a member's webhook, rotates its secret and sends a signed test; changes a campaign's settings", async () => {
    const page = await signIn(w.users.coordinator.email, 'en-US');
    await page.goto(`${base}/members/isp-a`);
    await page.fill('input[name=url]', hookUrl);
    await Promise.all([page.waitForLoadState('load'), page.click('#webhook-save')]);
    await Promise.all([page.waitForSelector('#webhook-secret'), page.click('#webhook-rotate')]);
    const secret = (await page.textContent('#webhook-secret'))!.trim();
    await Promise.all([page.waitForSelector('#webhook-test-result'), page.click('#webhook-test')]);
    expect(await page.textContent('#webhook-test-result')).toContain('HTTP 204');
    expect(hooks).toHaveLength(1);
    expect(verifyWebhook(secret, hooks[0].body, hooks[0].sig)).toBe(true);
    await shot(page, 'member-webhook-test-en');
    await page.goto(`${base}/members/isp-a`);
    await shotBoth(page, SHOTS, 'member-webhook');
    await page.goto(`${base}/campaigns`);
    const row = page.locator('#campaigns-table tr', { hasText: 'goz-approve' });
    await row.locator('input[name=name]').fill('GOZ approval test');
    await row.locator('input[name=dueDays]').fill('5');
    await Promise.all([page.waitForLoadState('load'), row.locator('button').click()]);
    expect(await page.textContent('.flash.ok')).toContain('goz-approve');
    const c = (await w.ctx.pool.query(`SELECT name, due_days FROM campaigns WHERE id = 'goz-approve'`)).rows[0];
    expect(c).toEqual({ name: 'GOZ approval test', due_days: 5 });
    await shot(page, 'campaigns-saved-en');
    await page.goto(`${base}/campaigns`);
    await shotBoth(page, SHOTS, 'campaigns');
    await page.context().close();
  });

  it('pages through big tables with counts, and works on a 390 px phone', async () => {
    const page = await signIn(w.users.coordinator.email, 'ja-JP', 390);
    for (const [url, name] of [
      ['/batches?size=25', 'batches'],
      ['/audit?size=25', 'audit'],
      ['/members', 'members'],
      [`/lists/${w.lists.a}`, 'list'],
      ['/dashboard', 'dashboard'],
    ] as const) {
      await page.goto(`${base}${url}`);
      // the page itself never scrolls sideways: wide tables scroll inside their own box
      const wide = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
      expect({ url, wide: wide <= 1 }).toEqual({ url, wide: true });
      await shot(page, `${name}-390-ja`);
    }
    await page.goto(`${base}/audit?size=25`);
    expect(await page.textContent('#pager')).toMatch(/全[\d,]+件中 1〜25件/);
    await page.context().close();
    const en = await signIn(w.users.coordinator.email, 'en-US');
    await en.goto(`${base}/audit?size=25&page=2`);
    expect(await en.textContent('#pager')).toMatch(/26–\d+ of [\d,]+/);
    await shotBoth(en, SHOTS, 'audit-page2');
    await en.context().close();
  });

  it('sets up two-factor sign-in from a QR code, in both languages', async () => {
    // a member sees the QR code and the key (English); not set up here
    const en = await signIn(w.users.memberA.email, 'en-US');
    await en.goto(`${base}/account`);
    expect(await en.locator('#totp-qr svg').count()).toBe(1);
    expect(await en.locator('#totp-qr').getAttribute('aria-label')).toBe('QR code for your authenticator app');
    await shot(en, 'totp-setup-en');
    // the second coordinator sets it up with the code for the key shown beside the QR code
    const ja = await signIn('second@portal.test', 'ja-JP');
    await ja.goto(`${base}/account`);
    expect(await ja.locator('#totp-qr svg path').count()).toBeGreaterThan(0);
    await shot(ja, 'totp-setup-ja');
    const secret = (await ja.locator('#totp-secret').innerText()).trim();
    await ja.fill('input[name=code]', currentTotp(secret));
    await Promise.all([ja.waitForLoadState('load'), ja.click('form[action="/account/totp"] button')]);
    await ja.goto(`${base}/account`);
    expect(await ja.locator('body').innerText()).toContain('二要素認証は有効です。');
    expect(await ja.locator('#totp-qr').count()).toBe(0);
  });

  it("lists the batches whose notice has not gone out, and a coordinator stops one's retries", async () => {
    // a member's mail server refused every attempt: the batch is not announced
    const id = w.batches.b[0];
    await w.ctx.pool.query(`UPDATE batches SET notified_at = NULL, notify_failed_at = now(), state = 'ready' WHERE id = $1`, [id]);
    await w.ctx.pool.query(
      `INSERT INTO deliveries (batch_id, channel, kind, attempt, recipients, status, response) VALUES ($1, 'email', 'ready', 8, '{abuse@beta.example}', 'failed', '550 mailbox unavailable')`,
      [id],
    );
    const page = await signIn(w.users.coordinator.email, 'ja-JP');
    await page.goto(`${base}/batches`);
    const row = page.locator('#not-announced-table tr', { hasText: `#${id}` });
    expect(await row.innerText()).toContain('550 mailbox unavailable');
    await shotBoth(page, SHOTS, 'not-announced');
    await Promise.all([page.waitForURL(/\/batches/), page.click(`#stop-notice-${id}`)]);
    expect(await page.locator('#not-announced-table tr', { hasText: `#${id}` }).innerText()).toContain('coordinator@portal.test が停止');
    const b = (await w.ctx.pool.query('SELECT notify_stopped_by FROM batches WHERE id = $1', [id])).rows[0];
    expect(b.notify_stopped_by).toBe(w.users.coordinator.email);
    const ev = (
      await w.ctx.pool.query(`SELECT actor FROM audit_events WHERE action = 'batch.stop_notice' AND object = $1`, [`batch:${id}`])
    ).rows;
    expect(ev).toHaveLength(1);
    // a member sees no such list
    const member = await signIn(w.users.memberA.email, 'ja-JP');
    await member.goto(`${base}/batches`);
    expect(await member.locator('#not-announced').count()).toBe(0);
  });
});

async function csrfOf(page: Page): Promise<string> {
  return page.locator('input[name=_csrf]').first().inputValue();
}
