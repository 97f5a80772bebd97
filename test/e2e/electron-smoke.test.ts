/**
 * Opt-in smoke test of the real desktop app through Playwright's `_electron`. Needs an Electron binary
 * (absent on offline machines: the test is skipped with the reason) and a build (`npm run build`).
 * It checks the window loads the renderer, `window.api` is the narrow bridge, a contract call answers
 * with coded data, and closing the window keeps the app alive in the tray.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from '../../scripts/start.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const electron = findElectronBinary();
const built = existsSync(path.join(root, 'out/main/index.js')) && existsSync(path.join(root, 'out/preload/index.cjs'));
const skip = !electron
  ? 'no Electron binary here (it is downloaded from GitHub on first use); set ELECTRON_EXEC_PATH or run `npx install-electron` on a networked machine'
  : !built ? 'no build in out/: run `npm run build` first' : false;

test('the desktop app starts, exposes only the contract bridge and stays in the tray when closed', { skip, timeout: 120_000 }, async () => {
  const { _electron } = await import('playwright-core');
  const userData = mkdtempSync(path.join(tmpdir(), 'tm-e2e-'));
  const app = await _electron.launch({
    executablePath: electron as string,
    args: [root, `--user-data-dir=${userData}`],
    env: { ...process.env, ELECTRON_ENABLE_LOGGING: '1' },
  });
  try {
    const win = await app.firstWindow();
    await win.waitForLoadState('domcontentloaded');
    assert.match(await win.title(), /Tenant Mirror/);
    const shape = await win.evaluate(() => ({
      keys: Object.keys((globalThis as unknown as { api: object }).api).sort(),
      ipc: typeof (globalThis as unknown as { ipcRenderer?: unknown }).ipcRenderer,
      require: typeof (globalThis as unknown as { require?: unknown }).require,
    }));
    assert.deepEqual(shape, { keys: ['on', 'request'], ipc: 'undefined', require: 'undefined' });
    const info = await win.evaluate(() => (globalThis as unknown as { api: { request(n: string, i?: unknown): Promise<unknown> } }).api.request('app:info'));
    assert.equal((info as { ok: boolean }).ok, true);
    const bad = await win.evaluate(() => (globalThis as unknown as { api: { request(n: string, i?: unknown): Promise<unknown> } }).api.request('tables:resync', { tables: [] }));
    assert.equal((bad as { ok: boolean; error: { code: string } }).error.code, 'BAD_REQUEST');

    await win.close();
    const alive = await app.evaluate(({ app: a, BrowserWindow }) => ({ ready: a.isReady(), windows: BrowserWindow.getAllWindows().length }));
    assert.equal(alive.ready, true);
  } finally {
    await app.evaluate(({ app: a }) => a.exit(0)).catch(() => {});
    await app.close().catch(() => {});
    rmSync(userData, { recursive: true, force: true });
  }
});
