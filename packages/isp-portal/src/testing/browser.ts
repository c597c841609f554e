import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium as the browser tests launch it. */
export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/** Debian's Chromium, headless, fetching nothing of its own. */
export const launchChromium = (): Promise<Browser> => chromium.launch(CHROMIUM);

/** A new browser context (its own cookies) signed in through the sign-in form. */
export async function signInAs(
  browser: Browser,
  base: string,
  email: string,
  password: string,
  o: { locale: 'ja-JP' | 'en-US'; width?: number; downloads?: boolean },
): Promise<Page> {
  const context = await browser.newContext({
    locale: o.locale,
    acceptDownloads: o.downloads ?? false,
    viewport: { width: o.width ?? 1280, height: 860 },
  });
  const page = await context.newPage();
  await page.goto(`${base}/signin`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin')), page.click('#signin-submit')]);
  return page;
}

/**
 * Saves a page reached by GET as `<name>-<lang>.png` in the language it shows, then in the other
 * (through the language link, which sets the preference and comes back to the same URL), and
 * switches back, so every journey keeps its screenshots in Japanese and English.
 */
export async function shotBoth(page: Page, dir: string, name: string): Promise<void> {
  const lang = await page.locator('html').getAttribute('lang');
  const other = lang === 'ja' ? 'en' : 'ja';
  const here = new URL(page.url());
  const back = encodeURIComponent(here.pathname + here.search);
  await page.screenshot({ path: path.join(dir, `${name}-${lang}.png`), fullPage: true });
  const r = await page.goto(new URL(`/lang/${other}?back=${back}`, here).href);
  if (r?.status() !== 200)
    throw new Error(`shotBoth(${name}): ${here.pathname} answers ${r?.status()} by GET; take it from a page reached by GET`);
  await page.screenshot({ path: path.join(dir, `${name}-${other}.png`), fullPage: true });
  await page.goto(new URL(`/lang/${lang}?back=${back}`, here).href);
}
