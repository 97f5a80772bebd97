/** Debian's Chromium driven by playwright-core, with a fresh profile per run. */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../screenshots');

export interface BrowserSession { context: BrowserContext; page: Page; close(): Promise<void> }

export async function openBrowser(): Promise<BrowserSession> {
  const profile = mkdtempSync(path.join(tmpdir(), 'tm-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    context, page,
    async close() { await context.close(); rmSync(profile, { recursive: true, force: true }); },
  };
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The README's screenshots: what shows without scrolling at 800×600 and 1280×800, into docs/screenshots/. */
export const DOC_SHOTS = path.resolve(import.meta.dirname, '../../../docs/screenshots');
export async function docShots(page: Page, name: string): Promise<void> {
  const before = page.viewportSize();
  mkdirSync(DOC_SHOTS, { recursive: true });
  for (const [w, h] of [[800, 600], [1280, 800]] as const) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(DOC_SHOTS, `${name}-${w}x${h}.png`) });
  }
  if (before) await page.setViewportSize(before);
}
