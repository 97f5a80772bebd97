/**
 * The one builder both front ends use (`main/host/engine-host.ts`): here in the desktop app's shape
 * (the `serve` shape runs in serve-keeps-activity-log.test.ts), with an in-process engine child, so
 * what the desktop app composes is tested without Electron.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PushName } from '../../preload/contract/api.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { createEngineHost } from '../../main/host/engine-host.ts';
import type { SettingsService } from '../../main/ipc/handlers.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { FakeEngine, table } from '../doubles/fake-engine.ts';
import { inProcessChild } from '../doubles/in-process-child.ts';

const settings = settingsSchema.parse({ tenant: { ctx: 'acme', brokers: ['127.0.0.1:1'] }, replica: { kind: 'sqlite', file: '/tmp/never-opened.sqlite' } });
const settingsService: SettingsService = {
  getPublic: async () => null,
  save: async () => settings,
  resolveTenant: async (t) => t as Settings['tenant'],
  resolveReplica: async (r) => r as Settings['replica'],
};
const checks = { testKafka: async () => ({ ok: true, items: [] }), testReplica: async () => ({ ok: true, items: [] }), listTables: async () => [] };

test('the desktop shape: calls go through the envelope to the child, pushes reach the sink, the bundle names the runtime', { timeout: 10_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tm-engine-host-'));
  try {
    const fake = new FakeEngine();
    fake.current = { ...fake.current, tables: [table('crm.account')] };
    const seen: string[] = [];
    const host = await createEngineHost<{ trusted: boolean }>({
      identity: { mode: 'desktop', version: '9.9.9', runtime: { electron: '45.0.0' } },
      settings: settingsService,
      bundleSettings: async () => ({ shown: 'public settings' }),
      checks,
      spawn: () => inProcessChild(fake),
      activityFile: path.join(dir, 'activity.log'),
      log: () => {},
      onSettings: (s) => seen.push(`settings:${s.tenant.ctx}`),
      setAutoStart: async (on) => on,
      info: async () => ({ mode: 'desktop', version: '9.9.9', autoStart: false, secretsEncrypted: true, configured: true }),
      authorize: (caller) => caller.trusted,
    });
    const pushed: PushName[] = [];
    let activityPushed!: () => void;
    const activityArrived = new Promise<void>((r) => { activityPushed = r; });
    host.pushTo((name) => { pushed.push(name); if (name === 'activity') activityPushed(); });

    assert.equal((await host.envelope('status:get', { trusted: true }, undefined)).ok, false); // no engine yet
    await host.start(settings);
    assert.deepEqual(seen, ['settings:acme']);
    assert.deepEqual(fake.calls, ['start']);
    assert.deepEqual(await host.envelope('tables:resync', { trusted: true }, { tables: ['crm.account'] }), { ok: true, value: { requested: ['crm.account'] } });
    const refused = await host.envelope('engine:pause', { trusted: false }, undefined);
    assert.equal(refused.ok ? null : refused.error.code, 'FORBIDDEN');
    assert.deepEqual(await host.envelope('app:set-auto-start', { trusted: true }, { enabled: true }), { ok: true, value: { enabled: true } });

    fake.emit('table-recovered', { table: 'crm.account' });
    await activityArrived;
    assert.ok(pushed.includes('table-recovered'), 'the event pushed as itself');

    const bundle = await host.envelope('support:bundle', { trusted: true }, undefined);
    assert.ok(bundle.ok);
    const body = JSON.parse((bundle.value as { json: string }).json) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['app', 'version', 'mode', 'electron', 'platform', 'at', 'settings', 'status', 'lastError', 'activityLogFile', 'activity']);
    assert.deepEqual([body['mode'], body['electron'], body['settings']], ['desktop', '45.0.0', { shown: 'public settings' }]);
    assert.equal(body['activityLogFile'], path.join(dir, 'activity.log'));

    await host.close();
    assert.deepEqual(fake.calls.at(-1), 'stop');
    assert.equal(host.slot.current(), null);
    const before = pushed.length;
    fake.emit('table-recovered', { table: 'crm.account' });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(pushed.length, before, 'nothing pushed after close');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('offsets:reset: the engine restarted on its settings with the offsets moved first; a failed reset is said, then tried again as a plain start, never as a second reset', { timeout: 10_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tm-engine-host-reset-'));
  try {
    const fake = new FakeEngine();
    const host = await createEngineHost<{ trusted: boolean }>({
      identity: { mode: 'desktop', version: '9.9.9', runtime: {} },
      settings: settingsService,
      bundleSettings: async () => ({}),
      checks,
      spawn: () => inProcessChild(fake),
      activityFile: path.join(dir, 'activity.log'),
      log: () => {},
      retryDelaysMs: [300], // the failed reset is looked at before the plain start that follows it
      setAutoStart: async (on) => on,
      info: async () => ({ mode: 'desktop', version: '9.9.9', autoStart: false, secretsEncrypted: true, configured: true }),
      authorize: (caller) => caller.trusted,
    });
    try {
      const never = await host.envelope('offsets:reset', { trusted: true }, undefined);
      assert.equal(never.ok ? null : never.error.code, 'ENGINE_STOPPED', 'never started here: nothing to reset');
      assert.deepEqual(fake.calls, []);
      await host.start(settings);
      assert.deepEqual(await host.envelope('offsets:reset', { trusted: true }, undefined), { ok: true, value: { restarted: true } });
      assert.deepEqual(fake.calls, ['start', 'stop', 'resetOffsets', 'start'], 'the running engine stopped, the offsets moved, then started');

      // Kafka not reachable for the reset: said (the start error); the engine is started again by itself as
      // a plain start (here it succeeds), and the offsets are never moved a second time.
      fake.calls = [];
      fake.resetFails = new MirrorError('KAFKA_UNREACHABLE', 'cannot reach Kafka at 127.0.0.1:1', { retriable: true });
      const failed = await host.envelope('offsets:reset', { trusted: true }, undefined);
      assert.equal(failed.ok ? null : failed.error.code, 'KAFKA_UNREACHABLE');
      assert.equal(host.runner.lastError()?.code, 'KAFKA_UNREACHABLE', 'the reason the engine is not running');
      assert.equal(host.slot.current(), null);
      for (let i = 0; i < 100 && host.slot.current() === null; i++) await new Promise((r) => setTimeout(r, 20));
      assert.notEqual(host.slot.current(), null, 'started again by itself');
      assert.deepEqual(fake.calls, ['stop', 'resetOffsets', 'stop', 'start'], 'tried again as a plain start: one reset in all');
      const refused = await host.envelope('offsets:reset', { trusted: false }, undefined);
      assert.equal(refused.ok ? null : refused.error.code, 'FORBIDDEN');
    } finally { await host.close(); }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
