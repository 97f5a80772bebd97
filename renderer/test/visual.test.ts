/**
 * Renders the dashboard from constructed DTOs and saves screenshots (light and dark) into the
 * git-ignored test/e2e/screenshots/ for a look by eye. Runs only with VITE_VISUAL=1.
 */
import { test } from 'vitest';
import { page } from 'vitest/browser';
import App from '../src/App.svelte';
import type { AppInfo } from '../../preload/contract/api.ts';
import { engineStatus, manyTables, tableStatus } from './support/dto.ts';
import { createTestApi, ok } from './support/fake-api.ts';
import { render } from './support/render.ts';

const INFO: AppInfo = { mode: 'serve', version: '0.1.0', autoStart: false, secretsEncrypted: false, configured: true };

test.runIf(import.meta.env['VITE_VISUAL'] === '1')('visual: dashboard with 450 tables, a stale gap and an error', async () => {
  const tables = manyTables(450);
  tables[4] = tableStatus(tables[4]!.id, { state: 'stale', staleReason: 'events purged before they were applied', rows: 1200 });
  tables[6] = tableStatus(tables[6]!.id, { state: 'halted', error: { code: 'DECODE_FAILED', message: 'unknown logical type io.x.Foo', retriable: false } });
  const status = engineStatus({
    tables,
    gaps: [{ topic: 'acme-cdc', partition: 1, fromOffset: '5120', toOffset: '9000', detectedAt: Date.now(), tables: [tables[4]!.id], resolved: false }],
    partitions: [0, 1, 2].map((p) => ({ topic: 'acme-cdc', partition: p, nextOffset: String(1000 + p * 7), high: String(1010 + p * 9), low: '0', lagEvents: 10 + p })),
  });
  const api = createTestApi({ 'app:info': () => ok(INFO), 'status:get': () => ok(status) });
  await page.viewport(1280, 1500);
  render(App, { api });
  for (const s of [0.4, 0.8, 2.5, 1.1, 0.6, 3.2, 1.4, 0.9, 0.7, 0.5]) api.emit('lag', { seconds: s, events: 12, at: Date.now() });
  api.emit('batch-applied', { events: 120, tables: ['crm.t001', 'crm.t002'], ms: 35, offsets: [] });
  api.emit('error', { error: { code: 'REPLICA_WRITE_FAILED', message: 'SQLITE_BUSY: database is locked', retriable: true }, table: null });
  await new Promise((r) => setTimeout(r, 200));
  await page.screenshot({ path: '../../test/e2e/screenshots/visual-dashboard.png', fullPage: true } as never);
  document.documentElement.dataset['theme'] = 'dark';
  await page.screenshot({ path: '../../test/e2e/screenshots/visual-dashboard-dark.png', fullPage: true } as never);
});
