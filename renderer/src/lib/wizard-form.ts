/**
 * The wizard's form model (strings, as typed) and its mapping to the contract's input shapes. Defaults,
 * rules and their messages all come from the settings schema (preload/contract/settings.ts): this file
 * only maps fields to keys and errors back to fields, so the wizard refuses exactly what the CLI refuses.
 * Pure: unit-tested (wizard-follows-settings-schema.test.ts checks that they agree).
 */
import {
  ENV_NAME_MESSAGE, PORT_MESSAGE, postgresSchema, saslSchema, sqlserverSchema, tablePrefixSchema, tablesSchema, tenantSchema,
} from '../../../preload/contract/settings.ts';
import { replicaInputSchema, tenantInputSchema } from '../../../preload/contract/settings-public.ts';
import type {
  PublicSettings, ReplicaWithSecretInputs, SecretInput, SettingsWithSecretInputs, TenantWithSecretInputs,
} from '../../../preload/contract/settings-public.ts';
import type { Settings } from '../../../preload/contract/settings.ts';
import type { DialectName } from '../../../preload/contract/status.ts';

export type SaslMechanism = NonNullable<Settings['tenant']['sasl']>['mechanism'];

export interface TenantForm {
  ctx: string;
  /** One `host:port` per line or comma-separated. */
  brokers: string;
  ssl: boolean;
  caFile: string;
  saslEnabled: boolean;
  saslMechanism: SaslMechanism;
  saslUsername: string;
  saslPassword: string;
  /** A password is stored in the shell; an empty field keeps it. */
  saslPasswordStored: boolean;
  /** Name of an environment variable holding the password (wins over a typed one). */
  saslPasswordEnv: string;
  topicPrefix: string;
}

/** Every dialect keeps its own fields, so switching the kind back and forth loses nothing. */
export interface ReplicaForm {
  kind: DialectName;
  sqliteFile: string;
  pgHost: string; pgPort: string; pgDatabase: string; pgUser: string; pgPassword: string; pgSsl: boolean; pgPasswordStored: boolean;
  /** Name of an environment variable holding the password (wins over a typed one). */
  pgPasswordEnv: string;
  msServer: string; msPort: string; msDatabase: string; msUser: string; msPassword: string; msDomain: string;
  msEncrypt: boolean; msTrust: boolean; msPasswordStored: boolean; msPasswordEnv: string;
  tablePrefix: string;
}

export interface TablesForm { include: string; exclude: string[]; honourBlockedList: boolean }

/** Field name → message. Keys are the form's own field names. */
export type FieldErrors = Record<string, string>;
export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

/** A suggestion for the file name (the schema has no default: a config file must name its file). */
export const DEFAULT_SQLITE_FILE = 'tenant-mirror-replica.sqlite';

/** The default of a schema key (what the CLI and the store fill in when the key is left out). */
const fallback = <T>(schema: { parse(v: undefined): T }): T => schema.parse(undefined);
/** The schema's defaults for the keys the forms show. */
export const FORM_DEFAULTS = {
  tenantSsl: fallback(tenantSchema.shape.ssl),
  saslMechanism: fallback(saslSchema.shape.mechanism),
  pgHost: fallback(postgresSchema.shape.host),
  pgPort: fallback(postgresSchema.shape.port),
  pgSsl: fallback(postgresSchema.shape.ssl),
  msPort: fallback(sqlserverSchema.shape.port),
  msEncrypt: fallback(sqlserverSchema.shape.encrypt),
  msTrust: fallback(sqlserverSchema.shape.trustServerCertificate),
  tablePrefix: fallback(tablePrefixSchema),
  include: fallback(tablesSchema.shape.include),
  exclude: fallback(tablesSchema.shape.exclude),
  honourBlockedList: fallback(tablesSchema.shape.honourBlockedList),
};

export function emptyTenantForm(): TenantForm {
  return {
    ctx: '', brokers: '', ssl: FORM_DEFAULTS.tenantSsl, caFile: '', saslEnabled: false, saslMechanism: FORM_DEFAULTS.saslMechanism, saslUsername: '',
    saslPassword: '', saslPasswordStored: false, saslPasswordEnv: '', topicPrefix: '',
  };
}

export function emptyReplicaForm(): ReplicaForm {
  const d = FORM_DEFAULTS;
  return {
    kind: 'sqlite', sqliteFile: DEFAULT_SQLITE_FILE,
    pgHost: d.pgHost, pgPort: String(d.pgPort), pgDatabase: '', pgUser: '', pgPassword: '', pgSsl: d.pgSsl, pgPasswordStored: false, pgPasswordEnv: '',
    msServer: '', msPort: String(d.msPort), msDatabase: '', msUser: '', msPassword: '', msDomain: '', msEncrypt: d.msEncrypt, msTrust: d.msTrust,
    msPasswordStored: false, msPasswordEnv: '', tablePrefix: d.tablePrefix,
  };
}

