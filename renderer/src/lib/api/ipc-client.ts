/**
 * The contract over Electron IPC: a thin typed wrapper of the preload's `window.api` (which only
 * exposes named functions built from the contract's key lists). Pure TS.
 */
import type { Api } from '../../../../preload/contract/api.ts';

/** What the preload puts on `window` (see `preload/index.ts`). */
export interface WindowWithApi { api?: Api }

export function hasIpcBridge(w: unknown): w is { api: Api } {
  const api = (w as WindowWithApi | null)?.api;
  return typeof api?.request === 'function' && typeof api.on === 'function';
}

export function createIpcClient(w: WindowWithApi = globalThis as unknown as WindowWithApi): Api {
  if (!hasIpcBridge(w)) throw new Error('window.api is missing: not running inside the Tenant Mirror window');
  const api = w.api;
  return {
    request: (name, input) => api.request(name, input),
    on: (name, listener) => api.on(name, listener),
  };
}

/** The client for the Electron window (what `pick-transport.ts` uses). */
export const createIpcApi = (): Api => createIpcClient();
