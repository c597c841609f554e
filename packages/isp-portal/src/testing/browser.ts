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