export function emptyTablesForm(): TablesForm {
  return { include: FORM_DEFAULTS.include.join('\n'), exclude: [...FORM_DEFAULTS.exclude], honourBlockedList: FORM_DEFAULTS.honourBlockedList };
}

export const splitList = (s: string): string[] => s.split(/[\s,;]+/).map((x) => x.trim()).filter((x) => x !== '');

const blankToUndefined = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

/** An environment variable reference, a typed password, or the stored marker when the field is left empty and one is stored. */
function secret(typed: string, stored: boolean, env = ''): SecretInput | undefined {
  if (env.trim() !== '') return { env: env.trim() };
  if (typed !== '') return typed;
  return stored ? { stored: true } : undefined;
}

export { ENV_NAME_MESSAGE, PORT_MESSAGE };

/** Port text → number; non-numbers pass through as NaN and the schema reports PORT_MESSAGE on the field. */
const port = (s: string): number => (s.trim() === '' ? Number.NaN : Number(s.trim()));

type Issue = { path: PropertyKey[]; message: string };

/** `['sasl', 'password', 'env']` -> `sasl.password.env` (array indexes left out). */
const dotted = (path: PropertyKey[]): string => path.filter((x) => typeof x === 'string').join('.');

function collect(issues: readonly Issue[], fieldOf: (path: PropertyKey[]) => string): FieldErrors {
  const out: FieldErrors = {};
  for (const i of issues) {
    const key = fieldOf(i.path);
    out[key] ??= i.message;
  }
  return out;
}

const TENANT_FIELDS: Record<string, string> = {
  ctx: 'ctx', brokers: 'brokers', ssl: 'ssl', caFile: 'caFile', topicPrefix: 'topicPrefix',
  'sasl.mechanism': 'saslMechanism', 'sasl.username': 'saslUsername', 'sasl.password': 'saslPassword', 'sasl.password.env': 'saslPasswordEnv',
  sasl: 'saslUsername',
};

export function tenantFromForm(f: TenantForm): Parsed<TenantWithSecretInputs> {
  const password = secret(f.saslPassword, f.saslPasswordStored, f.saslPasswordEnv);
  const input = {
    ctx: f.ctx.trim(),
    brokers: splitList(f.brokers),
    ssl: f.ssl,
    ...(blankToUndefined(f.caFile) ? { caFile: f.caFile.trim() } : {}),
    ...(f.saslEnabled ? { sasl: { mechanism: f.saslMechanism, username: f.saslUsername.trim(), password: password ?? '' } } : {}),
    ...(blankToUndefined(f.topicPrefix) ? { topicPrefix: f.topicPrefix.trim() } : {}),
  };
  const r = tenantInputSchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, errors: collect(r.error.issues, (p) => TENANT_FIELDS[dotted(p)] ?? 'ctx') };
}

const REPLICA_FIELDS: Record<DialectName, Record<string, string>> = {
  sqlite: { file: 'sqliteFile' },
  postgres: { host: 'pgHost', port: 'pgPort', database: 'pgDatabase', user: 'pgUser', password: 'pgPassword', 'password.env': 'pgPasswordEnv', ssl: 'pgSsl' },
  sqlserver: {
    server: 'msServer', port: 'msPort', database: 'msDatabase', user: 'msUser', password: 'msPassword', 'password.env': 'msPasswordEnv',
    domain: 'msDomain', encrypt: 'msEncrypt', trustServerCertificate: 'msTrust',
  },
};

