import { asPortal } from '@deliveryline/shared/testing';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { repoRoot } from '@deliveryline/shared';
import { startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, type Mailer } from '@deliveryline/router';
import { buildServer } from './server';
import { buildWorld, PASSWORD, type World } from './testing/portal-world';
import { listen } from './testing/http-client';
import { launchChromium, signInAs } from './testing/browser';

/** The portal as people use it, in Debian's Chromium; screenshots go to test-artifacts/screenshots/. */
const mailer: Mailer = { send: async () => ({ messageId: 'x', response: '250 ok' }), close: () => undefined };
const SHOTS = path.join(repoRoot(), 'test-artifacts', 'screenshots');

describe('portal in a browser', () => {
  let w: World;
  let server: FastifyInstance;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    w = await buildWorld((ctx) => [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer, reminderEveryMs: 0 })]);
    server = await buildServer(asPortal(w.ctx), {
      settings: { requireTotp: false, cookieSecure: false, sessionHours: 1, signinPerMinute: 100 },
    });
    base = (await listen(server)).base;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await w?.close();
  });

  const signIn = (email: string, locale: 'ja-JP' | 'en-US') => signInAs(browser, base, email, PASSWORD, { locale, downloads: true });
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  it('a coordinator uploads a list and watches it go through parse, route and release', async () => {
    const page = await signIn(w.users.coordinator.email, 'en-US');
    await shot(page, 'coordinator-dashboard-en');
    await page.goto(`${base}/upload`);
    const file = path.join(w.dir, 'goz-round2.csv');
    fs.writeFileSync(
      file,
      [
        'ip,timestamp,port,malware',
        '101.0.7.1,2026-11-10T01:00:00Z,443,GOZ',
        '102.0.7.2,2026-11-10T02:00:00Z,443,GOZ',
        '150.0.7.3,2026-11-10T03:00:00Z,80,GOZ',
      ].join('\n') + '\n',
    );
    await page.setInputFiles('input[name=file]', file);
    await page.fill('input[name=campaign]', 'goz');
    await page.fill('input[name=source]', 'jpcert');
    await page.fill('input[name=round]', '2');
    await page.click('#upload-submit');
    await page.waitForSelector('.steps li[data-step=release].done', { timeout: 90_000 });
    await expect(page.textContent('#upload-status')).resolves.toContain('released');
    await shot(page, 'coordinator-upload-en');
    await page.click('#list-link');
    await page.waitForSelector('h1');
    expect(await page.textContent('main')).toContain('goz-round2.csv');
    await shot(page, 'coordinator-list-en');
    await page.click('#lang-switch');
    await page.waitForFunction("document.documentElement.lang === 'ja'");
    expect(await page.textContent('h1')).toContain('リスト');
    await shot(page, 'coordinator-list-ja');
    await page.goto(`${base}/dashboard`);
    expect(await page.textContent('main')).toContain('対応率');
    await shot(page, 'coordinator-dashboard-ja');
    await page.goto(`${base}/upload`);
    await shot(page, 'coordinator-upload-ja');
    await page.goto(`${base}/audit`);
    await shot(page, 'coordinator-audit-ja');
    await page.goto(`${base}/members`);
    expect(await page.textContent('main')).toContain('Beta ISP');
    await shot(page, 'coordinator-members-ja');
    await page.goto(`${base}/approvals`);
    await shot(page, 'coordinator-approvals-ja');
    await page.context().close();
  });

  it('a member signs in, downloads its batch, reports outcomes and sees the per-row result', async () => {
    const page = await signIn(w.users.memberA.email, 'ja-JP');
    expect(new URL(page.url()).pathname).toBe('/batches');
    expect(await page.textContent('h1')).toBe('バッチ');
    await shot(page, 'member-batches-ja');
    const id = w.batches.a[0];
    await page.goto(`${base}/batches/${id}`);
    await shot(page, 'member-batch-ja');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    const csv = fs
      .readFileSync((await dl.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(csv).toHaveLength(7);
    // the member fills the outcome columns of the file it downloaded (after the release) and uploads it back
    expect(csv[0].endsWith(',outcome,notified_at,channel,note')).toBe(true);
    const later = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const filled = [csv[0], ...csv.slice(1).map((l, i) => l.replace(/,,,,$/, `,${i === 0 ? 'unknown' : 'notified'},${later},email,`))];
    const out = path.join(w.dir, 'outcomes.csv');
    fs.writeFileSync(out, filled.join('\r\n') + '\r\n');
    await page.setInputFiles('input[name=file]', out);
    await Promise.all([page.waitForSelector('#outcome-result'), page.click('#outcome-submit')]);
    const result = await page.textContent('#outcome-result');
    expect(result).toContain('5 行を記録しました');
    expect(result).toContain('outcome.invalid');
    await shot(page, 'member-outcome-result-ja');
    await page.click('#lang-switch');
    await page.waitForFunction("document.documentElement.lang === 'en'");
    expect(await page.textContent('main')).toContain('Report outcomes');
    await shot(page, 'member-batch-en');
    await page.goto(`${base}/batches`);
    expect(await page.textContent('main')).toContain('Our figures');
    await shot(page, 'member-batches-en');
    const rows = (await w.ctx.pool.query(`SELECT count(*)::int AS n FROM outcomes WHERE batch_id = $1`, [id])).rows[0].n;
    expect(rows).toBe(5);
    await page.context().close();
  });

  it("a member cannot open another member's batch URL", async () => {
    const page = await signIn(w.users.memberA.email, 'en-US');
    for (const url of [
      `/batches/${w.batches.b[0]}`,
      `/batches/${w.batches.b[0]}/download?format=csv`,
      `/api/v1/batches/${w.batches.b[0]}`,
    ]) {
      const res = await page.goto(`${base}${url}`);
      expect({ url, status: res!.status() }).toEqual({ url, status: 404 });
    }
    expect(await page.textContent('body')).not.toContain('isp-b');
    await page.goto(`${base}/batches/${w.batches.b[0]}`);
    expect(await page.textContent('main')).toContain('Not found');
    await shot(page, 'member-other-batch-404-en');
    await page.context().close();
  });

  it('a source sees its lists and returned entries', async () => {
    const page = await signIn(w.users.sourceA.email, 'ja-JP');
    expect(new URL(page.url()).pathname).toBe('/lists');
    expect(await page.textContent('main')).not.toContain('police-list.csv');
    await page.goto(`${base}/lists/${w.lists.a}`);
    expect(await page.textContent('main')).toContain('150.0.1.9');
    await shot(page, 'source-list-ja');
    await page.context().close();
  });
});
