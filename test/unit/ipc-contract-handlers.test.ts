import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PUSH_NAMES, REQUEST_NAMES, requestSchemas } from '../../preload/contract/api.ts';
import { ENGINE_EVENT_NAMES } from '../../preload/contract/status.ts';
import { createEnvelope } from '../../main/ipc/envelope.ts';
import { createHandlers } from '../../main/ipc/handlers.ts';
import type { HandlerDeps } from '../../main/ipc/handlers.ts';
import { isTrustedSender } from '../../main/ipc/sender-check.ts';
import type { CallerInfo } from '../../main/ipc/sender-check.ts';
import { FakeEngine, table } from '../doubles/fake-engine.ts';

const TRUSTED = ['file:///opt/app/out/renderer/', 'http://localhost:5173/'];
const MAIN: CallerInfo = { frameUrl: 'file:///opt/app/out/renderer/index.html#/status', isMainWindow: true };

function setup(engine: FakeEngine | null = new FakeEngine()) {
  const internal: string[] = [];
  const deps: HandlerDeps = {
    settings: {
      getPublic: async () => null,
      save: async () => { throw new Error('boom: not for the renderer'); },
      resolveTenant: async (t) => ({ ...t, sasl: undefined }) as never,
      resolveReplica: async (r) => r as never,
    },
    checks: {
      testKafka: async () => ({ ok: true, items: [] }),
      testReplica: async () => ({ ok: false, items: [{ name: 'connect', ok: false, message: 'refused', fix: 'start it' }] }),
      listTables: async () => [],
    },
    lifecycle: {
      engine: () => engine,
      stoppedReason: () => null,
      settingsChanged: async () => {},
      provision: async () => {},
      resetOffsets: async () => {},
      supportBundle: async () => ({ fileName: 'x.json', json: '{}' }),
      setAutoStart: async (e) => e,
      info: async () => ({ mode: 'desktop', version: '0', autoStart: false, secretsEncrypted: true, configured: false }),
    },
    activity: { list: () => [] },
  };
  const handlers = createHandlers(deps);
  const envelope = createEnvelope<CallerInfo>({
    handlers, authorize: (c) => isTrustedSender(c, TRUSTED), onInternalError: (name) => internal.push(name),
  });
  return { handlers, envelope, internal, engine };
}

test('every contract request has exactly one handler, and nothing else is handled', () => {
  const { handlers } = setup();
  assert.deepEqual(Object.keys(handlers).sort(), [...REQUEST_NAMES].sort());
  for (const name of REQUEST_NAMES) assert.equal(typeof handlers[name], 'function', name);
  assert.deepEqual(Object.keys(requestSchemas).sort(), [...REQUEST_NAMES].sort());
});

test('every engine event is a push, plus status, navigate and activity', () => {
  assert.deepEqual([...PUSH_NAMES].sort(), [...ENGINE_EVENT_NAMES, 'status', 'navigate', 'activity'].sort());
});

test('a valid call from the main window returns ok data', async () => {
  const { envelope, engine } = setup();
  const r = await envelope('engine:pause', MAIN, undefined);
  assert.equal(r.ok, true);
  assert.equal(r.ok && (r.value as { state: string }).state, 'paused');
  assert.deepEqual(engine?.calls, ['pause']);
});

test('invalid payloads are refused as BAD_REQUEST before any handler runs', async () => {
  const { envelope, engine } = setup();
  for (const [name, payload] of [
    ['tables:resync', { tables: [] }],
    ['tables:resync', { tables: ['crm.a'], extra: true }],
    ['tables:resync', 'crm.a'],
    ['engine:pause', { please: true }],
    ['settings:save', { tenant: { ctx: 'bad id!', brokers: [] } }],
    ['app:set-auto-start', { enabled: 'yes' }],
  ] as const) {
    const r = await envelope(name, MAIN, payload);
    assert.equal(r.ok, false, `${name} ${JSON.stringify(payload)}`);
    assert.equal(!r.ok && r.error.code, 'BAD_REQUEST');
  }
  assert.deepEqual(engine?.calls, []);
});

test('an unknown request name is BAD_REQUEST, including prototype keys', async () => {
  const { envelope } = setup();
  for (const name of ['nope', '__proto__', 'toString', 42, null]) {
    const r = await envelope(name, MAIN, undefined);
    assert.equal(!r.ok && r.error.code, 'BAD_REQUEST');
  }
});

test('foreign senders are refused as FORBIDDEN', async () => {
  const { envelope, engine } = setup();
  const foreign: CallerInfo[] = [
    { frameUrl: 'https://evil.example/index.html', isMainWindow: true },
    { frameUrl: 'file:///tmp/downloaded/index.html', isMainWindow: true },
    { frameUrl: 'file:///opt/app/out/renderer-evil/index.html', isMainWindow: true },
    { frameUrl: 'file:///opt/app/out/renderer/../../../tmp/x.html', isMainWindow: true },
    { frameUrl: 'http://localhost:5174/', isMainWindow: true },
    { frameUrl: MAIN.frameUrl, isMainWindow: false },
    { frameUrl: null, isMainWindow: true },
    { frameUrl: 'not a url', isMainWindow: true },
  ];
  for (const caller of foreign) {
    const r = await envelope('engine:pause', caller, undefined);
    assert.equal(!r.ok && r.error.code, 'FORBIDDEN', JSON.stringify(caller));
  }
  assert.deepEqual(engine?.calls, []);
  assert.equal(isTrustedSender({ frameUrl: 'http://localhost:5173/#/x', isMainWindow: true }, TRUSTED), true);
});

test('errors arrive as coded data, never as throws', async () => {
  const engine = new FakeEngine();
  engine.current = { ...engine.current, tables: [table('crm.account')] };
  const { envelope, internal } = setup(engine);
  const unknownTable = await envelope('tables:resync', MAIN, { tables: ['crm.nope'] });
  assert.deepEqual(unknownTable, { ok: false, error: { code: 'TABLE_UNKNOWN', message: 'crm.nope is not replicated', retriable: false, detail: { table: 'crm.nope' } } });

  const internalErr = await envelope('settings:save', MAIN, {
    tenant: { ctx: 't1', brokers: ['k:9092'] }, replica: { kind: 'sqlite', file: '/tmp/r.db' },
  });
  assert.equal(!internalErr.ok && internalErr.error.code, 'INTERNAL');
  assert.deepEqual(internal, ['settings:save']);

  const stopped = await setup(null).envelope('status:get', MAIN, undefined);
  assert.equal(!stopped.ok && stopped.error.code, 'ENGINE_STOPPED');
  assert.equal(!stopped.ok && stopped.error.retriable, true);

  const throwingAuth = createEnvelope({ handlers: setup().handlers, authorize: () => { throw new Error('x'); } });
  const r = await throwingAuth('status:get', {}, undefined);
  assert.equal(!r.ok && r.error.code, 'FORBIDDEN');
});

test('replica:test passes defaults from the schema to the handler', async () => {
  const { envelope } = setup();
  const r = await envelope('replica:test', MAIN, { replica: { kind: 'sqlite', file: '/tmp/x.db' } });
  assert.equal(r.ok, true);
  assert.equal(r.ok && (r.value as { ok: boolean }).ok, false);
});
