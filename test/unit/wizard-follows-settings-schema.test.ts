/**
 * The setup wizard and the CLI read the same settings schema (preload/contract/settings.ts): the
 * wizard's untouched fields hold the schema's defaults, and the wizard refuses exactly the values the
 * schema refuses (a config file for the CLI or serve, the desktop store), with the schema's message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresSchema, settingsSchema, sqlserverSchema, tablesSchema, tenantSchema } from '../../preload/contract/settings.ts';
import type { PublicSettings } from '../../preload/contract/settings-public.ts';
import {
  emptyReplicaForm, emptyTablesForm, emptyTenantForm, formsFromSettings, replicaFromForm, tablePrefixOf, tablesFromForm, tenantFromForm,
} from '../../renderer/src/lib/wizard-form.ts';
import type { ReplicaForm, TenantForm } from '../../renderer/src/lib/wizard-form.ts';

test('fields left as the wizard opens them give what the schema fills in for keys left out', () => {
  const tenant = tenantFromForm({ ...emptyTenantForm(), ctx: 'acme', brokers: 'k:9092' });
  assert.ok(tenant.ok);
  if (tenant.ok) assert.deepEqual(tenant.value, tenantSchema.parse({ ctx: 'acme', brokers: ['k:9092'] }));
  const sasl = tenantFromForm({ ...emptyTenantForm(), ctx: 'acme', brokers: 'k:9092', saslEnabled: true, saslUsername: 'u', saslPasswordEnv: 'TM_SASL' });
  assert.ok(sasl.ok);
  if (sasl.ok) assert.deepEqual(sasl.value, tenantSchema.parse({ ctx: 'acme', brokers: ['k:9092'], sasl: { username: 'u', password: { env: 'TM_SASL' } } }));

  const pg = replicaFromForm({ ...emptyReplicaForm(), kind: 'postgres', pgDatabase: 'm', pgUser: 'u' });
  assert.ok(pg.ok);
  if (pg.ok) assert.deepEqual(pg.value, postgresSchema.parse({ kind: 'postgres', database: 'm', user: 'u' }));
  const ms = replicaFromForm({ ...emptyReplicaForm(), kind: 'sqlserver', msServer: 'db', msDatabase: 'm' });
  assert.ok(ms.ok);
  if (ms.ok) assert.deepEqual(ms.value, sqlserverSchema.parse({ kind: 'sqlserver', server: 'db', database: 'm' }));

  assert.deepEqual(tablesFromForm(emptyTablesForm()), tablesSchema.parse({}));
  assert.equal(tablePrefixOf(emptyReplicaForm()), settingsSchema.shape.tablePrefix.parse(undefined));
});

test('stored settings without the optional keys fill the forms with the same defaults', () => {
  const cases: Array<[Record<string, unknown>, Partial<ReplicaForm>]> = [
    [{ kind: 'postgres', database: 'm', user: 'u' }, { kind: 'postgres', pgDatabase: 'm', pgUser: 'u' }],
    [{ kind: 'sqlserver', server: 'db', database: 'm' }, { kind: 'sqlserver', msServer: 'db', msDatabase: 'm' }],
  ];
  for (const [replica, fields] of cases) {
    const f = formsFromSettings({ tenant: { ctx: 'acme', brokers: ['k:9092'] }, replica } as unknown as PublicSettings);
    assert.deepEqual(f.replica, { ...emptyReplicaForm(), ...fields }, String(replica.kind));
    assert.deepEqual(f.tenant, { ...emptyTenantForm(), ctx: 'acme', brokers: 'k:9092' });
    assert.deepEqual(f.tables, emptyTablesForm());
  }
});

/** One value typed into the wizard, and the same value in a settings file. */
interface Case {
  name: string;
  tenant?: Partial<TenantForm>;
  replica?: Partial<ReplicaForm>;
  /** The settings document with the same value (as a config file holds it). */
  doc: (d: { tenant: Record<string, unknown>; replica: Record<string, unknown>; tablePrefix?: string }) => void;
}

