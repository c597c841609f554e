import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { repoRoot } from '@deliveryline/shared';
import { asPortal, openTestContext, type TestContext } from '@deliveryline/shared/testing';
import { smtpMailer, type Mailer } from '@deliveryline/router';
import { startSmtpCatcher, waitFor, type SmtpCatcher } from '@deliveryline/router/testing';
import { buildServer } from '../server';
import { DEFAULT_LIMITS, type PortalSettings } from '../settings';
import { listen } from '../testing/http-client';
import { launchChromium, shotBoth, signInAs } from '../testing/browser';
import { PASSWORD, seedRegistry, seedUsers, type World } from '../testing/portal-world';
import { currentTotp } from './totp';

/**
 * The sign-in limits and the second factor as people meet them, in Chromium, in Japanese and in
 * English: the message after failed attempts and after the lock, the e-mail to the owner, a
 * coordinator unlocking on Users, TOTP turned on with its recovery codes shown once, a sign-in
 * with a recovery code. Screenshots in test-artifacts/screenshots/signin/.
 */
const SHOTS = path.join(repoRoot(), 'test-artifacts', 'screenshots', 'signin');

describe('sign-in limits and the second factor in a browser', () => {
  let ctx: TestContext;
  let smtp: SmtpCatcher;
  let mailer: Mailer;
  let users: World['users'];
  let server: FastifyInstance;
  let base: string;
  let browser: Browser;
  let now = Date.now();
  const limits = { ...DEFAULT_LIMITS, freeFailures: 2, lockFailures: 4 };
  const settings: Partial<PortalSettings> = {
    requireTotp: false,
    cookieSecure: false,
    sessionHours: 8,
    signinPerMinute: 100000,
    limits,
    trustedProxies: [],
    clock: () => now,
  };

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    ctx = await openTestContext();
    await seedRegistry(ctx);
    users = await seedUsers(ctx);
    smtp = await startSmtpCatcher();
    mailer = smtpMailer(smtp.url, 'deliveryline <noreply@example.jp>');
    server = await buildServer(asPortal(ctx), { settings, mailer });
    base = (await listen(server)).base;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    mailer?.close();
    await smtp?.close();
    await ctx?.close();
  });

  async function tryWrong(page: Page, email: string): Promise<{ status: number; flash: string }> {
    await page.goto(`${base}/signin`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', 'not the password');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/signin') && r.request().method() === 'POST'),
      page.click('#signin-submit'),
    ]);
    await page.waitForLoadState('load');
    return { status: res.status(), flash: (await page.locator('.flash.error').innerText()).trim() };
  }

  it.each([
    ['en-US', 'memberA', /wait|try again/i, /paused after too many failed attempts/i],
    ['ja-JP', 'viewer', /待って|お試しください/, /一時停止/],
  ] as const)('%s: failed sign-ins meet a wait, then a lock with an e-mail to the owner', async (locale, who, waitText, lockText) => {
    const lang = locale.slice(0, 2);
    const context = await browser.newContext({ locale, viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const email = users[who].email;
    const seen: { status: number; flash: string }[] = [];
    for (let i = 0; i < limits.lockFailures + 1; i++) {
      seen.push(await tryWrong(page, i % 2 ? `  ${email.toUpperCase()} ` : email)); // padded or not, one account
      if (i === limits.freeFailures) {
        await page.screenshot({ path: path.join(SHOTS, `signin-wait-${lang}.png`), fullPage: true });
        // an attempt while the wait runs is refused before the password is even checked
        const early = await tryWrong(page, email);
        expect(early.status).toBe(429);
        expect(early.flash).toMatch(waitText);
      }
      now += 70_000; // past this back-off wait (2, 4 … s), well inside the window
    }
    expect(seen.slice(0, limits.freeFailures).map((s) => s.status)).toEqual(Array(limits.freeFailures).fill(401));
    const last = seen[seen.length - 1];
    expect(last.status).toBe(429);
    expect(last.flash).toMatch(lockText);
    await page.screenshot({ path: path.join(SHOTS, `signin-locked-${lang}.png`), fullPage: true });
    // even the right password is refused now, with the same words an unknown address would get
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForLoadState('load'), page.click('#signin-submit')]);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await waitFor(
      () => smtp.mails.some((m) => m.to.includes(email) && m.headers['x-deliveryline-notice'] === 'account.locked'),
      'the lock notice',
    );
    await context.close();
  });

  it('a coordinator sees the locked accounts on Users and unlocks one; its owner signs in again', async () => {
    const page = await signInAs(browser, base, users.coordinator.email, PASSWORD, { locale: 'ja-JP' });
    await page.goto(`${base}/users`);
    const unlock = page.locator(`form[action="/users/${users.memberA.id}/unlock"] button`);
    expect(await unlock.count()).toBe(1);
    await shotBoth(page, SHOTS, 'users-locked');
    await Promise.all([page.waitForLoadState('load'), unlock.click()]);
    expect(await page.locator(`form[action="/users/${users.memberA.id}/unlock"]`).count()).toBe(0);
    const member = await signInAs(browser, base, users.memberA.email, PASSWORD, { locale: 'en-US' });
    expect(new URL(member.url()).pathname).toBe('/batches');
    await member.context().close();
    await page.context().close();
  });

  it('turns TOTP on, shows ten recovery codes once, and signs in with one of them instead of a code', async () => {
    const page = await signInAs(browser, base, users.sourceA.email, PASSWORD, { locale: 'en-US' });
    await page.goto(`${base}/account`);
    const secret = (await page.locator('#totp-secret').innerText()).trim();
    await page.fill('input[name=code]', currentTotp(secret));
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/account/totp"] button')]);
    const codes = (await page.locator('#recovery-codes li').allInnerTexts()).map((c) => c.trim());
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await page.screenshot({ path: path.join(SHOTS, 'recovery-codes-en.png'), fullPage: true });
    await page.context().close();

    // a new sign-in asks for the second factor; a recovery code opens it once
    const again = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 860 } });
    const p2 = await again.newPage();
    await p2.goto(`${base}/signin`);
    await p2.fill('input[name=email]', users.sourceA.email);
    await p2.fill('input[name=password]', PASSWORD);
    await Promise.all([p2.waitForURL(/\/signin\/totp/), p2.click('#signin-submit')]);
    await p2.screenshot({ path: path.join(SHOTS, 'totp-prompt-ja.png'), fullPage: true });
    await p2.fill('input[name=code]', codes[0]);
    await Promise.all([p2.waitForURL((u) => !u.pathname.startsWith('/signin')), p2.click('form[action^="/signin/totp"] button')]);
    await p2.goto(`${base}/account`);
    expect(await p2.locator('#recovery-left').innerText()).toMatch(/9/);
    await shotBoth(p2, SHOTS, 'account-totp-on');
    await again.close();
    await waitFor(
      () => smtp.mails.some((m) => m.to.includes(users.sourceA.email) && m.headers['x-deliveryline-notice'] === 'account.recovery'),
      'the recovery-code notice',
    );
  });
});
