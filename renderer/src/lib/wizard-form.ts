/**
 * The wizard's form model (strings, as typed) and its mapping to the contract's input shapes,
 * validated with the contract's own zod schemas. Pure: unit-tested.
 */
import { replicaInputSchema, tenantInputSchema } from '../../../preload/contract/settings-public.ts';
import type {
  PublicSettings, ReplicaWithSecretInputs, SecretInput, SettingsWithSecretInputs, TenantWithSecretInputs,
} from '../../../preload/contract/settings-public.ts';
import type { DialectName } from '../../../preload/contract/status.ts';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

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

export const DEFAULT_SQLITE_FILE = 'tenant-mirror-replica.sqlite';

export function emptyTenantForm(): TenantForm {
  return {
    ctx: '', brokers: '', ssl: false, caFile: '', saslEnabled: false, saslMechanism: 'plain', saslUsername: '',
    saslPassword: '', saslPasswordStored: false, saslPasswordEnv: '', topicPrefix: '',
  };
}

export function emptyReplicaForm(): ReplicaForm {
  return {
    kind: 'sqlite', sqliteFile: DEFAULT_SQLITE_FILE,
    pgHost: '127.0.0.1', pgPort: '5432', pgDatabase: '', pgUser: '', pgPassword: '', pgSsl: false, pgPasswordStored: false, pgPasswordEnv: '',
    msServer: '', msPort: '1433', msDatabase: '', msUser: '', msPassword: '', msDomain: '', msEncrypt: true, msTrust: false,
    msPasswordStored: false, msPasswordEnv: '', tablePrefix: '',
  };
}

export function emptyTablesForm(): TablesForm { return { include: '', exclude: [], honourBlockedList: true }; }

export const splitList = (s: string): string[] => s.split(/[\s,;]+/).map((x) => x.trim()).filter((x) => x !== '');

const blankToUndefined = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

/** An environment variable reference, a typed password, or the stored marker when the field is left empty and one is stored. */
function secret(typed: string, stored: boolean, env = ''): SecretInput | undefined {
  if (env.trim() !== '') return { env: env.trim() };
  if (typed !== '') return typed;
  return stored ? { stored: true } : undefined;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const ENV_NAME_MESSAGE = 'an environment variable name: letters, digits and _, not starting with a digit';
export const PORT_MESSAGE = 'port must be a number 1–65535';

/** Port text → number; non-numbers pass through as NaN and are reported as PORT_MESSAGE on the field. */
const port = (s: string): number => (s.trim() === '' ? Number.NaN : Number(s.trim()));
const badPort = (s: string): boolean => { const n = port(s); return !Number.isInteger(n) || n < 1 || n > 65535; };

type Issue = { path: PropertyKey[]; message: string };

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
  'sasl.mechanism': 'saslMechanism', 'sasl.username': 'saslUsername', 'sasl.password': 'saslPassword', sasl: 'saslUsername',
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
  const errors: FieldErrors = r.success ? {} : collect(r.error.issues, (p) => {
    const dotted = p.filter((x) => typeof x === 'string').join('.');
    return TENANT_FIELDS[dotted] ?? 'ctx';
  });
  if (f.saslEnabled && password === undefined) errors['saslPassword'] ??= 'enter the SASL password, or the name of an environment variable holding it';
  if (f.saslEnabled && f.saslPasswordEnv.trim() !== '' && !ENV_NAME.test(f.saslPasswordEnv.trim())) errors['saslPasswordEnv'] = ENV_NAME_MESSAGE;
  if (input.brokers.length === 0) errors['brokers'] = 'enter at least one broker as host:port';
  if (input.ctx === '') errors['ctx'] = 'enter the tenant id your provider gave you (letters, digits, _ . -)';
  else if (errors['ctx'] && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(input.ctx)) errors['ctx'] = 'the tenant id has only letters, digits, _ . - and starts with a letter or digit';
  if (!r.success || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: r.data };
}

