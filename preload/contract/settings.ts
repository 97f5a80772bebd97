/**
 * The one configuration schema: used by the CLI's JSON config file, the desktop settings store and
 * the setup wizard, which take their defaults and rules (and the messages of those rules) from here
 * only. Keys are modelled on the product's appsettings.json in camelCase.
 * Secrets (passwords) are never stored in clear: in a config file they are given as
 * `{ "env": "VAR" }`; the desktop app keeps them encrypted with safeStorage and injects them at start.
 */
import { z } from 'zod';

export const ENV_NAME_MESSAGE = 'an environment variable name: letters, digits and _, not starting with a digit';
export const PORT_MESSAGE = 'port must be a number 1–65535';
export const SASL_PASSWORD_MESSAGE = 'enter the SASL password, or the name of an environment variable holding it';
export const TABLE_PREFIX_MESSAGE = 'schema name: letters, digits and _ only';
export const RETRY_ORDER_MESSAGE = 'must be at least the first retry back-off';

/** `{ env: NAME }`: the secret is read from that environment variable. */
export const envSecretSchema = z.object({
  env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, ENV_NAME_MESSAGE).describe('environment variable holding the secret'),
}).strict();
/** A secret: a literal (only from the wizard / tests, never written to disk) or an environment variable name. */
export const secretSchema = z.union([z.string(), envSecretSchema]);
export type Secret = z.infer<typeof secretSchema>;

/** A secret that must be given: an empty literal is refused (`message` says what to enter). */
export const requiredSecret = <S extends z.ZodType>(secret: S, message: string) => secret.refine((v) => v !== '', message);

export const saslSchema = z.object({
  mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).default('plain'),
  username: z.string().min(1),
  password: requiredSecret(secretSchema, SASL_PASSWORD_MESSAGE),
}).strict();

export const tenantSchema = z.object({
  ctx: z.string()
    .min(1, 'enter the tenant id your provider gave you (letters, digits, _ . -)')
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'the tenant id has only letters, digits, _ . - and starts with a letter or digit')
    .describe('tenant context id; topics are <ctx>-cdc, <ctx>-schemahistory, <ctx>-signal, <ctx>-notifications'),
  brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'broker must be host:port')).min(1, 'enter at least one broker as host:port'),
  ssl: z.boolean().default(false),
  /** PEM CA certificate path for TLS, when the broker uses a private CA. */
  caFile: z.string().optional(),
  sasl: saslSchema.optional(),
  clientId: z.string().default('tenant-mirror'),
  /** Debezium's topic.prefix, the key of signal messages. Defaults to ctx. */
  topicPrefix: z.string().optional(),
}).strict();

/** A TCP port, 1–65535. */
const port = (fallback: number) => z.number({ error: PORT_MESSAGE }).int(PORT_MESSAGE).min(1, PORT_MESSAGE).max(65535, PORT_MESSAGE).default(fallback);

export const sqliteSchema = z.object({ kind: z.literal('sqlite'), file: z.string().min(1) }).strict();
export const postgresSchema = z.object({
  kind: z.literal('postgres'),
  host: z.string().default('127.0.0.1'),
  port: port(5432),
  database: z.string().min(1),
  user: z.string().min(1),
  password: secretSchema.optional(),
  ssl: z.boolean().default(false),
}).strict();
export const sqlserverSchema = z.object({
  kind: z.literal('sqlserver'),
  server: z.string().min(1),
  port: port(1433),
  database: z.string().min(1),
  user: z.string().optional(),
  password: secretSchema.optional(),
  /** Windows integrated auth via NTLM domain, when set. */
  domain: z.string().optional(),
  encrypt: z.boolean().default(true),
  trustServerCertificate: z.boolean().default(false),
}).strict();

export const replicaSchema = z.discriminatedUnion('kind', [sqliteSchema, postgresSchema, sqlserverSchema]);

export const tablesSchema = z.object({
  /** `schema.table` names or globs (`crm7.*`); empty = all tables. */
  include: z.array(z.string()).default([]),
  exclude: z.array(z.string()).default([]),
  /** Honour the product's blocked-tables list (never mirrored). */
  honourBlockedList: z.boolean().default(true),
}).strict();

/** Destination schema override; empty keeps the source schema. A plain identifier in every dialect. */
export const tablePrefixSchema = z.string().regex(/^[A-Za-z0-9_]*$/, TABLE_PREFIX_MESSAGE).default('');

