import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { parse } from 'csv-parse/sync';
import { csvLine, repoRoot } from '@deliveryline/shared';
import { asPortal, testCoordinator } from '@deliveryline/shared/testing';
import { encodeCsv, decodeTextFile, startIngestWorker } from '@deliveryline/ingest';
import { startRouterWorker, type Mailer } from '@deliveryline/router';
import { buildServer } from './server';
import { buildWorld, PASSWORD, waitReleased, type World } from './testing/portal-world';
import { listen } from './testing/http-client';
import { launchChromium, shotBoth, signInAs } from './testing/browser';

/**
 * The Japanese coordinator's and the ISP abuse desk's data journeys, end to end in Chromium:
 * time zones where users are, outcome files as Excel makes them, downloads for Excel.
 * Screenshots (both languages) go to test-artifacts/screenshots/journeys/.
 */
const mailer: Mailer = { send: async () => ({ messageId: 'x', response: '250 ok' }), close: () => undefined };
const SHOTS = path.join(repoRoot(), 'test-artifacts', 'screenshots', 'journeys');
const run = promisify(execFile);
const LANGS = [
  ['ja', 'ja-JP'],
  ['en', 'en-US'],
] as const;

async function sjis(lines: string[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of encodeCsv([lines.join('\r\n') + '\r\n'], 'sjis')) parts.push(b);
  return Buffer.concat(parts);
}

/** A time a person in Japan types: 2026/12/5 9:07 (JST, no offset), and the instant it means. */
function jstTyped(ms: number): { text: string; at: Date } {
  const j = new Date(Math.floor(ms / 60_000) * 60_000 + 9 * 3_600_000);
  return {
    text: `${j.getUTCFullYear()}/${j.getUTCMonth() + 1}/${j.getUTCDate()} ${j.getUTCHours()}:${String(j.getUTCMinutes()).padStart(2, '0')}`,
    at: new Date(j.getTime() - 9 * 3_600_000),
  };
}

