/**
 * Per-tenant wiring on a running stack: the `crm_<ctx>` source database, the tenant's topics, and a
 * Debezium MariaDB source connector that writes
 *   - every row event of every table to `<ctx>-cdc` (3 partitions, key = PK → same partition per row),
 *   - schema changes (the `<ctx>` schema change topic) to `<ctx>-schemahistory`,
 *   - notifications to `<ctx>-notifications`,
 * and reads signals from `<ctx>-signal` (plus the source signal table `crm_<ctx>.debezium_signal`, which
 * incremental snapshots need for their watermarks). Change events of the signal table itself are
 * dropped by a Filter SMT (verified: incremental snapshots still complete).
 */
import type { Kafka } from 'kafkajs';
import { ConnectClient, type ConnectorStatus } from './connect.ts';
import { createTopics, deleteTopics, topicOffsets, withAdmin, type PartitionOffsets } from './kafka.ts';
import type { MariaDbConnectionInfo } from './mariadb.ts';
import { CrmDatabase } from './source-db.ts';
import { SIGNAL_TABLE } from './crm-schema.ts';
import { collectTopic, parseJson, type RawMessage, type TopicCollector } from './topic-reader.ts';
import { randomCtx, randomHex, waitFor } from './util.ts';

export interface TenantTopics {
  cdc: string;
  schemaHistory: string;
  signal: string;
  notifications: string;
  /** Connector-internal schema history (Debezium's own; infinite retention). */
  dbHistory: string;
}

export interface TenantOptions {
  ctx?: string;
  /** Seed rows before the connector starts (total across tables, or per table). Default 0. */
  seedRows?: number | Record<string, number>;
  /** CRM tables to create (default all). */
  tables?: string[];
  seed?: number;
  /** Start the connector (default true). */
  startConnector?: boolean;
  /** Wait until the initial snapshot COMPLETED notification (default true). */
  waitForSnapshot?: boolean;
  /** Drop the signal table's change events with a Filter SMT (default true). */
  dropSignalEvents?: boolean;
  /** Extra / overriding connector config. */
  connectorConfig?: Record<string, string>;
  /** Retention of `<ctx>-cdc` in ms (default 7 days). */
  cdcRetentionMs?: number;
  snapshotTimeoutMs?: number;
}

export interface StackEndpoints {
  brokers: string[];
  kafka: Kafka;
  connect: ConnectClient;
  mariadb: MariaDbConnectionInfo;
}

