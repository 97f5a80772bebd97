import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Conf from 'conf';
import { settingsMigrations } from '../../main/app/settings/migrations.ts';
import type { MigrationStore } from '../../main/app/settings/migrations.ts';
import { STORE_VERSION, storeDefaults, storeOptions } from '../../main/app/settings/store-layout.ts';

function memStore(doc: Record<string, unknown>): MigrationStore & { doc: Record<string, unknown> } {
  const walk = (key: string, create: boolean) => {
    const keys = key.split('.');
    let cur: Record<string, unknown> = doc;
    for (const k of keys.slice(0, -1)) {
      if (typeof cur[k] !== 'object' || cur[k] === null) { if (!create) return null; cur[k] = {}; }
      cur = cur[k] as Record<string, unknown>;
    }
    return [cur, keys.at(-1) as string] as const;
  };
  return {
    doc,
    get: (k) => { const w = walk(k, false); return w ? w[0][w[1]] : undefined; },
    set: (k, v) => { const w = walk(k, true)!; w[0][w[1]] = v; },
    delete: (k) => { const w = walk(k, false); if (w) delete w[0][w[1]]; },
    has: (k) => { const w = walk(k, false); return !!w && w[1] in w[0]; },
  };
}

const v1 = () => ({
  autoStart: true,
  settings: {
    tenant: { ctx: 't1', brokers: ['k:9092'], sasl: { mechanism: 'plain', username: 'u', password: 'clear-text-pw' } },
    replica: { kind: 'postgres', database: 'r', user: 'u', password: { enc: 'AAAA' } },
  },
});

test('2.0.0 moves autoStart under app and strips a clear-text secret, asking for it again', () => {
  const s = memStore(v1());
  for (const m of Object.values(settingsMigrations)) m(s);
  assert.deepEqual(s.doc['app'], { autoStart: true, lastView: 'status', secretsToReenter: ['tenant.sasl.password'] });
  assert.equal('autoStart' in s.doc, false);
  assert.ok(!JSON.stringify(s.doc).includes('clear-text-pw'));
  assert.deepEqual((s.doc['settings'] as { replica: { password: unknown } }).replica.password, { enc: 'AAAA' });
});

test('migrations are idempotent on an already migrated document', () => {
  const s = memStore({ settings: null, app: { autoStart: false, lastView: 'tables', secretsToReenter: [] } });
  settingsMigrations['2.0.0']?.(s);
  assert.deepEqual(s.doc, { settings: null, app: { autoStart: false, lastView: 'tables', secretsToReenter: [] } });
});

test('2.1.0 drops the old default fetch wait (1 s), keeps a chosen one', () => {
  const old = memStore({ settings: { ...v1().settings, maxPollTimeSeconds: 1, maxBytes: 4_194_304 }, app: { autoStart: false, lastView: 'status', secretsToReenter: [] } });
  settingsMigrations['2.1.0']?.(old);
  const kept = old.doc['settings'] as Record<string, unknown>;
  assert.equal('maxPollTimeSeconds' in kept, false, 'the old default is dropped: the new one applies');
  assert.equal(kept['maxBytes'], 4_194_304, 'nothing else is touched');
  const chosen = memStore({ settings: { ...v1().settings, maxPollTimeSeconds: 0.5 }, app: { autoStart: false, lastView: 'status', secretsToReenter: [] } });
  settingsMigrations['2.1.0']?.(chosen);
  assert.equal((chosen.doc['settings'] as Record<string, unknown>)['maxPollTimeSeconds'], 0.5);
  const none = memStore({ settings: null, app: { autoStart: false, lastView: 'status', secretsToReenter: [] } });
  settingsMigrations['2.1.0']?.(none);
  assert.equal(none.doc['settings'], null);
});

test('conf (electron-store\'s core) runs them on a real 1.0.0 file; a new file starts at defaults', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tm-migrate-'));
  try {
    const file = path.join(dir, `${storeOptions.name}.json`);
    writeFileSync(file, JSON.stringify({ ...v1(), __internal__: { migrations: { version: '1.0.0' } } }));
    const store = new Conf<Record<string, unknown>>({ ...storeOptions, cwd: dir, configName: storeOptions.name, projectName: 'tm-test' } as never);
    assert.equal(store.get('app.autoStart'), true);
    assert.deepEqual(store.get('app.secretsToReenter'), ['tenant.sasl.password']);
    const onDisk = readFileSync(file, 'utf8');
    assert.ok(!onDisk.includes('clear-text-pw'));
    assert.match(onDisk, new RegExp(`"version": "${STORE_VERSION.replaceAll('.', '\\.')}"`));

    const fresh = new Conf<Record<string, unknown>>({ ...storeOptions, cwd: path.join(dir, 'new'), configName: storeOptions.name, projectName: 'tm-test' } as never);
    assert.deepEqual(fresh.get('app'), storeDefaults.app);
    assert.equal(fresh.get('settings'), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