describe('data journeys in a browser', () => {
  let w: World;
  let server: FastifyInstance;
  let base: string;
  let browser: Browser;
  let token: string;
  const dline = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'packages/cli/src/dline.ts'), ...args], {
      env: {
        ...process.env,
        DATABASE_URL: w.ctx.databaseUrl,
        QUEUE_PREFIX: w.ctx.queues.prefix,
        REDIS_URL: w.ctx.env.REDIS_URL,
        LOG_LEVEL: 'silent',
        DATA_DIR: w.ctx.env.dataDir,
        DLINE_TOKEN: token,
      },
    });

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    w = await buildWorld((ctx) => [...startIngestWorker(ctx), ...startRouterWorker(ctx, { mailer, reminderEveryMs: 0 })]);
    token = (await testCoordinator(w.ctx.pool)).token;
    server = await buildServer(asPortal(w.ctx), {
      settings: { requireTotp: false, cookieSecure: false, sessionHours: 1, signinPerMinute: 100 },
    });
    base = (await listen(server)).base;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await w?.close();
  });

  const signIn = (email: string, locale: 'ja-JP' | 'en-US') => signInAs(browser, base, email, PASSWORD, { locale, downloads: true });
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const listOf = async (campaign: string) =>
    (await w.ctx.pool.query(`SELECT * FROM lists WHERE campaign_id = $1 ORDER BY id DESC LIMIT 1`, [campaign])).rows[0];
  const download = async (page: Page, selector: string) => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
    return fs.readFileSync((await dl.path())!);
  };

  it('dline sources set jpcert --timezone Asia/Tokyo, then a naive-JST Shift_JIS list uploaded in the portal gives exact counts and UTC times', async () => {
    const set = await dline('sources', 'set', 'jpcert', '--timezone', 'Asia/Tokyo', '--name', 'JPCERT/CC', '--kind', 'jpcert');
    expect(set.stderr).toContain('source jpcert (JPCERT/CC): time zone Asia/Tokyo');
    const listed = JSON.parse((await dline('sources', '--json')).stdout);
    expect(listed.find((s: { id: string }) => s.id === 'jpcert')).toMatchObject({
      timezone: 'Asia/Tokyo',
      kind: 'jpcert',
      name: 'JPCERT/CC',
    });
    const file = path.join(w.dir, 'jpcert-観測.csv');
    fs.writeFileSync(
      file,
      await sjis([
        'IPアドレス,観測日時,ポート,マルウェア名',
        '101.0.50.1,2026/11/20 10:15:30,80,ゲームオーバーゼウス', // isp-a, 01:15:30Z
        '102.0.50.2,2026/11/20 9:05,8080,ゲームオーバーゼウス', // isp-b, 00:05:00Z
        '150.0.50.3,2026/11/21 0:00:00,,ゲームオーバーゼウス', // no member: returned, 2026-11-20T15:00:00Z
        '101.0.50.4,2099/01/01 00:00:00,80,ゲームオーバーゼウス', // a typo'd year: a reject, not a failed list
        '192.168.001.5,2026/11/20 10:15:30,80,ゲームオーバーゼウス', // leading zero: a reject
      ]),
    );
    for (const [lang, locale] of LANGS) {
      const page = await signIn(w.users.coordinator.email, locale);
      await page.goto(`${base}/sources`);
      expect(await page.inputValue('#source-jpcert input[name=timezone]')).toBe('Asia/Tokyo');
      await shot(page, `sources-${lang}`);
      await page.goto(`${base}/upload`);
      await page.setInputFiles('input[name=file]', file);
      await page.fill('input[name=campaign]', `jst-${lang}`);
      await page.fill('input[name=source]', 'jpcert');
      await page.fill('input[name=round]', '1');
      // the time zone stays on "the file's offsets / the source's default": jpcert's Asia/Tokyo reads it
      await page.click('#upload-submit');
      await page.waitForSelector('.steps li[data-step=release].done', { timeout: 90_000 });
      await shot(page, `upload-jst-${lang}`);
      const l = await listOf(`jst-${lang}`);
      expect([l.state, l.rows_read, l.received, l.rejected, l.duplicates, l.delivered, l.returned]).toEqual(['released', 5, 3, 2, 0, 2, 1]);
      const entries = (
        await w.ctx.pool.query(`SELECT host(ip) AS ip, observed_at, malware FROM entries WHERE list_id = $1 ORDER BY row_no`, [l.id])
      ).rows;
      expect(entries.map((e) => [e.ip, (e.observed_at as Date).toISOString(), e.malware])).toEqual([
        ['101.0.50.1', '2026-11-20T01:15:30.000Z', 'ゲームオーバーゼウス'],
        ['102.0.50.2', '2026-11-20T00:05:00.000Z', 'ゲームオーバーゼウス'],
        ['150.0.50.3', '2026-11-20T15:00:00.000Z', 'ゲームオーバーゼウス'],
      ]);
      await page.click('#list-link');
      await page.waitForSelector('#download-returned-sjis');
      const main = await page.textContent('main');
      // the reject quotes the file's own text, not a converted instant
      expect(main).toContain('"2099/01/01 00:00:00"');
      expect(main).not.toContain('2098-12-31');
      await shot(page, `list-jst-${lang}`);
      if (lang === 'ja') {
        // the source gets its returned entries back as it sent them: Shift_JIS, its own columns
        const back = await download(page, '#download-returned-sjis');
        const text = (await decodeTextFile(back, 'cp932')).text;
        expect(text.split('\r\n')[0]).toBe('IPアドレス,観測日時,ポート,マルウェア名,return_reason');
        expect(text).toContain('150.0.50.3,2026/11/21 0:00:00,,ゲームオーバーゼウス,no_member');
        const excel = await download(page, '#download-rejects-excel');
        expect(excel.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
        expect(excel.toString('utf8')).toContain('time.future');
      }
      await page.context().close();
    }
  }, 240_000);

  it("a list none of whose rows can be read says, in the user's language, to choose a time zone; the form keeps its choices and JST takes it", async () => {
    const file = path.join(w.dir, 'police-naive.csv');
    fs.writeFileSync(file, await sjis(['IPアドレス,観測日時,ポート', '101.0.60.1,2026/11/22 8:00,443', '102.0.60.2,2026/11/22 8:30,443']));
    for (const [lang, locale] of LANGS) {
      const page = await signIn(w.users.coordinator.email, locale);
      await page.goto(`${base}/upload`);
      await page.setInputFiles('input[name=file]', file);
      await page.fill('input[name=campaign]', `naive-${lang}`);
      await page.fill('input[name=source]', 'police'); // no default time zone
      await page.fill('input[name=round]', '2');
      await page.selectOption('select[name=tlp]', 'green');
      await page.click('#upload-submit');
      await page.waitForSelector('#upload-failure', { timeout: 60_000 });
      const says = await page.textContent('#upload-failure');
      expect(says).toContain(lang === 'ja' ? '「タイムゾーン」で「日本時間（JST）」' : 'choosing the time zone');
      expect([
        await page.inputValue('input[name=campaign]'),
        await page.inputValue('input[name=source]'),
        await page.inputValue('input[name=round]'),
        await page.inputValue('select[name=tlp]'),
      ]).toEqual([`naive-${lang}`, 'police', '2', 'green']);
      await shot(page, `upload-naive-failed-${lang}`);
      await page.selectOption('select[name=timezone]', 'Asia/Tokyo');
      await page.click('#upload-submit');
      await page.waitForSelector('.steps li[data-step=release].done', { timeout: 90_000 });
      await shot(page, `upload-naive-jst-${lang}`);
      const l = await listOf(`naive-${lang}`);
      expect([l.state, l.timezone, l.received, l.rejected]).toEqual(['released', 'Asia/Tokyo', 2, 0]);
      const times = (await w.ctx.pool.query(`SELECT observed_at FROM entries WHERE list_id = $1 ORDER BY row_no`, [l.id])).rows.map((e) =>
        (e.observed_at as Date).toISOString(),
      );
      expect(times).toEqual(['2026-11-21T23:00:00.000Z', '2026-11-21T23:30:00.000Z']);
      await page.context().close();
    }
  }, 240_000);

  it('an outcome file filled in part and saved by Excel as Shift_JIS is stored exactly, Japanese notes included, through the portal and through the API', async () => {
    const id = w.batches.a[0];
    const page = await signIn(w.users.memberA.email, 'ja-JP');
    await page.goto(`${base}/batches/${id}`);
    await shotBoth(page, SHOTS, 'member-batch');
    const excel = await download(page, '#download-excel');
    expect(excel.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows: string[][] = parse(excel, { bom: true });
    const head = rows[0];
    expect(head.slice(-4)).toEqual(['outcome', 'notified_at', 'channel', 'note']);
    expect(rows).toHaveLength(7);
    const col = (n: string) => head.indexOf(n);
    const when = jstTyped(Date.now() + 3_600_000);
    const notes = ['電話で注意喚起済み（契約者本人）', '書面を郵送しました', '"引用符",とカンマ', '該当する契約者なし'];
    // the first four filled, the last two left empty for later: Excel saves Shift_JIS
    const part = rows.map((r, i) => {
      if (i === 0 || i > 4) return r;
      const x = [...r];
      x[col('outcome')] = i === 4 ? 'not_identified' : 'notified';
      x[col('notified_at')] = i === 4 ? '' : when.text;
      x[col('channel')] = i === 4 ? '' : '電話';
      x[col('note')] = notes[i - 1];
      return x;
    });
    const file = path.join(w.dir, '対応結果.csv');
    fs.writeFileSync(file, Buffer.concat(await Promise.all(part.map((r) => sjis([csvLine(r).replace(/\r\n$/, '')])))));
    await page.setInputFiles('form[action$="/outcomes"] input[type=file]', file);
    await Promise.all([page.waitForSelector('#outcome-result'), page.click('#outcome-submit')]);
    const result = await page.textContent('#outcome-result');
    expect(result).toContain('4 行を記録しました');
    expect(result).toContain('outcome が空欄の 2 行は未報告として読み飛ばしました');
    expect(result).toContain('Shift_JIS');
    expect(result).not.toContain('記録されませんでした');
    await shot(page, 'member-outcome-part-ja');
    await page.goto(`${base}/batches/${id}`);
    await shotBoth(page, SHOTS, 'member-batch-reported');
    const stored = async () =>
      (
        await w.ctx.pool.query(
          `SELECT be.ref, o.outcome, o.notified_at, o.channel, o.note FROM outcomes o JOIN batch_entries be ON be.entry_id = o.entry_id AND be.batch_id = o.batch_id
        WHERE o.batch_id = $1 ORDER BY o.id`,
          [id],
        )
      ).rows.map((o) => [o.ref, o.outcome, o.notified_at?.toISOString() ?? null, o.channel, o.note]);
    expect(await stored()).toEqual(
      part.slice(1, 5).map((r, i) => [r[0], r[col('outcome')], i === 3 ? null : when.at.toISOString(), i === 3 ? null : '電話', notes[i]]),
    );

    // the rest through the API: a fresh download carries what was reported; the member fills the two left, saves Shift_JIS, posts the bytes
    const token = { authorization: `Bearer ${w.users.memberA.token}` };
    const again: string[][] = parse(await (await fetch(`${base}/api/v1/batches/${id}/download?format=csv`, { headers: token })).text());
    expect(again.slice(1, 5).map((r) => [r[col('outcome')], r[col('channel')], r[col('note')]])).toEqual(
      part.slice(1, 5).map((r) => [r[col('outcome')], r[col('channel')], r[col('note')]]),
    );
    const rest = again.map((r, i) => (i < 5 ? r : [...r.slice(0, col('outcome')), 'declined', '', 'メール', `解約済み（${i}）`]));
    const body = await sjis(rest.map((r) => csvLine(r).replace(/\r\n$/, '')));
    const api = await fetch(`${base}/api/v1/batches/${id}/outcomes`, {
      method: 'POST',
      headers: { ...token, 'content-type': 'text/csv' },
      body,
    });
    expect(api.status).toBe(200);
    expect(await api.json()).toMatchObject({
      rows: 6,
      stored: 2,
      unchanged: 4,
      skipped: 0,
      rejected: [],
      batchClosed: true,
      encoding: 'cp932',
    });
    const all = await stored();
    expect(all).toHaveLength(6);
    expect(all.slice(4).map((o) => [o[1], o[3], o[4]])).toEqual([
      ['declined', 'メール', '解約済み（5）'],
      ['declined', 'メール', '解約済み（6）'],
    ]);

    // bytes that are text in no encoding are refused whole, by multipart too; nothing is stored
    const form = new FormData();
    form.append(
      'file',
      new Blob([
        Buffer.concat([
          Buffer.from('entry_id,outcome,note\r\n'),
          Buffer.from(`${rows[5][0]},notified,`),
          Buffer.from([0x81, 0x20, 0xff, 0xfe, 0x0d, 0x0a]),
        ]),
      ]),
      'broken.csv',
    );
    const broken = await fetch(`${base}/api/v1/batches/${id}/outcomes`, {
      method: 'POST',
      headers: { ...token, 'accept-language': 'en' },
      body: form,
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: unknown }).error).toMatchObject({
      code: 'outcomes.undecodable',
      message: expect.stringContaining('line 2'),
    });
    expect(await stored()).toHaveLength(6);
    await page.context().close();
  }, 240_000);

  it('a file with many problems shows a screenful of them with every one downloadable, and refuses a notified_at before the release', async () => {
    const id = w.batches.a[1] ?? w.batches.a[0];
    const ref = (await w.ctx.pool.query(`SELECT ref FROM batch_entries WHERE batch_id = $1 ORDER BY seq LIMIT 1`, [id])).rows[0].ref;
    const lines = ['entry_id,outcome,notified_at,note', `${ref},notified,2020/01/01 10:00,早すぎる日付`];
    for (let i = 0; i < 30; i++) lines.push(`e${String(i).padStart(24, '0')},notified,,`);
    const file = path.join(w.dir, 'problems.csv');
    fs.writeFileSync(file, await sjis(lines));
    for (const [lang, locale] of LANGS) {
      const page = await signIn(w.users.memberA.email, locale);
      await page.goto(`${base}/batches/${id}`);
      await page.setInputFiles('form[action$="/outcomes"] input[type=file]', file);
      await Promise.all([page.waitForSelector('#outcome-result'), page.click('#outcome-submit')]);
      expect(await page.locator('#outcome-result tbody tr').count()).toBe(20);
      const text = await page.textContent('#outcome-result');
      expect(text).toContain('notified_at.before_release');
      expect(text).toContain('"2020/01/01 10:00"');
      expect(text).toContain(lang === 'ja' ? '31 行は記録されませんでした' : '31 rows were not stored');
      expect(text).toContain(lang === 'ja' ? '最初の 20 件を表示しています（全 31 件）' : 'Showing the first 20 of 31');
      await shot(page, `member-outcome-problems-${lang}`);
      const all = (await download(page, '#outcome-problems')).toString('utf8');
      expect(all.startsWith('\ufeffrow,field,code,message\r\n')).toBe(true);
      expect(parse(all, { bom: true, from_line: 2 })).toHaveLength(31);
      await page.context().close();
    }
    expect((await w.ctx.pool.query(`SELECT count(*)::int AS n FROM outcomes WHERE note = '早すぎる日付'`)).rows[0].n).toBe(0);
  }, 240_000);

  it('the campaign report counts a round delivered as two files once, in the page and the API', async () => {
    // round 3 of goz comes as two files (Shadowserver's event4 and event6 of one day)
    const ids: number[] = [];
    for (const [name, rows] of [
      ['2026-11-30-event4_sinkhole.csv', ['101.0.70.1', '150.0.70.2']],
      ['2026-11-30-event6_sinkhole.csv', ['102.0.70.3']],
    ] as const) {
      const f = path.join(w.dir, name);
      fs.writeFileSync(f, ['ip,timestamp,port,malware', ...rows.map((ip) => `${ip},2026-11-29T12:00:00Z,80,GOZ`)].join('\n') + '\n');
      const form = new FormData();
      for (const [k, v] of Object.entries({ campaign: 'goz', source: 'jpcert', round: '3' })) form.append(k, v);
      form.append('file', new Blob([fs.readFileSync(f)]), name);
      const r = await fetch(`${base}/api/v1/lists`, {
        method: 'POST',
        headers: { authorization: `Bearer ${w.users.coordinator.token}` },
        body: form,
      });
      expect(r.status).toBe(201);
      ids.push(((await r.json()) as { list: { id: number } }).list.id);
    }
    for (const l of ids) expect(await waitReleased(w.ctx, l)).toBe('released');
    const report = (await (
      await fetch(`${base}/api/v1/campaigns/goz/report`, { headers: { authorization: `Bearer ${w.users.coordinator.token}` } })
    ).json()) as { rounds: { round: number }[] };
    const round3 = report.rounds.filter((r: { round: number }) => r.round === 3);
    expect(round3).toHaveLength(1);
    expect(round3[0]).toMatchObject({ listIds: ids, received: 3, delivered: 2, returned: 1 });
    for (const [lang, locale] of LANGS) {
      const page = await signIn(w.users.coordinator.email, locale);
      await page.goto(`${base}/campaigns/goz`);
      const heads = await page.locator('table.figures th').allTextContents();
      expect(heads.filter((h) => h.trim() === (lang === 'ja' ? '第3回' : 'round 3'))).toHaveLength(1);
      await shot(page, `campaign-rounds-${lang}`);
      await page.context().close();
    }
  }, 240_000);
});
