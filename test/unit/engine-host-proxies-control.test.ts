import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngineProxy } from '../../main/host/engine-proxy.ts';
import type { ChildHandle } from '../../main/host/engine-proxy.ts';
import { serveEngine } from '../../main/host/engine-service.ts';
import type { Engine } from '../../main/host/engine-factory.ts';
import type { Port, ToChild, ToParent } from '../../main/host/protocol.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';
import { FakeEngine, table } from '../doubles/fake-engine.ts';

/** Two in-memory port ends with structured cloning, like a MessagePort. */
function channel(): { parent: Port<ToParent, ToChild>; child: Port<ToChild, ToParent>; exit: (code: number) => void; exited: Promise<number | null> } {
  const toChild = new Set<(m: ToChild) => void>();
  const toParent = new Set<(m: ToParent) => void>();
  let exit!: (c: number) => void;
  const exited = new Promise<number | null>((r) => { exit = r; });
  return {
    parent: { post: (m) => queueMicrotask(() => toChild.forEach((l) => l(structuredClone(m)))), onMessage: (l) => { toParent.add(l); return () => toParent.delete(l); } },
    child: { post: (m) => queueMicrotask(() => toParent.forEach((l) => l(structuredClone(m)))), onMessage: (l) => { toChild.add(l); return () => toChild.delete(l); } },
    exit, exited,
  };
}

const settings = settingsSchema.parse({ tenant: { ctx: 't9', brokers: ['k:9092'] }, replica: { kind: 'sqlite', file: '/tmp/x.db' } });

test('calls, results, coded errors and events cross the port', async () => {
  const ch = channel();
  const fake = new FakeEngine();
  fake.current = { ...fake.current, tables: [table('crm.account')] };
  serveEngine(ch.child, async () => fake as unknown as Engine, { statusIntervalMs: 10 });
  const handle: ChildHandle = { port: ch.parent, exited: ch.exited, kill: () => ch.exit(1) };
  const proxy = createEngineProxy(handle);
  assert.throws(() => proxy.status(), (e: unknown) => e instanceof MirrorError && e.code === 'ENGINE_STOPPED');
  await proxy.start(settings, { provision: true });
  assert.deepEqual(fake.calls, ['provision', 'start']);
  const states: string[] = [];
  proxy.on('state-changed', (e) => states.push(e.state));
  await proxy.pause();
  assert.equal(proxy.status().state, 'paused'); // refreshed after the call
  assert.deepEqual(states, ['paused']);
  assert.deepEqual(await proxy.resyncTables(['crm.account']), { requested: ['crm.account'] });
  await assert.rejects(proxy.resyncTables(['crm.nope']), (e: unknown) => e instanceof MirrorError && e.code === 'TABLE_UNKNOWN' && e.detail?.['table'] === 'crm.nope');
  ch.exit(0);
  await new Promise((r) => setTimeout(r, 5));
  await assert.rejects(proxy.pause(), (e: unknown) => e instanceof MirrorError && e.code === 'ENGINE_STOPPED');
  assert.equal(proxy.status().state, 'stopped');
});

test('a failing start arrives as the coded error', async () => {
  const ch = channel();
  serveEngine(ch.child, async () => { throw new MirrorError('REPLICA_UNREACHABLE', 'no db', { retriable: true }); });
  const proxy = createEngineProxy({ port: ch.parent, exited: ch.exited, kill: () => ch.exit(1) });
  await assert.rejects(proxy.start(settings), (e: unknown) => e instanceof MirrorError && e.code === 'REPLICA_UNREACHABLE' && e.retriable);
});
