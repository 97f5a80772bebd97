/**
 * Who may call the contract over Electron IPC: only the main window's webContents, and only while its
 * frame shows the app's own pages (GHSA-mq8j-3h7h-p8g7). Pure: the Electron adapter maps an
 * IpcMainInvokeEvent to a `CallerInfo`.
 */

export interface CallerInfo {
  /** `event.senderFrame?.url`; null when the frame is gone (navigated away or destroyed). */
  frameUrl: string | null;
  /** `event.sender === mainWindow.webContents`. */
  isMainWindow: boolean;
}

/**
 * `trusted` lists the app's own locations: a `file:` URL of the renderer directory (ending in `/`)
 * and, in development, the dev-server URL. A file URL must lie under the directory; an http(s) URL
 * must have the same origin.
 */
export function isTrustedSender(caller: CallerInfo, trusted: readonly string[]): boolean {
  if (!caller.isMainWindow || !caller.frameUrl) return false;
  let url: URL;
  try {
    url = new URL(caller.frameUrl);
  } catch {
    return false;
  }
  return trusted.some((t) => {
    const allowed = new URL(t);
    if (allowed.protocol === 'file:') {
      const dir = allowed.pathname.endsWith('/') ? allowed.pathname : `${allowed.pathname}/`;
      return url.protocol === 'file:' && url.host === allowed.host && url.pathname.startsWith(dir);
    }
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === allowed.origin;
  });
}