export interface Notification {
  id: string;
  aggregate_type: string;
  type: string;
  additional_data: Record<string, string>;
  timestamp: number | bigint;
  /** Raw Kafka message. */
  raw: RawMessage;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The Debezium MariaDB connector config for a tenant (see the module comment). */
export function connectorConfig(p: {
  ctx: string; database: string; serverId: number; brokers: string[]; mariadb: MariaDbConnectionInfo; topics: TenantTopics;
  signalGroupId: string; dropSignalEvents: boolean;
}): Record<string, string> {
  const prefix = p.ctx;
  const cfg: Record<string, string> = {
    'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
    'tasks.max': '1',
    'database.hostname': p.mariadb.host,
    'database.port': String(p.mariadb.port),
    'database.user': p.mariadb.dbzUser,
    'database.password': p.mariadb.dbzPassword,
    'database.server.id': String(p.serverId),
    'database.ssl.mode': 'disable',
    'database.include.list': p.database,
    'topic.prefix': prefix,
    'snapshot.mode': 'initial',
    'snapshot.locking.mode': 'none',
    'include.schema.changes': 'true',
    'column.propagate.source.type': '.*',
    'decimal.handling.mode': 'precise',
    'binary.handling.mode': 'bytes',
    'time.precision.mode': 'adaptive_time_microseconds',
    // Default true turns years 0–69 / 70–99 into 2000–2069 / 1970–1999 (DATE '0001-01-01' arrived as
    // 2001-01-01): the binlog carries full years, so no adjustment is wanted.
    'enable.time.adjuster': 'false',
    'tombstones.on.delete': 'true',
    // Debezium skips truncates by default (`t`): a TRUNCATE at the source then leaves no record in any topic
    // (neither <ctx>-cdc nor the schema history), and the replica keeps every row of the table. Emitted,
    // the engine empties the table and resyncs it (scenario l).
    'skipped.operations': 'none',
    'poll.interval.ms': '100',
    // Binlog client keep-alive/reconnect check (default 60 s): after a MariaDB restart streaming resumed
    // only after ~114 s with the default; 2 s makes restarts cheap in tests.
    'connect.keep.alive.interval.ms': '2000',
    'signal.enabled.channels': 'source,kafka',
    'signal.data.collection': `${p.database}.${SIGNAL_TABLE}`,
    'signal.kafka.topic': p.topics.signal,
    'signal.kafka.bootstrap.servers': p.brokers.join(','),
    'signal.kafka.groupId': p.signalGroupId,
    // Defaults (poll every 5 s with a 100 ms poll timeout) make the first Kafka signal after a connector
    // start take ~40 s: the consumer advances one coordinator step per poll, so poll often. Keep the poll
    // timeout short: Debezium's SignalProcessor holds one semaphore while it polls the Kafka channel, and
    // every signal-table event (each incremental-snapshot window open and close) waits for it on the
    // binlog thread. A 1 s timeout polled every 1 s stalled scans at ~2 s per chunk and the whole stream
    // with them (b2's third scan: 39 s for 6,000 rows; most likely also scenario l's TRUNCATE, not in the
    // topic after 30 s in CI).
    'signal.poll.interval.ms': '500',
    'signal.kafka.poll.timeout.ms': '100',
    'notification.enabled.channels': 'sink',
    'notification.sink.topic.name': p.topics.notifications,
    'schema.history.internal.kafka.topic': p.topics.dbHistory,
    'schema.history.internal.kafka.bootstrap.servers': p.brokers.join(','),
    // The MariaDB instance is shared by all tenants: keep other databases' DDL out of this history.
    'schema.history.internal.store.only.captured.databases.ddl': 'true',
    'transforms': `${p.dropSignalEvents ? 'dropSignal,' : ''}routeRows,routeSchema`,
    'transforms.routeRows.type': 'org.apache.kafka.connect.transforms.RegexRouter',
    'transforms.routeRows.regex': `${escapeRegex(prefix)}\\.[^.]+\\.[^.]+`,
    'transforms.routeRows.replacement': p.topics.cdc,
    'transforms.routeSchema.type': 'org.apache.kafka.connect.transforms.RegexRouter',
    'transforms.routeSchema.regex': escapeRegex(prefix),
    'transforms.routeSchema.replacement': p.topics.schemaHistory,
  };
  if (p.dropSignalEvents) {
    Object.assign(cfg, {
      'transforms.dropSignal.type': 'org.apache.kafka.connect.transforms.Filter',
      'transforms.dropSignal.predicate': 'isSignalTable',
      'predicates': 'isSignalTable',
      'predicates.isSignalTable.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
      'predicates.isSignalTable.pattern': `${escapeRegex(prefix)}\\.${escapeRegex(p.database)}\\.${SIGNAL_TABLE}`,
    });
  }
  return cfg;
}

export class TenantConnector {
  readonly tenant: Tenant;
  name: string;
  config: Record<string, string>;
  /** How many times resetOffsets() ran (the internal history topic gets a generation suffix). */
  generation = 0;

  constructor(tenant: Tenant, name: string, config: Record<string, string>) {
    this.tenant = tenant;
    this.name = name;
    this.config = config;
  }

  private get rest(): ConnectClient {
    return this.tenant.endpoints.connect;
  }

  /** Creates the connector if absent, otherwise resumes it; waits for RUNNING. */
  async start(): Promise<ConnectorStatus> {
    const st = await this.rest.status(this.name);
    if (!st) await this.rest.create(this.name, this.config);
    else await this.rest.resume(this.name);
    return this.rest.waitRunning(this.name);
  }

  /** KIP-875 stop: tasks shut down (offsets flushed), config kept. */
  async stop(): Promise<void> {
    await this.rest.stopSettled(this.name);
  }

  async pause(): Promise<void> {
    await this.rest.pause(this.name);
    await this.rest.waitState(this.name, 'PAUSED');
  }

  async status(): Promise<ConnectorStatus | null> {
    return this.rest.status(this.name);
  }

  async offsets(): Promise<Array<{ partition: Record<string, unknown>; offset: Record<string, unknown> }>> {
    return (await this.rest.getOffsets(this.name)).offsets;
  }

