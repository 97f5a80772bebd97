/**
 * Builds `window.api` from the contract's key lists over an ipcRenderer-like object. Pure (the
 * ipcRenderer is injected) so it is unit-tested. It exposes exactly `request` and `on`: unknown names
 * are refused locally, and listeners never see the IpcRendererEvent.
 */
import { isPushName, isRequestName, pushChannel, PUSH_NAMES, REQUEST_NAMES, requestChannel } from './contract/names.ts';
import type { Api, PushName, RequestName, Result } from './contract/api.ts';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function buildApi(ipc: IpcRendererLike): Api {
  // Fixed tables built once from the contract: no caller-supplied string ever becomes a channel.
  const requestChannels = new Map<RequestName, string>(REQUEST_NAMES.map((n) => [n, requestChannel(n)]));
  const pushChannels = new Map<PushName, string>(PUSH_NAMES.map((n) => [n, pushChannel(n)]));
  const api: Api = {
    request(name, input) {
      const channel = isRequestName(name) ? requestChannels.get(name) : undefined;
      if (!channel) {
        return Promise.resolve({ ok: false, error: { code: 'BAD_REQUEST', message: 'unknown request', retriable: false } });
      }
      return ipc.invoke(channel, input) as Promise<Result<never>>;
    },
    on(name, listener) {
      const channel = isPushName(name) ? pushChannels.get(name) : undefined;
      if (!channel || typeof listener !== 'function') return () => {};
      const wrapped = (_event: unknown, payload: unknown): void => listener(payload as never);
      ipc.on(channel, wrapped);
      return () => { ipc.removeListener(channel, wrapped); };
    },
  };
  return Object.freeze(api);
}
