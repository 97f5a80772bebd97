/**
 * The real test stack: Kafka (KRaft) + Kafka Connect (standalone, Debezium plugins) + a private
 * MariaDB source + a private PostgreSQL (postgres.ts) for replica databases.
 *
 * - `startStack()` starts and owns all processes.
 * - `getSharedStack()` attaches to the stack described by the env var `MIRROR_STACK` (JSON from
 *   `describeStack()`; scripts/run-tests.ts starts one stack per run), or starts a private one when
 *   the variable is unset (cached per process). An attached stack owns no processes: stop() only
 *   removes what this process created (tenants, PostgreSQL databases), and restartKafka/Connect/
 *   MariaDb/Postgres() throw — tests that restart components must use their own `startStack()`.
 */
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { ConnectClient, startConnect, type ConnectWorker } from './connect.ts';
import { startKafka, type KafkaBroker } from './kafka.ts';
import { startMariaDb, type MariaDb, type MariaDbConnectionInfo } from './mariadb.ts';
import { startPostgres, type PostgresServer } from './postgres.ts';
import { createTenant, type Tenant, type TenantOptions, type StackEndpoints } from './tenant.ts';
import { randomHex, makeTempDir, removeDir } from './util.ts';

export interface PostgresInfo {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface StackDescription {
  version: 1;
  brokers: string[];
  connectUrl: string;
  mariadb: MariaDbConnectionInfo;
  postgres: PostgresInfo;
  /** Process ids and working dirs of the owning process (diagnostics only). */
  owner?: { pid: number; kafkaPid?: number; connectPid?: number; mariadbPid?: number; postgresPid?: number; dirs?: Record<string, string> };
}

export interface StackOptions {
  kafkaHeapMb?: number;
  connectHeapMb?: number;
  mariadbBufferPoolMb?: number;
  /** The source MariaDB's time zone (a zone name; default UTC). */
  mariadbTimeZone?: string;
  /** Parent dir for the component dirs (default: a temp dir). */
  dir?: string;
}

export interface PostgresDatabase {
  name: string;
  host: string;
  port: number;
  user: string;
  password: string;
  connectionString: string;
  config: pg.ClientConfig;
  drop(): Promise<void>;
}

export const MIRROR_STACK_ENV = 'MIRROR_STACK';

export class Stack implements StackEndpoints {
  readonly brokers: string[];
  /** kafkajs client (logging off). */
  readonly kafka: Kafka;
  /** Connect REST client. */
  readonly connect: ConnectClient;
  readonly mariadb: MariaDbConnectionInfo;
  readonly postgres: PostgresInfo;
  /** Owned processes (null when attached). */
  readonly broker: KafkaBroker | null;
  readonly connectWorker: ConnectWorker | null;
  readonly mariadbServer: MariaDb | null;
  readonly postgresServer: PostgresServer | null;
  readonly owned: boolean;
  readonly tenants = new Set<Tenant>();
  private pgDatabases = new Set<PostgresDatabase>();
  private dir: string | null;
  private stopped = false;

