import { chromium, type Browser, type Page } from 'playwright-core';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** Debian's Chromium, headless, fetching nothing of its own. */
export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });

/** A fresh browser context in a locale (its Accept-Language picks the portal's language), signed in. */
export async function signInAs(browser: Browser, base: string, email: string, password: string, locale: 'ja-JP' | 'en-US'): Promise<Page> {
  const context = await browser.newContext({ locale, acceptDownloads: true, viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin')), page.click('#signin-submit')]);
  return page;
}