const PG: Partial<ReplicaForm> = { kind: 'postgres', pgDatabase: 'm', pgUser: 'u' };
const MS: Partial<ReplicaForm> = { kind: 'sqlserver', msServer: 'db', msDatabase: 'm' };
const pgDoc = (extra: Record<string, unknown>) => (d: { replica: Record<string, unknown> }) => { d.replica = { kind: 'postgres', database: 'm', user: 'u', ...extra }; };
const msDoc = (extra: Record<string, unknown>) => (d: { replica: Record<string, unknown> }) => { d.replica = { kind: 'sqlserver', server: 'db', database: 'm', ...extra }; };

const CASES: Case[] = [
  ...['bad name;', 'tenant-a', 'mirror.x', 'tenant_a', 'Mirror1', ''].map((p): Case => ({
    name: `tablePrefix ${JSON.stringify(p)}`, replica: { tablePrefix: p }, doc: (d) => { d.tablePrefix = p; },
  })),
  ...['0', '70000', '65536', '1.5', '-1', '1', '5432', '65535'].map((p): Case => ({
    name: `PostgreSQL port ${p}`, replica: { ...PG, pgPort: p }, doc: pgDoc({ port: Number(p) }),
  })),
  ...['0', '99999', '1433'].map((p): Case => ({ name: `SQL Server port ${p}`, replica: { ...MS, msPort: p }, doc: msDoc({ port: Number(p) }) })),
  ...['1ABC', 'a-b', 'TM PG', 'TM_PG', '_x9'].map((v): Case => ({
    name: `PostgreSQL password variable ${JSON.stringify(v)}`, replica: { ...PG, pgPasswordEnv: v }, doc: pgDoc({ password: { env: v } }),
  })),
  ...['1ABC', 'MS_PW'].map((v): Case => ({
    name: `SQL Server password variable ${JSON.stringify(v)}`, replica: { ...MS, msPasswordEnv: v }, doc: msDoc({ password: { env: v } }),
  })),
  ...['9SASL', 'TM_SASL'].map((v): Case => ({
    name: `SASL password variable ${JSON.stringify(v)}`, tenant: { saslEnabled: true, saslUsername: 'u', saslPasswordEnv: v },
    doc: (d) => { d.tenant.sasl = { username: 'u', password: { env: v } }; },
  })),
  { name: 'SASL without a password', tenant: { saslEnabled: true, saslUsername: 'u' }, doc: (d) => { d.tenant.sasl = { username: 'u', password: '' }; } },
  { name: 'SASL with a typed password', tenant: { saslEnabled: true, saslUsername: 'u', saslPassword: 'p' }, doc: (d) => { d.tenant.sasl = { username: 'u', password: 'p' }; } },
  ...['', 'acme corp', '-acme', 'acme', 'a.b-c_1'].map((c): Case => ({ name: `tenant id ${JSON.stringify(c)}`, tenant: { ctx: c }, doc: (d) => { d.tenant.ctx = c; } })),
  { name: 'no broker', tenant: { brokers: '' }, doc: (d) => { d.tenant.brokers = []; } },
  { name: 'a broker without a port', tenant: { brokers: 'k:9092, nope' }, doc: (d) => { d.tenant.brokers = ['k:9092', 'nope']; } },
];

for (const c of CASES) {
  test(`wizard and schema agree: ${c.name}`, () => {
    const doc = { tenant: { ctx: 'acme', brokers: ['k:9092'] } as Record<string, unknown>, replica: { kind: 'sqlite', file: 'r.sqlite' } as Record<string, unknown> };
    c.doc(doc);
    const schema = settingsSchema.safeParse(doc);
    const t = tenantFromForm({ ...emptyTenantForm(), ctx: 'acme', brokers: 'k:9092', ...c.tenant });
    const r = replicaFromForm({ ...emptyReplicaForm(), ...c.replica });
    const wizardErrors = { ...(t.ok ? {} : t.errors), ...(r.ok ? {} : r.errors) };
    assert.equal(t.ok && r.ok, schema.success, `wizard ${t.ok && r.ok ? 'accepts' : `refuses (${JSON.stringify(wizardErrors)})`}, schema ${schema.success ? 'accepts' : `refuses (${JSON.stringify(schema.error.issues.map((i) => i.message))})`}`);
    if (!schema.success) {
      const messages = Object.values(wizardErrors);
      assert.ok(schema.error.issues.some((i) => messages.includes(i.message)), `the wizard shows the schema's message: ${JSON.stringify(messages)} vs ${JSON.stringify(schema.error.issues.map((i) => i.message))}`);
    }
  });
}
