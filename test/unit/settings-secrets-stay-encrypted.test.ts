import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Conf from 'conf';
import { createSecretStore } from '../../main/app/settings/secret-store.ts';
import type { SecretCipher } from '../../main/app/settings/secret-store.ts';
import { createSettingsService } from '../../main/app/settings/settings-service.ts';
import type { KeyValueStore } from '../../main/app/settings/settings-service.ts';
import { storeOptions } from '../../main/app/settings/store-layout.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { settingsInputSchema, tenantInputSchema } from '../../preload/contract/settings-public.ts';

const SASL = 'sasl-Pa55-1f0e9c';
const DB = 'db-Pa55-7a7b2d';

/** Stands in for safeStorage: real AES-GCM with a per-test key, async like encryptStringAsync. */
function fakeCipher(opts: { available?: boolean } = {}): SecretCipher & { calls: number } {
  const key = randomBytes(32);
  const c = {
    calls: 0,
    available: async () => opts.available ?? true,
    async encrypt(plain: string) {
      c.calls++;
      const iv = randomBytes(12);
      const ci = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([ci.update(plain, 'utf8'), ci.final()]);
      return Buffer.concat([iv, ci.getAuthTag(), body]);
    },
    async decrypt(buf: Uint8Array) {
      const b = Buffer.from(buf);
      const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
      d.setAuthTag(b.subarray(12, 28));
      return { value: Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8'), reseal: false };
    },
  };
  return c;
}

/** As the envelope hands it over: parsed with the contract schema (defaults applied). */
const parsed = (v: unknown) => settingsInputSchema.parse(v);
const raw = () => ({
  tenant: { ctx: 't1', brokers: ['k1:9092'], sasl: { mechanism: 'plain', username: 'mirror', password: SASL } as Record<string, unknown> },
  replica: { kind: 'postgres', database: 'replica', user: 'mirror', password: DB } as Record<string, unknown>,
});
const input = () => parsed(raw());

function withConf<T>(fn: (store: Conf<Record<string, unknown>>, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tm-settings-'));
  const store = new Conf<Record<string, unknown>>({ ...storeOptions, cwd: dir, configName: storeOptions.name, projectName: 'tenant-mirror-test' } as never);
  return fn(store, dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('secrets round-trip through the injected cipher and never sit on disk in clear', async () => {
  await withConf(async (store, dir) => {
    const svc = createSettingsService(store as KeyValueStore, createSecretStore(fakeCipher()));
    const resolved = await svc.save(input());
    assert.equal(resolved.tenant.sasl?.password, SASL);
    assert.equal(resolved.replica.kind === 'postgres' && resolved.replica.password, DB);
    assert.equal(resolved.databaseBatchSize, 5_000); // defaults applied

    const onDisk = readFileSync(path.join(dir, `${storeOptions.name}.json`), 'utf8');
    assert.ok(!onDisk.includes(SASL) && !onDisk.includes(DB), 'no plaintext secret in the settings file');
    assert.match(onDisk, /"enc": "[A-Za-z0-9+/=]+"/);

    const loaded = await svc.loadResolved();
    assert.equal(loaded?.tenant.sasl?.password, SASL);
    assert.equal(loaded?.replica.kind === 'postgres' && loaded.replica.password, DB);
  });
});

test('settings:get never returns a secret: stored ones read as { stored: true }, env refs stay', async () => {
  const mem = new Map<string, unknown>([['app', { autoStart: false, lastView: 'status', secretsToReenter: [] }]]);
  const store: KeyValueStore = { get: (k) => mem.get(k), set: (k, v) => { mem.set(k, v); } };
  const svc = createSettingsService(store, createSecretStore(fakeCipher()));
  await svc.save(parsed({ ...raw(), replica: { kind: 'postgres', database: 'replica', user: 'mirror', password: { env: 'PGPASS' } } }));
  const pub = await svc.getPublic();
  const text = JSON.stringify(pub);
  assert.ok(!text.includes(SASL));
  assert.ok(!text.includes('"enc"'), 'not even the ciphertext goes to the renderer');
  assert.deepEqual(pub?.tenant.sasl?.password, { stored: true });
  assert.deepEqual(pub?.replica.kind === 'postgres' && pub.replica.password, { env: 'PGPASS' });
});

test('{ stored: true } keeps the stored secret; a missing one is CONFIG_INVALID', async () => {
  const mem = new Map<string, unknown>([['app', { autoStart: false, lastView: 'status', secretsToReenter: [] }]]);
  const store: KeyValueStore = { get: (k) => mem.get(k), set: (k, v) => { mem.set(k, v); } };
  const cipher = fakeCipher();
  const svc = createSettingsService(store, createSecretStore(cipher));
  const firstRaw = { ...raw(), tenant: { ...raw().tenant, sasl: { mechanism: 'plain', username: 'mirror', password: { stored: true } } } };
  const first = parsed(firstRaw);
  await assert.rejects(svc.save(first), (e: unknown) => e instanceof MirrorError && e.code === 'CONFIG_INVALID');
  assert.equal(mem.get('settings'), undefined, 'nothing written on failure');
  await svc.save(input());
  const before = cipher.calls;
  const again = await svc.save(parsed({ ...firstRaw, databaseBatchSize: 500 }));
  assert.equal(again.tenant.sasl?.password, SASL);
  assert.equal(again.databaseBatchSize, 500);
  assert.equal(cipher.calls, before + 1, 'only the new replica password was encrypted');
  const t = await svc.resolveTenant(tenantInputSchema.parse({ ctx: 't1', brokers: ['k:1'], sasl: { mechanism: 'plain', username: 'u', password: { stored: true } } }));
  assert.equal(t.sasl?.password, SASL);
});

test('without OS encryption a literal secret is refused, not stored in clear', async () => {
  const mem = new Map<string, unknown>([['app', { autoStart: false, lastView: 'status', secretsToReenter: [] }]]);
  const svc = createSettingsService({ get: (k) => mem.get(k), set: (k, v) => { mem.set(k, v); } }, createSecretStore(fakeCipher({ available: false })));
  await assert.rejects(svc.save(input()), (e: unknown) => e instanceof MirrorError && e.code === 'CONFIG_INVALID' && /env/.test(e.message));
  assert.equal(mem.get('settings'), undefined);
});