  /**
   * "Tenant suspended and resumed": forget the connector's source offsets (DELETE /connectors/{n}/offsets
   * on the STOPPED connector) and point it at a fresh internal schema history topic, so the next
   * start() performs a full initial snapshot. Leaves the connector STOPPED.
   */
  async resetOffsets(): Promise<void> {
    await this.stop();
    await this.rest.resetOffsets(this.name);
    this.generation++;
    const history = `${this.tenant.topics.dbHistory}-g${this.generation}`;
    await createTopics(this.tenant.endpoints.kafka, [{ topic: history, configs: HISTORY_TOPIC_CONFIG }]);
    this.tenant.extraTopics.push(history);
    this.config = { ...this.config, 'schema.history.internal.kafka.topic': history };
    await this.rest.putConfig(this.name, this.config);
    // PUT config on a STOPPED connector keeps it STOPPED (verified), so start() resumes it.
    await this.rest.waitState(this.name, 'STOPPED');
  }

  /** Deletes the connector and its stored source offsets (so the name can be reused for a fresh start). */
  async delete(): Promise<void> {
    try {
      await this.rest.deleteWithOffsets(this.name);
    } catch {
      await this.rest.delete(this.name);
    }
  }
}

const HISTORY_TOPIC_CONFIG = { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' };

export class Tenant {
  readonly ctx: string;
  readonly database: string;
  readonly topics: TenantTopics;
  readonly endpoints: StackEndpoints;
  readonly source: CrmDatabase;
  readonly connector: TenantConnector;
  readonly serverId: number;
  readonly extraTopics: string[] = [];
  private notificationCollector: TopicCollector | null = null;
  private stopped = false;

  readonly signal: {
    /** Sends `execute-snapshot` on `<ctx>-signal` (key = topic.prefix). Tables are bare names or `db.table`. Returns the signal id. */
    executeSnapshot: (tables: string[], type?: 'incremental' | 'blocking', extra?: Record<string, unknown>) => Promise<string>;
    /** Sends any signal `{id, type, data}` through the Kafka channel. */
    send: (type: string, data: Record<string, unknown>, id?: string) => Promise<string>;
    /** Inserts a signal row into the source signal table (the `source` channel). */
    sendViaTable: (type: string, data: Record<string, unknown>, id?: string) => Promise<string>;
  };

  constructor(ctx: string, endpoints: StackEndpoints, opts: TenantOptions) {
    this.ctx = ctx;
    this.database = `crm_${ctx}`;
    this.endpoints = endpoints;
    this.topics = {
      cdc: `${ctx}-cdc`, schemaHistory: `${ctx}-schemahistory`, signal: `${ctx}-signal`,
      notifications: `${ctx}-notifications`, dbHistory: `${ctx}-dbhistory`,
    };
    this.serverId = 100_000 + Math.floor(Math.random() * 2_000_000_000);
    this.source = new CrmDatabase(endpoints.mariadb, this.database);
    this.connector = new TenantConnector(this, `${ctx}-source`, {
      ...connectorConfig({
        ctx, database: this.database, serverId: this.serverId, brokers: endpoints.brokers, mariadb: endpoints.mariadb,
        topics: this.topics, signalGroupId: `${ctx}-signal-${randomHex(4)}`, dropSignalEvents: opts.dropSignalEvents ?? true,
      }),
      ...opts.connectorConfig,
    });
    const qualify = (t: string): string => (t.includes('.') ? t : `${this.database}.${t}`);
    const send = async (type: string, data: Record<string, unknown>, id = `sig-${randomHex(8)}`): Promise<string> => {
      const producer = this.endpoints.kafka.producer();
      await producer.connect();
      try {
        await producer.send({ topic: this.topics.signal, messages: [{ key: this.ctx, value: JSON.stringify({ id, type, data }) }] });
      } finally {
        await producer.disconnect();
      }
      return id;
    };
    this.signal = {
      send,
      executeSnapshot: (tables, type = 'incremental', extra = {}) =>
        send('execute-snapshot', { 'data-collections': tables.map(qualify), type, ...extra }),
      sendViaTable: async (type, data, id = `sig-${randomHex(8)}`) => {
        await this.source.query(`INSERT INTO ${this.source.qt(SIGNAL_TABLE)} (id, type, data) VALUES (?, ?, ?)`, [id, type, JSON.stringify(data)]);
        return id;
      },
    };
  }

  get kafka(): Kafka {
    return this.endpoints.kafka;
  }

  async createTopics(cdcRetentionMs = 7 * 24 * 3600 * 1000): Promise<void> {
    await createTopics(this.kafka, [
      { topic: this.topics.cdc, numPartitions: 3, configs: { 'cleanup.policy': 'delete', 'retention.ms': String(cdcRetentionMs) } },
      { topic: this.topics.schemaHistory, configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1' } },
      { topic: this.topics.signal, configs: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 24 * 3600 * 1000) } },
      { topic: this.topics.notifications, configs: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 24 * 3600 * 1000) } },
      { topic: this.topics.dbHistory, configs: HISTORY_TOPIC_CONFIG },
    ]);
  }

  /** Starts (once) the background reader of `<ctx>-notifications`. */
  async notificationReader(): Promise<TopicCollector> {
    this.notificationCollector ??= await collectTopic(this.kafka, this.topics.notifications);
    return this.notificationCollector;
  }

  /** All notifications received so far (parsed). */
  async notifications(): Promise<Notification[]> {
    const c = await this.notificationReader();
    return c.messages.map(parseNotification);
  }

  /**
   * Waits for a notification matching `pred` (among all received, or those after index `from` of
   * notifications()). Example: `n => n.aggregate_type === 'Incremental Snapshot' && n.type === 'COMPLETED'`.
   */
  async waitForNotification(pred: (n: Notification) => boolean, opts: { timeoutMs?: number; from?: number } = {}): Promise<Notification> {
    const c = await this.notificationReader();
    const m = await c.waitFor((raw) => pred(parseNotification(raw)), { timeoutMs: opts.timeoutMs ?? 120_000, from: opts.from ?? 0, what: `notification on ${this.topics.notifications}` });
    return parseNotification(m);
  }

  /**
   * Waits for the initial (or blocking) snapshot COMPLETED notification after index `from` of
   * notifications(). The notification can be readable before the last snapshot records of `<ctx>-cdc`
   * are (different topics, no ordering between them): when `cdcHighBefore` (sum of the cdc partitions'
   * high watermarks before the snapshot started) is given, also waits until the topic holds the
   * `total_rows_scanned` of all TABLE_SCAN_COMPLETED notifications of this snapshot.
   */
  async waitForInitialSnapshot(opts: { timeoutMs?: number; from?: number; cdcHighBefore?: bigint } = {}): Promise<Notification> {
    const from = opts.from ?? 0;
    const done = await this.waitForNotification((n) => n.aggregate_type === 'Initial Snapshot' && n.type === 'COMPLETED', { ...opts, from });
    if (opts.cdcHighBefore !== undefined) {
      const all = await this.notifications();
      const end = all.indexOf(all.find((n) => n.raw === done.raw)!);
      const scanned = all.slice(from, end)
        .filter((n) => n.aggregate_type === 'Initial Snapshot' && n.type === 'TABLE_SCAN_COMPLETED')
        .reduce((sum, n) => sum + BigInt(n.additional_data.total_rows_scanned ?? '0'), 0n);
      const target = opts.cdcHighBefore + scanned;
      await waitFor(async () => (await this.cdcHighWatermark()) >= target, { timeoutMs: opts.timeoutMs ?? 120_000, what: `${target} records in ${this.topics.cdc}` });
    }
    // Connect flushes source offsets on a timer: until it has, a worker restart would snapshot again.
    await waitFor(async () => {
      const offs = await this.connector.offsets();
      return offs.length > 0 && offs.every((o) => o.offset['snapshot'] !== true && o.offset['snapshot'] !== 'true' && o.offset['snapshot_completed'] !== false);
    }, { timeoutMs: opts.timeoutMs ?? 120_000, what: `${this.connector.name} to commit its post-snapshot offsets` });
    return done;
  }

  /** Sum of the high watermarks of `<ctx>-cdc` (records ever written, purged or not). */
  async cdcHighWatermark(): Promise<bigint> {
    return (await this.offsets()).reduce((s, p) => s + p.high, 0n);
  }

  /** Starts a reader of `<ctx>-cdc` (or another topic) from the beginning. Stop it when done. */
  async collect(topic: string = this.topics.cdc, opts: { fromBeginning?: boolean } = {}): Promise<TopicCollector> {
    return collectTopic(this.kafka, topic, opts);
  }

  async offsets(topic: string = this.topics.cdc): Promise<PartitionOffsets[]> {
    return topicOffsets(this.kafka, topic);
  }

  /**
   * Moves the low watermark of `<ctx>-cdc` partitions (DeleteRecords): records below `offset` are gone
   * (default: the current high watermark, i.e. everything so far). `partition` undefined = all partitions.
   * Returns the new offsets.
   */
  async purge(partition?: number, offset?: bigint | number | string): Promise<PartitionOffsets[]> {
    // Purging "everything" means everything the connector will publish for the changes made so far:
    // wait until the high watermarks stop moving, so late events of a workload are purged too.
    if (offset === undefined) await this.waitCdcQuiet();
    const current = await this.offsets();
    const parts = current.filter((p) => partition === undefined || p.partition === partition);
    if (!parts.length) throw new Error(`no partition ${partition} in ${this.topics.cdc}`);
    await withAdmin(this.kafka, async (admin) => {
      await admin.fetchTopicMetadata({ topics: [this.topics.cdc] }); // deleteTopicRecords needs loaded metadata
      await admin.deleteTopicRecords({
        topic: this.topics.cdc,
        partitions: parts.map((p) => ({ partition: p.partition, offset: String(offset ?? p.high) })),
      });
    });
    return this.offsets();
  }

  /**
   * Deletes `<ctx>-cdc` and creates it again, empty, with the same partitions and retention (the
   * topic "recreated by an operator"): every stored offset is then ahead of the topic. Stop the
   * connector first, or its events of the meantime are lost with the old topic.
   */
  async recreateCdcTopic(cdcRetentionMs = 7 * 24 * 3600 * 1000): Promise<PartitionOffsets[]> {
    const partitions = (await this.offsets()).length;
    await deleteTopics(this.kafka, [this.topics.cdc]);
    await waitFor(async () => !(await withAdmin(this.kafka, (a) => a.listTopics())).includes(this.topics.cdc),
      { timeoutMs: 30_000, what: `${this.topics.cdc} to be deleted` });
    // The broker may still be removing the old log ("marked for deletion"): retry the create.
    await waitFor(async () => {
      await createTopics(this.kafka, [{ topic: this.topics.cdc, numPartitions: partitions, configs: { 'cleanup.policy': 'delete', 'retention.ms': String(cdcRetentionMs) } }]);
      return true;
    }, { timeoutMs: 30_000, what: `${this.topics.cdc} to be created again` });
    return this.offsets();
  }

  /** Resolves once the high watermarks of `<ctx>-cdc` have not moved for `quietMs`. */
  async waitCdcQuiet(quietMs = 1500, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    const marks = async (): Promise<string> => (await this.offsets()).map((o) => `${o.partition}:${o.high}`).join(',');
    let last = await marks();
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, quietMs));
      const now = await marks();
      if (now === last) return;
      last = now;
    }
    throw new Error(`${this.topics.cdc} kept growing for ${timeoutMs} ms`);
  }

  /** Deletes the connector, drops the database, deletes the tenant's topics. */
  async stop(opts: { keepDatabase?: boolean; keepTopics?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.notificationCollector?.stop();
    await this.connector.delete().catch(() => {});
    if (!opts.keepDatabase) await this.source.drop().catch(() => {});
    await this.source.close();
    if (!opts.keepTopics) {
      await deleteTopics(this.kafka, [...Object.values(this.topics), ...this.extraTopics]).catch(() => {});
    }
  }
}