  constructor(p: {
    brokers: string[]; connectUrl: string; mariadb: MariaDbConnectionInfo; postgres: PostgresInfo;
    broker?: KafkaBroker; connectWorker?: ConnectWorker; mariadbServer?: MariaDb; postgresServer?: PostgresServer; dir?: string;
  }) {
    this.brokers = p.brokers;
    this.kafka = new Kafka({ clientId: 'mirror-harness', brokers: p.brokers, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
    this.connect = new ConnectClient(p.connectUrl);
    this.mariadb = p.mariadb;
    this.postgres = p.postgres;
    this.broker = p.broker ?? null;
    this.connectWorker = p.connectWorker ?? null;
    this.mariadbServer = p.mariadbServer ?? null;
    this.postgresServer = p.postgresServer ?? null;
    this.owned = Boolean(p.broker);
    this.dir = p.dir ?? null;
  }

  get connectUrl(): string {
    return this.connect.url;
  }

  /** New tenant: database `crm_<ctx>` (+ seed), topics, connector; waits for the initial snapshot by default. */
  async createTenant(opts: TenantOptions = {}): Promise<Tenant> {
    const t = await createTenant(this, opts);
    this.tenants.add(t);
    const stop = t.stop.bind(t);
    t.stop = async (o) => { this.tenants.delete(t); await stop(o); };
    return t;
  }

  /** A fresh, empty PostgreSQL database with a random name; drop() removes it (also done by stop()). */
  async createPostgresDatabase(): Promise<PostgresDatabase> {
    const name = `mirror_${randomHex(6)}`;
    const base = { host: this.postgres.host, port: this.postgres.port, user: this.postgres.user, password: this.postgres.password };
    const admin = new pg.Client({ ...base, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.end();
    }
    const db: PostgresDatabase = {
      name, ...base,
      connectionString: `postgresql://${encodeURIComponent(base.user)}${base.password ? `:${encodeURIComponent(base.password)}` : ''}@${base.host}:${base.port}/${name}`,
      config: { ...base, database: name },
      drop: async () => {
        this.pgDatabases.delete(db);
        const c = new pg.Client({ ...base, database: 'postgres' });
        await c.connect();
        try {
          await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await c.end();
        }
      },
    };
    this.pgDatabases.add(db);
    return db;
  }

  describe(): StackDescription {
    return {
      version: 1, brokers: this.brokers, connectUrl: this.connect.url, mariadb: this.mariadb, postgres: this.postgres,
      owner: {
        pid: process.pid,
        ...(this.broker?.pid ? { kafkaPid: this.broker.pid } : {}),
        ...(this.connectWorker?.pid ? { connectPid: this.connectWorker.pid } : {}),
        ...(this.mariadbServer?.pid ? { mariadbPid: this.mariadbServer.pid } : {}),
        ...(this.postgresServer?.pid ? { postgresPid: this.postgresServer.pid } : {}),
        ...(this.broker && this.connectWorker && this.mariadbServer && this.postgresServer
          ? { dirs: { kafka: this.broker.dir, connect: this.connectWorker.dir, mariadb: this.mariadbServer.dir, postgres: this.postgresServer.dir } } : {}),
      },
    };
  }

  private requireOwned(what: string): void {
    if (!this.owned) throw new Error(`${what}: this stack is attached (MIRROR_STACK); start a private stack with startStack() to restart components`);
  }

  async restartKafka(opts: { hard?: boolean } = {}): Promise<void> {
    this.requireOwned('restartKafka');
    await this.broker!.restart(opts);
  }

  /** Restarts the Connect worker; connectors are re-created from their configs (offsets file kept). */
  async restartConnect(opts: { hard?: boolean } = {}): Promise<void> {
    this.requireOwned('restartConnect');
    await this.connectWorker!.restart(opts);
  }

  async restartMariaDb(opts: { hard?: boolean } = {}): Promise<void> {
    this.requireOwned('restartMariaDb');
    await this.mariadbServer!.restart(opts);
  }

  /** Stops the replica PostgreSQL for real (fast shutdown, or kill -9 with `hard`) and starts it again. */
  async restartPostgres(opts: { hard?: boolean } = {}): Promise<void> {
    this.requireOwned('restartPostgres');
    await this.postgresServer!.restart(opts);
  }

  /** Memory of the owned processes in MB (RSS). */
  async rss(): Promise<{ kafka: number | null; connect: number | null; mariadb: number | null }> {
    return {
      kafka: (await this.broker?.rssMb()) ?? null,
      connect: (await this.connectWorker?.rssMb()) ?? null,
      mariadb: (await this.mariadbServer?.rssMb()) ?? null,
    };
  }

  /** Removes this process's tenants and PostgreSQL databases; stops owned processes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of [...this.tenants]) await t.stop().catch(() => {});
    for (const d of [...this.pgDatabases]) await d.drop().catch(() => {});
    if (this.owned) {
      await this.connectWorker?.stop();
      await this.broker?.stop();
      await this.mariadbServer?.stop();
      await this.postgresServer?.stop();
      if (this.dir) removeDir(this.dir);
    }
  }
}

/** Starts Kafka, MariaDB, PostgreSQL (in parallel), then Connect. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const dir = opts.dir ?? makeTempDir('mirror-stack');
  const started: Array<{ stop: () => Promise<void> }> = [];
  try {
    const [broker, maria, pgServer] = await Promise.all([
      startKafka({ dir: `${dir}/kafka`, ...(opts.kafkaHeapMb ? { heapMb: opts.kafkaHeapMb } : {}) }).then((b) => { started.push(b); return b; }),
      startMariaDb({ dir: `${dir}/mariadb`, ...(opts.mariadbBufferPoolMb ? { bufferPoolMb: opts.mariadbBufferPoolMb } : {}), ...(opts.mariadbTimeZone ? { timeZone: opts.mariadbTimeZone } : {}) }).then((m) => { started.push(m); return m; }),
      startPostgres().then((p) => { started.push(p); return p; }),
    ]);
    const worker = await startConnect({ brokers: broker.brokers, dir: `${dir}/connect`, ...(opts.connectHeapMb ? { heapMb: opts.connectHeapMb } : {}) });
    started.push(worker);
    return new Stack({
      brokers: broker.brokers, connectUrl: worker.url, mariadb: maria.info(), postgres: pgServer.info(),
      broker, connectWorker: worker, mariadbServer: maria, postgresServer: pgServer, dir,
    });
  } catch (e) {
    for (const s of started.reverse()) await s.stop().catch(() => {});
    removeDir(dir);
    throw e;
  }
}

/** Attaches to a described stack (owns no processes). */
export function attachStack(desc: StackDescription): Stack {
  return new Stack({ brokers: desc.brokers, connectUrl: desc.connectUrl, mariadb: desc.mariadb, postgres: desc.postgres });
}

export function describeStack(stack: Stack): string {
  return JSON.stringify(stack.describe());
}

let shared: Promise<Stack> | null = null;

/**
 * The stack for this test process: attached from MIRROR_STACK when set, otherwise a private stack
 * started once per process (stop it with stopStack() in an `after` hook).
 */
export function getSharedStack(): Promise<Stack> {
  shared ??= (async () => {
    const env = process.env[MIRROR_STACK_ENV];
    if (env) return attachStack(JSON.parse(env) as StackDescription);
    return startStack();
  })();
  return shared;
}

/** Stops the given stack, or the shared one (attached: cleans up this process's tenants only). */
export async function stopStack(stack?: Stack): Promise<void> {
  if (stack) {
    await stack.stop();
    return;
  }
  if (!shared) return;
  const s = await shared.catch(() => null);
  shared = null;
  await s?.stop();
}
