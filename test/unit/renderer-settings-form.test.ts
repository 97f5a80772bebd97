/**
 * Settings forms: a password may be given as an environment variable (`{ env }`) in the wizard and the
 * Settings page, and round-trips; errors say what to do (port, empty tenant id, variable name); tuning
 * keys are validated by the settings schema's own rules and every key is described once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settingsSchema, TUNING_KEYS } from '../../preload/contract/settings.ts';
import type { PublicSettings } from '../../preload/contract/settings-public.ts';
import { replicaLabel } from '../../preload/contract/replica-label.ts';
import { choicesOf, controlOf, tuningForm, tuningFromForm, TUNING_ORDER } from '../../renderer/src/lib/tuning-form.ts';
import { emptyReplicaForm, emptyTenantForm, ENV_NAME_MESSAGE, fieldForKey, formsFromSettings, PORT_MESSAGE, replicaFromForm, tenantFromForm } from '../../renderer/src/lib/wizard-form.ts';

const pg = { ...emptyReplicaForm(), kind: 'postgres' as const, pgDatabase: 'mirror', pgUser: 'mirror' };

test('a PostgreSQL password named by an environment variable becomes { env } and wins over a typed one', () => {
  const r = replicaFromForm({ ...pg, pgPassword: 'typed', pgPasswordEnv: ' TM_PG_PASSWORD ' });
  assert.ok(r.ok);
  if (r.ok && r.value.kind === 'postgres') assert.deepEqual(r.value.password, { env: 'TM_PG_PASSWORD' });
  const sasl = tenantFromForm({ ...emptyTenantForm(), ctx: 'acme', brokers: 'k:9092', saslEnabled: true, saslUsername: 'u', saslPasswordEnv: 'TM_SASL' });
  assert.ok(sasl.ok);
  if (sasl.ok) assert.deepEqual(sasl.value.sasl?.password, { env: 'TM_SASL' });
});

test('an { env } password comes back into the env field, not as a stored one', () => {
  const s = settingsSchema.parse({
    tenant: { ctx: 'acme', brokers: ['k:9092'], sasl: { username: 'u', password: { env: 'TM_SASL' } } },
    replica: { kind: 'postgres', database: 'm', user: 'u', password: { env: 'TM_PG' } },
  }) as unknown as PublicSettings;
  const f = formsFromSettings(s);
  assert.equal(f.replica.pgPasswordEnv, 'TM_PG');
  assert.equal(f.replica.pgPasswordStored, false);
  assert.equal(f.tenant.saslPasswordEnv, 'TM_SASL');
  assert.equal(f.tenant.saslPasswordStored, false);
  assert.equal(replicaLabel(s.replica), 'PostgreSQL 127.0.0.1:5432/m');
});

test('errors a person can act on: port, variable name, empty and malformed tenant id', () => {
  for (const port of ['abc', '0', '70000', '1.5', '']) {
    const r = replicaFromForm({ ...pg, pgPort: port });
    assert.ok(!r.ok && r.errors['pgPort'] === PORT_MESSAGE, `port ${JSON.stringify(port)}`);
  }
  const env = replicaFromForm({ ...pg, pgPasswordEnv: '1ABC' });
  assert.ok(!env.ok && env.errors['pgPasswordEnv'] === ENV_NAME_MESSAGE);
  const empty = tenantFromForm({ ...emptyTenantForm(), brokers: 'k:9092' });
  assert.ok(!empty.ok && /enter the tenant id/.test(empty.errors['ctx'] ?? ''));
  const bad = tenantFromForm({ ...emptyTenantForm(), ctx: 'acme corp', brokers: 'k:9092' });
  assert.ok(!bad.ok && /only letters, digits/.test(bad.errors['ctx'] ?? ''));
});

test('tuning keys: defaults from the schema, each described with when it applies; bad values refused with the schema rules', () => {
  const f = tuningForm(null);
  assert.equal(f.schemaUpdateIntervalSeconds, '3600');
  assert.equal(f.autoResyncOnGap, true);
  assert.equal(f.fetchThread, 'auto');
  assert.deepEqual([controlOf('logLevel'), choicesOf('logLevel')], ['choice', ['error', 'warn', 'info', 'debug']]);
  assert.deepEqual([controlOf('fetchThread'), choicesOf('fetchThread')], ['choice', ['auto', 'on', 'off']]);
  assert.deepEqual([controlOf('maxBytes'), choicesOf('maxBytes'), controlOf('autoResyncOnGap')], ['number', null, 'boolean']);
  for (const key of TUNING_ORDER) {
    assert.ok(key in settingsSchema.shape, `${key} is a settings key`);
    assert.ok(TUNING_KEYS[key].description.length > 10);
  }
  const bad = tuningFromForm({ ...f, schemaUpdateIntervalSeconds: '0', databaseBatchSize: '2.5', logLevel: 'loud', retryMaxMs: '10', fetchThread: 'sometimes' });
  assert.ok(!bad.ok);
  if (!bad.ok) {
    assert.equal(bad.errors['schemaUpdateIntervalSeconds'], 'must be at least 1');
    assert.equal(bad.errors['databaseBatchSize'], 'must be a whole number');
    assert.ok(bad.errors['logLevel']);
    assert.ok(bad.errors['fetchThread']);
    assert.equal(bad.errors['retryMaxMs'], 'must be at least the first retry back-off');
  }
  const good = tuningFromForm({ ...f, databaseBatchSize: '500', autoResyncOnGap: false });
  assert.ok(good.ok);
  if (good.ok) assert.deepEqual([good.value.databaseBatchSize, good.value.autoResyncOnGap], [500, false]);
});

test('a settings key named by an error maps to its form field (a refused password to the variable field)', () => {
  assert.deepEqual(fieldForKey('replica.password', 'postgres'), { form: 'replica', field: 'pgPasswordEnv' });
  assert.deepEqual(fieldForKey('replica.password', 'sqlserver'), { form: 'replica', field: 'msPasswordEnv' });
  assert.deepEqual(fieldForKey('tenant.sasl.password', 'sqlite'), { form: 'tenant', field: 'saslPasswordEnv' });
  assert.deepEqual(fieldForKey('replica.port', 'postgres'), { form: 'replica', field: 'pgPort' });
  assert.deepEqual(fieldForKey('tenant.brokers', 'sqlite'), { form: 'tenant', field: 'brokers' });
  assert.equal(fieldForKey('databaseBatchSize', 'sqlite'), null);
});