const REPLICA_FIELDS: Record<DialectName, Record<string, string>> = {
  sqlite: { file: 'sqliteFile' },
  postgres: { host: 'pgHost', port: 'pgPort', database: 'pgDatabase', user: 'pgUser', password: 'pgPassword', ssl: 'pgSsl' },
  sqlserver: {
    server: 'msServer', port: 'msPort', database: 'msDatabase', user: 'msUser', password: 'msPassword', domain: 'msDomain',
    encrypt: 'msEncrypt', trustServerCertificate: 'msTrust',
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

export function replicaFromForm(f: ReplicaForm): Parsed<ReplicaWithSecretInputs> {
  const r = replicaInputSchema.safeParse(replicaInput(f));
  const errors: FieldErrors = {};
  if (!r.success) {
    Object.assign(errors, collect(r.error.issues, (p) => {
      const key = p.find((x) => typeof x === 'string');
      return (typeof key === 'string' ? REPLICA_FIELDS[f.kind][key] : undefined) ?? Object.values(REPLICA_FIELDS[f.kind])[0]!;
    }));
  }
  if (f.kind === 'postgres' && badPort(f.pgPort)) errors['pgPort'] = PORT_MESSAGE;
  if (f.kind === 'sqlserver' && badPort(f.msPort)) errors['msPort'] = PORT_MESSAGE;
  const env = f.kind === 'postgres' ? ['pgPasswordEnv', f.pgPasswordEnv] : f.kind === 'sqlserver' ? ['msPasswordEnv', f.msPasswordEnv] : null;
  if (env && env[1]!.trim() !== '' && !ENV_NAME.test(env[1]!.trim())) errors[env[0]!] = ENV_NAME_MESSAGE;
  if (!/^[A-Za-z0-9_]*$/.test(f.tablePrefix.trim())) errors['tablePrefix'] = 'schema name: letters, digits and _ only';
  if (!r.success || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: r.data };
}

export function tablesFromForm(f: TablesForm): SettingsWithSecretInputs['tables'] {
  return { include: splitList(f.include), exclude: [...f.exclude], honourBlockedList: f.honourBlockedList };
}

/** Fills the forms from stored settings (secrets come back only as `{stored:true}` or `{env}`). */
export function formsFromSettings(s: PublicSettings): { tenant: TenantForm; replica: ReplicaForm; tables: TablesForm } {
  const tenant: TenantForm = {
    ...emptyTenantForm(),
    ctx: s.tenant.ctx, brokers: s.tenant.brokers.join('\n'), ssl: s.tenant.ssl ?? false, caFile: s.tenant.caFile ?? '',
    topicPrefix: s.tenant.topicPrefix ?? '',
  };
  if (s.tenant.sasl) {
    tenant.saslEnabled = true;
    tenant.saslMechanism = s.tenant.sasl.mechanism ?? 'plain';
    tenant.saslUsername = s.tenant.sasl.username;
    const pw = s.tenant.sasl.password;
    if ('env' in pw) tenant.saslPasswordEnv = pw.env; else tenant.saslPasswordStored = true;
  }
  const replica: ReplicaForm = { ...emptyReplicaForm(), tablePrefix: s.tablePrefix ?? '' };
  const r = s.replica;
  if (r.kind === 'sqlite') Object.assign(replica, { kind: 'sqlite', sqliteFile: r.file });
  else if (r.kind === 'postgres') {
    Object.assign(replica, {
      kind: 'postgres', pgHost: r.host ?? '127.0.0.1', pgPort: String(r.port ?? 5432), pgDatabase: r.database, pgUser: r.user,
      pgSsl: r.ssl ?? false, pgPasswordStored: r.password !== undefined && !('env' in r.password),
      pgPasswordEnv: r.password && 'env' in r.password ? r.password.env : '',
    });
  } else {
    Object.assign(replica, {
      kind: 'sqlserver', msServer: r.server, msPort: String(r.port ?? 1433), msDatabase: r.database, msUser: r.user ?? '',
      msDomain: r.domain ?? '', msEncrypt: r.encrypt ?? true, msTrust: r.trustServerCertificate ?? false,
      msPasswordStored: r.password !== undefined && !('env' in r.password),
      msPasswordEnv: r.password && 'env' in r.password ? r.password.env : '',
    });
  }
  const tables: TablesForm = {
    include: (s.tables?.include ?? []).join('\n'), exclude: [...(s.tables?.exclude ?? [])],
    honourBlockedList: s.tables?.honourBlockedList ?? true,
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
