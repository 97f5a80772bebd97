/**
 * End to end: the renderer in Debian's Chromium (playwright-core) against the real `tenant-mirror serve`
 * (engine in its child process), the real stack (Kafka + Debezium MariaDB connector) and a SQLite replica.
 * Completes the wizard, watches the tables fill, sees a source change arrive, resyncs one table, and
 * after a purge while offline sees the stale banner and recovers with it. Checks the figures: a resync's
 * percentage rises, paused reads 0 events/s, partition lag is never negative, and a reload keeps the
 * engine's activity log.
 * Screenshots of each step go to test/e2e/screenshots/ (git-ignored).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { getSharedStack, stopStack } from '../harness/stack.ts';
import type { Stack } from '../harness/stack.ts';
import type { Tenant } from '../harness/tenant.ts';
import { docShots, openBrowser, shot } from './support/browser.ts';
import type { BrowserSession } from './support/browser.ts';
import { startServeProcess } from './support/serve-process.ts';
import type { ServeProcess } from './support/serve-process.ts';

/** The little of the DOM the page-side predicate uses (this file is type-checked without the DOM lib). */
interface El { textContent: string | null; querySelector(selector: string): El | null; getAttribute(name: string): string | null }
interface Doc { querySelector(selector: string): El | null }
interface Win { document: Doc; requestAnimationFrame(cb: () => void): void; __pcts?: number[]; __watching?: boolean }

const ROOT = path.resolve(import.meta.dirname, '../..');
const LONG = { timeout: 420_000 };

