/** Chooses the transport: Electron's preload bridge when present, else the loopback WebSocket. */
import type { Api } from '../../../../preload/contract/api.ts';
import { createIpcApi, hasIpcBridge } from './ipc-client.ts';
import { createWsApi } from './ws-client.ts';

export function pickTransport(w: Window): Api {
  return hasIpcBridge(w) ? createIpcApi() : createWsApi(w.location);
}
