import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/**
 * Prints an HTML page to an A4 PDF with Chromium (the same engine people print from, so the
 * PDF looks like the page). A fresh profile per call; nothing is fetched from the network.
 */
export async function renderPdf(html: string, opts: { executablePath?: string } = {}): Promise<Buffer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-pdf-'));
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: opts.executablePath ?? CHROMIUM_PATH, headless: true, args: ARGS, offline: true });
  try {
    const page = await ctx.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