/** The cross-field rule of the retry back-off, for the whole schema and the Settings page alike. */
export function retryOrderIssue(v: { retryInitialMs: number; retryMaxMs: number }): string | null {
  return v.retryMaxMs < v.retryInitialMs ? RETRY_ORDER_MESSAGE : null;
}

/** The settings keys, without the cross-field rules: extend this, then apply withSettingsRules. */
export const settingsFieldsSchema = z.object({
  tenant: tenantSchema,
  replica: replicaSchema,
  /** Destination schema override; empty keeps the source schema. Set before provision. */
  tablePrefix: tablePrefixSchema,
  tables: tablesSchema.default({ include: [], exclude: [], honourBlockedList: true }),
  /** Longest wait (s) for a fetch to fill (minFetchBytes) before a smaller batch is applied. */
  maxPollTimeSeconds: z.number().min(0.01).max(300).default(0.1),
  /**
   * A fetch returns once this many bytes are there (at most maxBytes), or after maxPollTimeSeconds. With 1
   * byte, events trickling in became transactions of a few events each (130–630 a second at 500–1,600
   * source ops/s): half the engine's CPU per event went to the transactions' own cost (docs/benchmarks.md, "Fetch
   * fill"). On the fetch thread since 2026-12-02, on the apply thread too since 2026-12-05 (kafka-client.ts).
   */
  minFetchBytes: z.number().int().min(1).default(1024 * 1024),
  /** Soft limit on the bytes of one fetch (half of it per partition, at least 1 MiB); bounds the engine's memory. */
  maxBytes: z.number().int().min(1024).default(2 * 1024 * 1024),
  /**
   * Most bytes of fetched events held ahead of the replica writes, counted without their schema part
   * (decode/compact.ts); bounds the engine's memory. Kept apart from maxBytes: a small fetch keeps each
   * response buffer small, a larger read-ahead keeps kafkajs fetching while a transaction is written.
   * 8 MiB: at 16 MiB a 1M-row snapshot into PostgreSQL peaked at 249–257 MB, at 8 MiB 218–230 MB with the
   * same events/s (docs/benchmarks.md, "Read-ahead 8 MiB").
   */
  readAheadBytes: z.number().int().min(64 * 1024).default(8 * 1024 * 1024),
  /**
   * Fetch on a thread of its own (main/engine/source/fetch-thread.ts): kafkajs's fetches and record decoding
   * then overlap with decoding and writing. `auto`: for a SQLite replica, whose writes keep the engine's
   * thread busy; not for PostgreSQL or SQL Server, where that thread waits on the replica anyway and the
   * second thread only costs memory (docs/benchmarks.md, "The fetch thread"). `off`: one thread does everything.
   */
  fetchThread: z.enum(['auto', 'on', 'off']).default('auto'),
  /** Events per replica transaction (a batch may be split into several). */
  databaseBatchSize: z.number().int().min(1).max(1_000_000).default(5_000),
  schemaUpdateIntervalSeconds: z.number().int().min(1).default(3600),
  autoResyncOnGap: z.boolean().default(true),
  /** Retry back-off for failed batches. */
  retryInitialMs: z.number().int().min(1).default(500),
  retryMaxMs: z.number().int().min(1).default(30_000),
  /** How long after a snapshot's end (its `last` record, a resync's scan-completed notification) the sweep fence is read; applying goes on meanwhile. */
  snapshotFenceDelayMs: z.number().int().min(0).default(1500),
  /** A resync whose table scan shows no progress for this long has its signal sent again. */
  resyncStallSeconds: z.number().int().min(10).default(600),
  logLevel: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
}).strict();

/** `schema` with the rules that span several keys (zod refuses to extend a refined object, so they are added last). */
export function withSettingsRules<T extends z.ZodType<{ retryInitialMs: number; retryMaxMs: number }>>(schema: T): T {
  return schema.superRefine((v, ctx) => {
    const retry = retryOrderIssue(v);
    if (retry) ctx.addIssue({ code: 'custom', path: ['retryMaxMs'], message: `${retry} (retryInitialMs)` });
  });
}

export const settingsSchema = withSettingsRules(settingsFieldsSchema);

/**
 * Keys settings files may still hold that nothing reads any more (dotted paths): dropped when a file is
 * read, so an old file loads under the strict schema.
 * - `maxBatchSize` (most events per apply batch) was never read: a batch is what one Kafka fetch returns
 *   (maxBytes, maxPollTimeSeconds), written in transactions of databaseBatchSize events.
 * - `tenant.sourceDatabase` was never read: signal data-collection ids are built from each event's own
 *   `source.db` (decode/envelope.ts `collectionId`).
 */
