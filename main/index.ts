/**
 * Composition root of the desktop app (Electron main). Wires: single-instance lock, settings +
 * safeStorage secrets, the engine in a utilityProcess, the IPC contract, tray, notifications,
 * auto-start. Everything with logic lives in tested modules; this file only connects them.
 */
import './no-timeout-negative-warning.ts';
import { app, ipcMain, safeStorage } from 'electron';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import type { AppView, PushName, Pushes } from '../preload/contract/api.ts';
import { pushChannel } from '../preload/contract/api.ts';
import type { Settings } from '../preload/contract/settings.ts';
import { APP_ID } from './app/app-id.ts';
import { createLoginItemAutoStart, createXdgAutoStart, HIDDEN_ARG } from './app/auto-start.ts';
import { openElectronSettingsStore } from './app/electron-settings-backend.ts';
import { forkUtilityEngine } from './app/engine-process.ts';
import { registerIpc } from './app/ipc-bridge.ts';
import { createMainWindow, showAndFocus, trustedLocations } from './app/main-window.ts';
import type { WindowPaths } from './app/main-window.ts';
import { createElectronNotifier } from './app/notifier-electron.ts';
import { wireNotifications } from './app/notifications.ts';
import { createNotifyThrottle } from './app/notify-throttle.ts';
import { createSafeStorageCipher } from './app/safe-storage-cipher.ts';
import { createSecretStore } from './app/settings/secret-store.ts';
import { createSettingsService } from './app/settings/settings-service.ts';
import { claimSingleInstance, viewFromArgv } from './app/single-instance.ts';
import { createAppTray } from './app/tray.ts';
import { staleTables } from './app/tray-menu.ts';
import type { TrayAction } from './app/tray-menu.ts';
import { createTrayStateMachine } from './app/tray-state.ts';
import { createEngineHost } from './host/engine-host.ts';
import { isTrustedSender } from './ipc/sender-check.ts';
import type { CallerInfo } from './ipc/sender-check.ts';

const here = path.dirname(fileURLToPath(import.meta.url)); // out/main
const resources = app.isPackaged ? process.resourcesPath : path.join(here, '../../build');
const paths: WindowPaths = {
  preload: path.join(here, '../preload/index.cjs'),
  rendererHtml: path.join(here, '../renderer/index.html'),
  devUrl: !app.isPackaged && process.env['ELECTRON_RENDERER_URL'] ? process.env['ELECTRON_RENDERER_URL'] : null,
  icon: path.join(resources, 'icons', '256x256.png'),
};

app.setAppUserModelId(APP_ID);
let quitting = false;
let win: Electron.BrowserWindow | null = null;
let pendingView: { view: AppView; table: string | null } | null = viewFromArgv(process.argv) ? { view: viewFromArgv(process.argv) as AppView, table: null } : null;

function push<K extends PushName>(name: K, payload: Pushes[K]): void {
  if (win && !win.isDestroyed()) win.webContents.send(pushChannel(name), payload);
}

function openView(view: AppView | null, table: string | null = null): void {
  if (!win || win.isDestroyed()) win = createMainWindow(paths, () => quitting, { show: true });
  showAndFocus(win);
  if (!view) return;
  if (win.webContents.isLoading()) {
    pendingView = { view, table };
    win.webContents.once('did-finish-load', () => { if (pendingView) push('navigate', pendingView); pendingView = null; });
  } else {
    push('navigate', { view, table });
  }
}

if (claimSingleInstance(app, (view) => openView(view))) {
  app.on('window-all-closed', () => { /* stay in the tray */ });
  app.on('before-quit', () => { quitting = true; });
  void app.whenReady().then(start);
}

async function start(): Promise<void> {
  const store = openElectronSettingsStore();
  const secrets = createSecretStore(createSafeStorageCipher(safeStorage, process.platform));
  const settings = createSettingsService(store, secrets);
  const autoStart = process.platform === 'linux'
    ? createXdgAutoStart(process.env['XDG_CONFIG_HOME'] ?? path.join(app.getPath('home'), '.config'), process.env['APPIMAGE'] ?? process.execPath)
    : createLoginItemAutoStart(app, process.execPath);
  const trusted = trustedLocations(paths);
  const host = await createEngineHost<CallerInfo>({
    identity: { mode: 'desktop', version: app.getVersion(), runtime: { electron: process.versions.electron } },
    settings,
    bundleSettings: () => settings.getPublic(),
    spawn: () => forkUtilityEngine(path.join(here, 'engine-child.js')),
    activityFile: path.join(app.getPath('userData'), 'logs', 'activity.log'),
    log: (line) => console.error(line),
    onEngineLog: (level, message) => { if (level !== 'debug') console.log(`[engine ${level}] ${message}`); },
    async setAutoStart(enabled) {
      const on = await autoStart.set(enabled);
      settings.setPrefs({ autoStart: on });
      return on;
    },
    async info() {
      return { mode: 'desktop', version: app.getVersion(), autoStart: await autoStart.get(), secretsEncrypted: await secrets.available(), configured: (await settings.getPublic()) !== null };
    },
    authorize: (caller) => isTrustedSender(caller, trusted),
    onInternalError: (name, err) => console.error(`${name} failed:`, err instanceof Error ? err.message : err),
  });
  const { slot, runner, activity } = host;
  app.on('will-quit', () => activity.flush());
  registerIpc(ipcMain, host.envelope, () => (win && !win.isDestroyed() ? win.webContents : null));
  host.pushTo(push);

  const machine = createTrayStateMachine({ dwellMs: 3000, now: Date.now });
  const onAction = (action: TrayAction): void => {
    const engine = slot.current();
    const run = (p: Promise<unknown> | undefined): void => { p?.catch((err: unknown) => console.error(`tray ${action}:`, err instanceof Error ? err.message : err)); };
    switch (action) {
      case 'open': return openView(null);
      case 'pause': return run(engine?.pause());
      case 'resume': return run(engine?.resume());
      case 'update-schema': return run(engine?.updateSchema());
      case 'resync-stale': return run(engine?.resyncTables(staleTables(slot.status())));
      case 'quit': quitting = true; void runner.stop().finally(() => app.quit()); return;
    }
  };
  const tray = createAppTray(path.join(resources, 'tray'), onAction, () => openView(null));
  const refresh = (): void => { const s = slot.status(); tray.render(machine.update(s), s); };
  for (const ev of ['state-changed', 'table-stale', 'table-recovered', 'progress', 'error'] as const) slot.on(ev, refresh);
  slot.onSwap(refresh);
  setInterval(refresh, 2000).unref();
  refresh();

  wireNotifications(slot, {
    notifier: createElectronNotifier(paths.icon),
    throttle: createNotifyThrottle({ perKeyMs: 15 * 60_000, maxPerWindow: 4, windowMs: 10 * 60_000, now: Date.now }),
    open: (view, table) => openView(view, table),
  });

  const hidden = process.argv.includes(HIDDEN_ARG);
  let resolved: Settings | null = null;
  try {
    resolved = await settings.loadResolved();
  } catch (err) {
    console.error('settings:', err instanceof Error ? err.message : err);
  }
  if (!hidden || !resolved) openView(resolved ? pendingView?.view ?? null : 'settings');
  if (resolved) {
    try {
      await host.start(resolved);
    } catch (err) {
      console.error('engine did not start:', err instanceof Error ? err.message : err); // messages only: never settings
    }
  }
}
