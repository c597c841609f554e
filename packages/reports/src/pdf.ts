import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Prints an HTML page to an A4 PDF with Chromium (the same engine people print from, so the
 * PDF looks like the page). A fresh profile per call; nothing is fetched from the network.
 */
export async function renderPdf(
  html: string,
  opts: { executablePath?: string; /** printed at the top of every page (Chromium header template) */ pageHeader?: string } = {},
): Promise<Buffer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-pdf-'));
  // loaded here, not at the top: every process imports this package, and few of them print
  const { chromium } = await import('playwright-core');
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: opts.executablePath ?? CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    offline: true,
  });
  try {
    const page = await ctx.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    if (!opts.pageHeader) return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    return await page.pdf({
      format: 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      margin: { top: '16mm', bottom: '14mm', left: '12mm', right: '12mm' },
      headerTemplate: `<div style="width:100%;font-size:9px;padding:0 12mm;text-align:right;-webkit-print-color-adjust:exact">${opts.pageHeader}</div>`,
      footerTemplate: `<div style="width:100%;font-size:8px;padding:0 12mm;text-align:right;color:#555"><span class="pageNumber"></span> / <span class="totalPages"></span></div>`,
    });
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
