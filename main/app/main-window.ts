/**
 * The main window, locked down (ecosystem §1.2): context isolation, sandbox, no node integration,
 * no navigation, no new windows, no permission grants. Closing hides it (the app lives in the tray)
 * unless the app is quitting.
 */
import { BrowserWindow, shell } from 'electron';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

export interface WindowPaths { preload: string; rendererHtml: string; devUrl: string | null; icon: string | undefined }

/** The locations the IPC sender check trusts: the renderer directory, and the dev server in dev. */
export function trustedLocations(paths: WindowPaths): string[] {
  const dir = `${pathToFileURL(path.dirname(paths.rendererHtml)).href}/`;
  return paths.devUrl ? [dir, paths.devUrl] : [dir];
}

export function createMainWindow(paths: WindowPaths, isQuitting: () => boolean, opts: { show: boolean }): BrowserWindow {
  const win = new BrowserWindow({
    width: 1100, height: 760, minWidth: 760, minHeight: 520, show: false, title: 'Tenant Mirror',
    ...(paths.icon ? { icon: paths.icon } : {}),
    webPreferences: {
      preload: paths.preload, contextIsolation: true, sandbox: true, nodeIntegration: false,
      nodeIntegrationInSubFrames: false, webviewTag: false, spellcheck: false,
    },
  });
  const allowed = trustedLocations(paths);
  win.webContents.on('will-navigate', (e, url) => {
    if (!allowed.some((a) => url.startsWith(a))) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.session.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  win.on('close', (e) => {
    if (!isQuitting()) {
      e.preventDefault();
      win.hide();
    }
  });
  if (opts.show) win.once('ready-to-show', () => win.show());
  if (paths.devUrl) void win.loadURL(paths.devUrl);
  else void win.loadFile(paths.rendererHtml);
  return win;
}

export function showAndFocus(win: BrowserWindow): void {
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
