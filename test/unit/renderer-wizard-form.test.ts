import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecrets } from '../../preload/contract/settings-public.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';
import {
  emptyReplicaForm, emptyTenantForm, formsFromSettings, replicaFromForm, splitList, tenantFromForm,
} from '../../renderer/src/lib/wizard-form.ts';

test('tenant form: empty form reports the tenant id and the brokers', () => {
  const r = tenantFromForm(emptyTenantForm());
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.ok(r.errors['ctx']);
  assert.ok(r.errors['brokers']);
});

test('tenant form: a bad broker is reported on the brokers field with the schema message', () => {
  const r = tenantFromForm({ ...emptyTenantForm(), ctx: 'acme', brokers: 'kafka:9092, nope' });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.errors['brokers'], 'broker must be host:port');
});

test('tenant form: SASL fields map to the contract shape; a stored password is kept by marker', () => {
  const form = { ...emptyTenantForm(), ctx: 'acme', brokers: 'a:9092\nb:9093', saslEnabled: true, saslUsername: 'u', saslPasswordStored: true };
  const r = tenantFromForm(form);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.deepEqual(r.value.brokers, ['a:9092', 'b:9093']);
  assert.deepEqual(r.value.sasl, { mechanism: 'plain', username: 'u', password: { stored: true } });
});

test('tenant form: SASL without a password is an error on the password field', () => {
  const r = tenantFromForm({ ...emptyTenantForm(), ctx: 'acme', brokers: 'a:9092', saslEnabled: true, saslUsername: 'u' });
  assert.equal(r.ok, false);
  if (!r.ok) assert.ok(r.errors['saslPassword']);
});

test('replica form: SQLite is the default and valid', () => {
  const r = replicaFromForm(emptyReplicaForm());
  assert.ok(r.ok);
  if (r.ok) assert.equal(r.value.kind, 'sqlite');
});

test('replica form: postgres port and database errors land on their fields', () => {
  const r = replicaFromForm({ ...emptyReplicaForm(), kind: 'postgres', pgPort: 'abc', pgUser: 'me' });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.ok(r.errors['pgPort']);
  assert.ok(r.errors['pgDatabase']);
});

test('replica form: the destination schema must be a plain identifier', () => {
  const r = replicaFromForm({ ...emptyReplicaForm(), tablePrefix: 'bad name;' });
  assert.equal(r.ok, false);
  if (!r.ok) assert.ok(r.errors['tablePrefix']);
});

test('forms from stored settings round-trip, with secrets as stored markers', () => {
  const s = settingsSchema.parse({
    tenant: { ctx: 'acme', brokers: ['k:9092'], sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'secret' } },
    replica: { kind: 'postgres', database: 'mirror', user: 'me', password: 'pw' },
    tablePrefix: 'mirror', tables: { exclude: ['crm.audit'] },
  });
  const f = formsFromSettings(redactSecrets(s));
  assert.equal(f.tenant.saslPassword, '');
  assert.equal(f.tenant.saslPasswordStored, true);
  assert.equal(f.replica.kind, 'postgres');
  assert.equal(f.replica.pgPasswordStored, true);
  assert.deepEqual(f.tables.exclude, ['crm.audit']);
  const t = tenantFromForm(f.tenant);
  const r = replicaFromForm(f.replica);
  assert.ok(t.ok && r.ok);
  if (r.ok && r.value.kind === 'postgres') assert.deepEqual(r.value.password, { stored: true });
});

test('splitList accepts newlines, commas, semicolons and spaces', () => {
  assert.deepEqual(splitList(' a:1,b:2;\n c:3  d:4 '), ['a:1', 'b:2', 'c:3', 'd:4']);
});
