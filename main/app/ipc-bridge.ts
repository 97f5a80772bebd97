/**
 * Registers one ipcMain handler per contract request, each through the envelope (sender check,
 * schema, coded errors). Type-only electron import: main passes `ipcMain` and the window in.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { REQUEST_NAMES, requestChannel } from '../../preload/contract/api.ts';
import type { Envelope } from '../ipc/envelope.ts';
import type { CallerInfo } from '../ipc/sender-check.ts';

export function callerOf(event: IpcMainInvokeEvent, mainContents: () => WebContents | null): CallerInfo {
  let frameUrl: string | null = null;
  try {
    frameUrl = event.senderFrame?.url ?? null; // throws if the frame navigated or was destroyed
  } catch {
    frameUrl = null;
  }
  const main = mainContents();
  return { frameUrl, isMainWindow: main !== null && event.sender === main };
}

export function registerIpc(ipcMain: IpcMain, envelope: Envelope<CallerInfo>, mainContents: () => WebContents | null): () => void {
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(requestChannel(name), (event, payload: unknown) => envelope(name, callerOf(event, mainContents), payload));
  }
  return () => { for (const name of REQUEST_NAMES) ipcMain.removeHandler(requestChannel(name)); };
}