function replicaInput(f: ReplicaForm): Record<string, unknown> {
  switch (f.kind) {
    case 'sqlite': return { kind: 'sqlite', file: f.sqliteFile.trim() };
    case 'postgres': {
      const password = secret(f.pgPassword, f.pgPasswordStored, f.pgPasswordEnv);
      return {
        kind: 'postgres', host: f.pgHost.trim(), port: port(f.pgPort), database: f.pgDatabase.trim(), user: f.pgUser.trim(),
        ssl: f.pgSsl, ...(password !== undefined ? { password } : {}),
      };
    }
    case 'sqlserver': {
      const password = secret(f.msPassword, f.msPasswordStored, f.msPasswordEnv);
      return {
        kind: 'sqlserver', server: f.msServer.trim(), port: port(f.msPort), database: f.msDatabase.trim(),
        ...(blankToUndefined(f.msUser) ? { user: f.msUser.trim() } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(blankToUndefined(f.msDomain) ? { domain: f.msDomain.trim() } : {}),
        encrypt: f.msEncrypt, trustServerCertificate: f.msTrust,
      };
    }
  }
}

/** The destination schema (the `tablePrefix` key) as the wizard sends it. */
export const tablePrefixOf = (f: ReplicaForm): string => f.tablePrefix.trim();

export function replicaFromForm(f: ReplicaForm): Parsed<ReplicaWithSecretInputs> {
  const r = replicaInputSchema.safeParse(replicaInput(f));
  const fields = REPLICA_FIELDS[f.kind];
  const errors: FieldErrors = r.success ? {} : collect(r.error.issues, (p) => fields[dotted(p)] ?? fields[dotted(p.slice(0, 1))] ?? Object.values(fields)[0]!);
  const prefix = tablePrefixSchema.safeParse(tablePrefixOf(f));
  if (!prefix.success) errors['tablePrefix'] = prefix.error.issues[0]!.message;
  if (!r.success || !prefix.success) return { ok: false, errors };
  return { ok: true, value: r.data };
}

export function tablesFromForm(f: TablesForm): SettingsWithSecretInputs['tables'] {
  return { include: splitList(f.include), exclude: [...f.exclude], honourBlockedList: f.honourBlockedList };
}

/** Fills the forms from stored settings (secrets come back only as `{stored:true}` or `{env}`). */
export function formsFromSettings(s: PublicSettings): { tenant: TenantForm; replica: ReplicaForm; tables: TablesForm } {
  const tenant: TenantForm = {
    ...emptyTenantForm(),
    ctx: s.tenant.ctx, brokers: s.tenant.brokers.join('\n'), ssl: s.tenant.ssl ?? FORM_DEFAULTS.tenantSsl, caFile: s.tenant.caFile ?? '',
    topicPrefix: s.tenant.topicPrefix ?? '',
  };
  if (s.tenant.sasl) {
    tenant.saslEnabled = true;
    tenant.saslMechanism = s.tenant.sasl.mechanism ?? FORM_DEFAULTS.saslMechanism;
    tenant.saslUsername = s.tenant.sasl.username;
    const pw = s.tenant.sasl.password;
    if ('env' in pw) tenant.saslPasswordEnv = pw.env; else tenant.saslPasswordStored = true;
  }
  const replica: ReplicaForm = { ...emptyReplicaForm(), tablePrefix: s.tablePrefix ?? FORM_DEFAULTS.tablePrefix };
  const r = s.replica;
  if (r.kind === 'sqlite') Object.assign(replica, { kind: 'sqlite', sqliteFile: r.file });
  else if (r.kind === 'postgres') {
    Object.assign(replica, {
      kind: 'postgres', pgHost: r.host ?? FORM_DEFAULTS.pgHost, pgPort: String(r.port ?? FORM_DEFAULTS.pgPort), pgDatabase: r.database, pgUser: r.user,
      pgSsl: r.ssl ?? FORM_DEFAULTS.pgSsl, pgPasswordStored: r.password !== undefined && !('env' in r.password),
      pgPasswordEnv: r.password && 'env' in r.password ? r.password.env : '',
    });
  } else {
    Object.assign(replica, {
      kind: 'sqlserver', msServer: r.server, msPort: String(r.port ?? FORM_DEFAULTS.msPort), msDatabase: r.database, msUser: r.user ?? '',
      msDomain: r.domain ?? '', msEncrypt: r.encrypt ?? FORM_DEFAULTS.msEncrypt, msTrust: r.trustServerCertificate ?? FORM_DEFAULTS.msTrust,
      msPasswordStored: r.password !== undefined && !('env' in r.password),
      msPasswordEnv: r.password && 'env' in r.password ? r.password.env : '',
    });
  }
  const tables: TablesForm = {
    include: (s.tables?.include ?? FORM_DEFAULTS.include).join('\n'), exclude: [...(s.tables?.exclude ?? FORM_DEFAULTS.exclude)],
    honourBlockedList: s.tables?.honourBlockedList ?? FORM_DEFAULTS.honourBlockedList,
  };
  return { tenant, replica, tables };
}

/**
 * Where a settings key named by an error (`detail.key`, e.g. `replica.password`) is on the forms, so
 * the error is shown on that field. A password the shell may not store goes to the variable field.
 */
export function fieldForKey(key: string, kind: DialectName): { form: 'tenant' | 'replica'; field: string } | null {
  const [scope, ...rest] = key.split('.');
  const sub = rest.join('.');
  if (scope === 'tenant') {
    if (sub === 'sasl.password') return { form: 'tenant', field: 'saslPasswordEnv' };
    const field = TENANT_FIELDS[sub];
    return field ? { form: 'tenant', field } : null;
  }
  if (scope === 'replica') {
    if (sub === 'password' && kind !== 'sqlite') return { form: 'replica', field: kind === 'postgres' ? 'pgPasswordEnv' : 'msPasswordEnv' };
    const field = REPLICA_FIELDS[kind][sub];
    return field ? { form: 'replica', field } : null;
  }
  if (scope === 'tablePrefix') return { form: 'replica', field: 'tablePrefix' };
  return null;
}