export const RETIRED_SETTING_KEYS = ['maxBatchSize', 'tenant.sourceDatabase'] as const;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `doc` without the retired keys (a copy of what changes; anything but a plain object is returned as is). */
export function withoutRetiredSettings<T>(doc: T): T {
  if (!isPlainObject(doc)) return doc;
  let copy: Record<string, unknown> = doc;
  for (const path of RETIRED_SETTING_KEYS) {
    const [head, key] = path.split('.') as [string, string | undefined];
    if (key === undefined) {
      if (head in copy) { copy = { ...copy }; delete copy[head]; }
      continue;
    }
    const inner = copy[head];
    if (isPlainObject(inner) && key in inner) {
      const rest = { ...inner };
      delete rest[key];
      copy = { ...copy, [head]: rest };
    }
  }
  return copy as T;
}

export type Settings = z.infer<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;
export type ReplicaSettings = z.infer<typeof replicaSchema>;

/** Human-readable list of problems, each naming the key path. */
export function describeSettingsIssues(err: z.ZodError): string[] {
  return err.issues.map((i) => {
    const path = i.path.length ? i.path.join('.') : '(root)';
    if (i.code === 'unrecognized_keys') return `${path}: unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${path}: ${i.message}`;
  });
}

/** How a saved setting takes effect: `live` on the running engine, `restart` when the engine restarts (saving restarts it), `provision` only on a new replica. */
export type SettingApplies = 'live' | 'restart' | 'provision';

/** The tuning keys the Settings page edits: one entry per key of `settingsSchema`, described once here. */
export const TUNING_KEYS = {
  schemaUpdateIntervalSeconds: { label: 'Schema check interval (s)', description: 'How often the source schema is compared with the replica. DDL seen in the schema history is applied sooner.', applies: 'restart' },
  autoResyncOnGap: { label: 'Resync automatically after a gap', description: 'When change events were purged before they were applied, resync the affected tables without asking. Off: they stay stale until you resync them.', applies: 'restart' },
  logLevel: { label: 'Log level', description: 'How much the engine writes to its log: error, warn, info or debug.', applies: 'restart' },
  databaseBatchSize: { label: 'Events per replica transaction', description: 'A batch larger than this is written in several transactions.', applies: 'restart' },
  maxPollTimeSeconds: { label: 'Longest wait for a batch (s)', description: 'How long a fetch may wait to fill before a smaller batch is applied.', applies: 'restart' },
  minFetchBytes: { label: 'Fetch fill (bytes)', description: 'A fetch returns once this many bytes are there, or after the longest wait for a batch, so events trickling in are written in fewer, larger transactions.', applies: 'restart' },
  maxBytes: { label: 'Fetch size limit (bytes)', description: 'Soft limit on the bytes of one fetch; bounds the engine\'s memory.', applies: 'restart' },
  readAheadBytes: { label: 'Read-ahead limit (bytes)', description: 'Most bytes of change events held ahead of the replica writes (without their schema part); bounds the engine\'s memory.', applies: 'restart' },
  fetchThread: { label: 'Fetch on a separate thread', description: 'Reads from Kafka on a thread of its own, so fetching overlaps with writing the replica. Auto: for SQLite replicas only (a network replica leaves the engine\'s thread waiting anyway). Off: one thread does both.', applies: 'restart' },
  retryInitialMs: { label: 'First retry after (ms)', description: 'Back-off before a failed batch is tried again; it doubles each time.', applies: 'restart' },
  retryMaxMs: { label: 'Longest retry back-off (ms)', description: 'The back-off never grows past this.', applies: 'restart' },
  resyncStallSeconds: { label: 'Snapshot stall timeout (s)', description: 'A resync whose table scan shows no progress for this long has its signal sent again and is shown stalled; a full snapshot that delivers no row for this long is shown stalled.', applies: 'restart' },
  snapshotFenceDelayMs: { label: 'Snapshot fence delay (ms)', description: 'How long after a snapshot ends the sweep fence is read (changes keep being applied meanwhile).', applies: 'restart' },
} as const satisfies Partial<Record<keyof Settings, { label: string; description: string; applies: SettingApplies }>>;
export type TuningKey = keyof typeof TUNING_KEYS;
