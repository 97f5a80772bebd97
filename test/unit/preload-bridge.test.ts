import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApi } from '../../preload/bridge.ts';
import { pushChannel, requestChannel } from '../../preload/contract/api.ts';
import type { RequestName, PushName } from '../../preload/contract/api.ts';

function fakeIpc() {
  const invoked: Array<[string, unknown]> = [];
  const listeners = new Map<string, Set<(e: unknown, ...a: unknown[]) => void>>();
  return {
    invoked, listeners,
    invoke: async (ch: string, input: unknown) => { invoked.push([ch, input]); return { ok: true, value: 'x' }; },
    on: (ch: string, l: (e: unknown, ...a: unknown[]) => void) => { (listeners.get(ch) ?? listeners.set(ch, new Set()).get(ch)!).add(l); },
    removeListener: (ch: string, l: (e: unknown, ...a: unknown[]) => void) => { listeners.get(ch)?.delete(l); },
  };
}

test('window.api exposes only request and on, frozen', () => {
  const api = buildApi(fakeIpc());
  assert.deepEqual(Object.keys(api).sort(), ['on', 'request']);
  assert.ok(Object.isFrozen(api));
});

test('requests go to the contract channel; unknown names never reach ipc', async () => {
  const ipc = fakeIpc();
  const api = buildApi(ipc);
  await api.request('tables:resync', { tables: ['a.b'] });
  const r = await api.request('ipc:anything' as RequestName, undefined as never);
  assert.equal(!r.ok && r.error.code, 'BAD_REQUEST');
  assert.deepEqual(ipc.invoked, [[requestChannel('tables:resync'), { tables: ['a.b'] }]]);
});

test('push listeners get the payload without the IpcRendererEvent, and unsubscribe', () => {
  const ipc = fakeIpc();
  const api = buildApi(ipc);
  const got: unknown[][] = [];
  const off = api.on('lag', (...args: unknown[]) => { got.push(args); });
  const ch = pushChannel('lag');
  for (const l of ipc.listeners.get(ch) ?? []) l({ sender: 'secret ipcRenderer' }, { seconds: 1, events: 2, at: 3 });
  assert.deepEqual(got, [[{ seconds: 1, events: 2, at: 3 }]]);
  off();
  assert.equal(ipc.listeners.get(ch)?.size, 0);
  api.on('nope' as PushName, () => {});
  assert.equal([...ipc.listeners.keys()].length, 1);
});