export function parseNotification(m: RawMessage): Notification {
  const v = parseJson(m.value ?? 'null') as { payload: Omit<Notification, 'raw'> } | null;
  if (!v) throw new Error(`empty notification at ${m.topic}/${m.partition}/${m.offset}`);
  return { ...v.payload, additional_data: v.payload.additional_data ?? {}, raw: m };
}

/** Creates the database (+ seed), the topics and (by default) the connector, and waits for the initial snapshot. */
export async function createTenant(endpoints: StackEndpoints, opts: TenantOptions = {}): Promise<Tenant> {
  const t = new Tenant(opts.ctx ?? randomCtx(), endpoints, opts);
  try {
    await t.source.create(opts.tables ? { tables: opts.tables } : {});
    if (opts.seedRows) await t.source.seed({ rows: opts.seedRows, seed: opts.seed ?? 1, binlog: false, ...(opts.tables ? { tables: opts.tables } : {}) });
    await t.createTopics(opts.cdcRetentionMs);
    await t.notificationReader();
    if (opts.startConnector ?? true) {
      await t.connector.start();
      if (opts.waitForSnapshot ?? true) await t.waitForInitialSnapshot({ timeoutMs: opts.snapshotTimeoutMs ?? 300_000, cdcHighBefore: 0n });
    }
  } catch (e) {
    await t.stop().catch(() => {});
    throw e;
  }
  return t;
}

/** Sums the high-low of all partitions: the number of retained records. */
export async function retainedRecords(kafka: Kafka, topic: string): Promise<bigint> {
  return (await topicOffsets(kafka, topic)).reduce((s, p) => s + (p.high - p.low), 0n);
}

export { waitFor };
