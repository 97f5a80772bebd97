/**
 * A setting that was removed from the schema (RETIRED_SETTING_KEYS: `maxBatchSize` and `tenant.sourceDatabase`,
 * which nothing read)
 * does not stop an old settings file from loading, in any of the three places settings are read: the
 * CLI's config file, the serve mode's settings file and the desktop app's store.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../main/commands/config-file.ts';
import { createFileSettings } from '../../main/commands/file-settings.ts';
import { createSecretStore } from '../../main/app/settings/secret-store.ts';
import { createSettingsService, type KeyValueStore } from '../../main/app/settings/settings-service.ts';
import { RETIRED_SETTING_KEYS, settingsSchema, withoutRetiredSettings } from '../../preload/contract/settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'tm-retired-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const OLD = {
  tenant: { ctx: 't1', brokers: ['k1:9092'], sourceDatabase: 'crm' },
  replica: { kind: 'sqlite', file: join(dir, 'replica.db') },
  maxBatchSize: 2000,
  databaseBatchSize: 700,
};

test('the retired keys are out of the schema, and a file holding one is refused by the schema alone', () => {
  for (const k of RETIRED_SETTING_KEYS) {
    const [head, key] = k.split('.') as [keyof typeof settingsSchema.shape, string | undefined];
    if (key === undefined) assert.equal(head in settingsSchema.shape, false, k);
    else assert.equal(key in (settingsSchema.shape[head] as unknown as { shape: object }).shape, false, k);
  }
  assert.equal(settingsSchema.safeParse(OLD).success, false);
  assert.equal(settingsSchema.safeParse({ ...OLD, maxBatchSize: undefined }).success, false, 'tenant.sourceDatabase alone is refused too');
  assert.deepEqual(withoutRetiredSettings({ a: 1, maxBatchSize: 2 }), { a: 1 });
  const doc = { tenant: { ctx: 'x', sourceDatabase: 'crm' }, b: 2 };
  assert.deepEqual(withoutRetiredSettings(doc), { tenant: { ctx: 'x' }, b: 2 });
  assert.deepEqual(doc.tenant, { ctx: 'x', sourceDatabase: 'crm' }, 'the input is not changed');
  assert.equal(withoutRetiredSettings(null), null);
});

test('CLI config file with maxBatchSize loads', () => {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(OLD));
  const { settings } = loadConfig(file);
  assert.equal(settings.databaseBatchSize, 700);
  assert.equal('maxBatchSize' in settings, false);
  assert.equal('sourceDatabase' in settings.tenant, false);
});

test('serve settings file with maxBatchSize loads', async () => {
  const file = join(dir, 'serve-settings.json');
  writeFileSync(file, JSON.stringify(OLD));
  const settings = await createFileSettings(file).load();
  assert.equal(settings?.databaseBatchSize, 700);
  assert.equal(settings !== null && 'maxBatchSize' in settings, false);
});

test('desktop settings store with maxBatchSize loads, and its public view does not carry the key', async () => {
  const mem = new Map<string, unknown>([['app', { autoStart: false, lastView: 'status', secretsToReenter: [] }], ['settings', OLD]]);
  const store: KeyValueStore = { get: (k) => mem.get(k), set: (k, v) => { mem.set(k, v); } };
  const svc = createSettingsService(store, createSecretStore({ available: async () => false } as never));
  const settings = await svc.loadResolved();
  assert.equal(settings?.databaseBatchSize, 700);
  assert.equal(settings !== null && 'maxBatchSize' in settings, false);
  const pub = await svc.getPublic();
  assert.equal(pub !== null && 'maxBatchSize' in pub, false);
});