describe('the UI against tenant-mirror serve and the real stack', { timeout: 1_200_000 }, () => {
  let stack: Stack;
  let tenant: Tenant;
  let dir = '';
  let ui = '';
  let config = '';
  let serve: ServeProcess | null = null;
  let browser: BrowserSession;
  let page: Page;
  let tableCount = 0;
  let contactId = '';

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tm-ui-e2e-'));
    ui = path.join(dir, 'ui');
    config = path.join(dir, 'tenant-mirror.json');
    // The standalone renderer build, exactly what `serve` serves from out/renderer.
    await build({ configFile: path.join(ROOT, 'renderer/vite.config.ts'), logLevel: 'warn', build: { outDir: ui, emptyOutDir: true } });
    stack = await getSharedStack();
    // A bigger contact table, so that its resync lasts long enough to be seen.
    tenant = await stack.createTenant({ seedRows: { contact: 12_000, person: 800, appointment: 600, project: 100, sale: 300, document: 300 } });
    tableCount = (await tenant.source.tables()).length;
    serve = await startServeProcess({ config, staticDir: ui });
    browser = await openBrowser();
    page = browser.page;
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
  }, { timeout: 600_000 });

  after(async () => {
    await browser?.close().catch(() => {});
    await serve?.stop().catch(() => {});
    await tenant?.stop().catch(() => {});
    await stopStack().catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, { timeout: 120_000 });

  const okCount = async (): Promise<[number, number]> => {
    const m = /(\d+) of (\d+) tables/.exec((await page.getByTestId('table-count').textContent()) ?? '');
    return m ? [Number(m[1]), Number(m[2])] : [0, 0];
  };
  /** Waits until the table list shows every source table in state OK. */
  async function waitAllOk(timeoutMs = 150_000): Promise<void> {
    await page.getByLabel('Show tables in state').selectOption('ok');
    try {
      await waitFor(async () => { const [ok, all] = await okCount(); return ok === tableCount && all === tableCount; }, timeoutMs, `${tableCount} tables OK`);
    } catch (err) {
      await page.getByLabel('Show tables in state').selectOption('all');
      await shot(page, 'failed-waiting-for-ok');
      const grid = await page.getByTestId('table-grid').innerText().catch(() => '');
      throw new Error(`${(err as Error).message}\n--- table list ---\n${grid}\n--- serve output (tail) ---\n${serve?.output().slice(-4000) ?? ''}`);
    }
    await page.getByLabel('Show tables in state').selectOption('all');
  }
  const row = (id: string) => page.locator(`[data-testid="table-row"][data-table="${id}"]`);
  const rowsCell = async (id: string): Promise<number> => Number(((await row(id).locator('[role="gridcell"]').nth(3).textContent()) ?? '').replace(/[^\d]/g, ''));

  it('completes the wizard with a SQLite replica and provisions', LONG, async () => {
    assert.ok(serve);
    await page.goto(serve.pageUrl);
    await page.getByRole('heading', { name: 'Tenant source' }).waitFor();
    // An empty tenant id is asked for; a wrong one is said to have no topics, at once (not after ~30 s of retries).
    await page.getByLabel('Brokers').fill(stack.brokers.join(', '));
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('enter the tenant id your provider gave you').waitFor({ timeout: 5000 });
    await page.getByLabel('Tenant id').fill(`${tenant.ctx}x`);
    const asked = Date.now();
    await page.getByRole('button', { name: 'Test connection' }).click();
    const wrong = page.getByTestId('check-report');
    await wrong.getByText(`${tenant.ctx}x-cdc`).first().waitFor({ timeout: 15_000 });
    assert.equal(await wrong.getAttribute('data-ok'), 'false');
    assert.match(await wrong.innerText(), /(does|do) not exist/);
    assert.ok(Date.now() - asked < 15_000, `answered in ${Date.now() - asked} ms`);
    await page.getByLabel('Tenant id').fill(tenant.ctx);
    await page.getByRole('button', { name: 'Test connection' }).click();
    const tenantCheck = page.getByTestId('check-report');
    await tenantCheck.getByText(`${tenant.ctx}-cdc:`).waitFor({ timeout: 60_000 });
    assert.equal(await tenantCheck.getAttribute('data-ok'), 'true', await tenantCheck.innerText());
    await shot(page, '01-wizard-tenant');
    await docShots(page, 'wizard');
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { name: 'Replica database' }).waitFor();
    assert.ok(await page.getByRole('radio', { name: /SQLite/ }).isChecked(), 'SQLite is the default');
    await page.getByLabel('Database file').fill(path.join(dir, 'replica.sqlite'));
    await page.getByRole('button', { name: 'Test replica and rights' }).click();
    const replicaCheck = page.getByTestId('check-report');
    await replicaCheck.waitFor({ timeout: 30_000 });
    assert.equal(await replicaCheck.getAttribute('data-ok'), 'true', await replicaCheck.innerText());
    await shot(page, '02-wizard-replica');

    // Back keeps the input.
    await page.getByRole('button', { name: 'Back' }).click();
    assert.equal(await page.getByLabel('Tenant id').inputValue(), tenant.ctx);
    await page.getByRole('button', { name: 'Next' }).click();
    assert.equal(await page.getByLabel('Database file').inputValue(), path.join(dir, 'replica.sqlite'));
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { name: 'Tables' }).waitFor();
    await page.getByTestId('tables-chosen').waitFor({ timeout: 60_000 });
    const chosen = (await page.getByTestId('tables-chosen').textContent()) ?? '';
    assert.match(chosen, new RegExp(`${tableCount} of \\d+ tables`), chosen);
    await shot(page, '03-wizard-tables');
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { name: 'Provision' }).waitFor();
    await page.getByRole('button', { name: 'Start provisioning' }).click();
    await page.getByTestId('provision-progress').waitFor({ timeout: 60_000 });
    await page.getByRole('progressbar', { name: 'Initial snapshot, all tables' }).waitFor();
    await page.getByText(/[1-9]\d* of \d+ tables copied/).waitFor({ timeout: 120_000 });
    await shot(page, '04-wizard-provision');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { name: 'Done' }).waitFor();
    await shot(page, '05-wizard-done');
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
  });

  it('watches the tables fill', LONG, async () => {
    await page.getByRole('heading', { name: 'Tables' }).waitFor();
    await waitAllOk();
    contactId = (await page.locator('[data-testid="table-row"][data-table$=".contact"]').first().getAttribute('data-table')) ?? '';
    assert.ok(contactId, 'the contact table is listed');
    const expected = await tenant.source.count('contact');
    await waitFor(async () => (await rowsCell(contactId)) === expected, 60_000, `contact shows ${expected} rows`);
    await page.waitForTimeout(2500); // a couple of lag samples for the sparkline
    await shot(page, '06-dashboard');
    await docShots(page, 'dashboard');
    const lags = await page.getByTestId('partition-lag').allTextContents();
    assert.ok(lags.length > 0 && lags.every((t) => !t.includes('-')), `partition lag never negative: ${lags.join(' | ')}`);
  });

  it('shows a change made at the source', LONG, async () => {
    const before = await tenant.source.count('contact');
    await tenant.source.workload({ ops: 25, tables: ['contact'], mix: { insert: 1 } });
    const after = await tenant.source.count('contact');
    assert.ok(after > before);
    await waitFor(async () => (await rowsCell(contactId)) === after, 60_000, `contact shows ${after} rows`);
    await page.getByTestId('activity-log').getByText(/Applied \d+ events? to .*contact/).first().waitFor({ timeout: 10_000 });
  });

  it('resyncs one table from its details and shows its progress', LONG, async () => {
    await row(contactId).click();
    const details = page.getByTestId('table-details');
    await details.waitFor();
    // Watch for the resync from the page itself, so a quick one is not missed between polls.
    const sawResync = page.waitForFunction(() => {
      const d = (globalThis as unknown as { document: Doc }).document.querySelector('[data-testid="table-details"]');
      return d !== null && (/resyncing|snapshotting/.test(d.querySelector('[data-testid="details-state"]')?.textContent ?? '') || d.querySelector('[role="progressbar"]') !== null);
    }, null, { timeout: 60_000, polling: 'raf' });
    // Every percentage the details' progress bar shows, recorded frame by frame in the page.
    await page.evaluate(() => {
      const w = globalThis as unknown as Win;
      w.__pcts = [];
      w.__watching = true;
      const look = (): void => {
        const v = w.document.querySelector('[data-testid="table-details"] [role="progressbar"]')?.getAttribute('aria-valuenow');
        if (v !== null && v !== undefined && w.__pcts!.at(-1) !== Number(v)) w.__pcts!.push(Number(v));
        if (w.__watching) w.requestAnimationFrame(look);
      };
      look();
    });
    await details.getByRole('button', { name: 'Resync this table' }).click();
    await page.getByText('Resync requested for 1 table.').waitFor({ timeout: 10_000 });
    await sawResync;
    await shot(page, '07-resync-progress');
    // The README's picture of a resync under way: once its percentage has left 0.
    await page.locator('[data-testid="table-details"] [role="progressbar"][aria-valuenow]:not([aria-valuenow="0"])').waitFor({ timeout: 60_000 })
      .then(() => docShots(page, 'resync-in-progress')).catch(() => undefined);
    await page.getByTestId('details-state').getByText('ok', { exact: true }).waitFor({ timeout: 300_000 });
    const pcts = await page.evaluate(() => { const w = globalThis as unknown as Win; w.__watching = false; return w.__pcts ?? []; });
    assert.ok(pcts.length >= 2, `a rising percentage was shown (saw ${JSON.stringify(pcts)})`);
    assert.ok(pcts.every((v, i) => i === 0 || v > pcts[i - 1]!), `the percentage only rises: ${JSON.stringify(pcts)}`);
    assert.ok(pcts.every((v) => v >= 0 && v <= 100), JSON.stringify(pcts));
    assert.equal(await rowsCell(contactId), await tenant.source.count('contact'));
    // The notice goes once the table reported back; the engine's log says what the resync did.
    await page.getByTestId('resync-notice').waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByTestId('activity-log').getByText(/Resync of .*contact completed in \d+ s: [\d,]+ snapshot rows? applied/).waitFor({ timeout: 30_000 });
    await docShots(page, 'table-details');
    await details.getByRole('button', { name: 'Close' }).click();
  });

  it('paused shows 0 events/s; resumed, it applies again', LONG, async () => {
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByTestId('engine-state').getByText('paused', { exact: true }).waitFor({ timeout: 30_000 });
    await page.getByTestId('throughput').getByText('0.0 events/s').waitFor({ timeout: 10_000 });
    await tenant.source.workload({ ops: 10, tables: ['contact'], mix: { insert: 1 } });
    await page.waitForTimeout(3000);
    assert.equal(await page.getByTestId('throughput').textContent(), '0.0 events/s', 'still 0 while paused, with events waiting');
    await page.getByRole('button', { name: 'Resume' }).click();
    const expected = await tenant.source.count('contact');
    await waitFor(async () => (await rowsCell(contactId)) === expected, 90_000, `contact shows ${expected} rows after resume`);
  });

  it('a reload keeps the activity log the engine kept', LONG, async () => {
    const log = page.getByTestId('activity-log');
    await log.getByText(/^Paused/).first().waitFor({ timeout: 10_000 });
    await page.reload();
    await page.getByRole('heading', { name: 'Tables' }).waitFor({ timeout: 60_000 });
    await log.getByText(/Resync requested for 1 table: .*contact/).first().waitFor({ timeout: 20_000 });
    await log.getByText(/Resync of .*contact completed/).first().waitFor({ timeout: 10_000 });
    await log.getByText(/^Paused/).first().waitFor({ timeout: 10_000 });
    await log.getByText(/^Resumed/).first().waitFor({ timeout: 10_000 });
  });

  it('the header names the replica in use; Settings is its own page with the tuning keys', LONG, async () => {
    assert.match((await page.getByTestId('replica-in-use').textContent()) ?? '', /^SQLite .*replica\.sqlite$/);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Tenant source' }).waitFor();
    assert.equal(await page.getByLabel('Tenant id').inputValue(), tenant.ctx);
    await page.getByRole('button', { name: 'Tuning' }).click();
    assert.equal(await page.getByLabel('Schema check interval (s)').inputValue(), '3600');
    await docShots(page, 'settings');
    await page.getByRole('button', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { name: 'Tables' }).waitFor();
  });

  it('after a purge while offline shows the stale banner, and "Resync affected tables" recovers', LONG, async () => {
    assert.ok(serve);
    await serve.stop();
    serve = null;
    // Keep the tables stale until the user acts (the setting the CLI's config file carries).
    const settings = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    writeFileSync(config, JSON.stringify({ ...settings, autoResyncOnGap: false }, null, 2));
    await tenant.source.workload({ ops: 200 });
    await new Promise((r) => setTimeout(r, 2000));
    const purged = await tenant.purge();
    assert.ok(purged.every((p) => p.low === p.high), 'every record purged');

    serve = await startServeProcess({ config, staticDir: ui });
    await page.goto(serve.pageUrl);
    const banner = page.getByTestId('stale-banner');
    await banner.waitFor({ timeout: 120_000 });
    assert.match(await banner.innerText(), /tables? (is|are) stale/);
    await page.waitForTimeout(1000);
    await shot(page, '08-stale-banner');
    await docShots(page, 'stale-banner');
    await banner.getByRole('button', { name: 'Resync affected tables' }).click();
    await page.getByText(/Resync requested for \d+ tables?\./).waitFor({ timeout: 10_000 });
    await banner.waitFor({ state: 'detached', timeout: 180_000 });
    await waitAllOk();
    const [ok, all] = await okCount();
    assert.equal(all, tableCount);
    assert.equal(ok, tableCount);
    await shot(page, '09-recovered');

    await page.getByRole('button', { name: /^Theme:/ }).click();
    await page.getByRole('button', { name: /^Theme:/ }).click();
    assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
    await shot(page, '10-dashboard-dark');
    await docShots(page, 'dashboard-dark');
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}
