/**
 * The reference: Debezium's JDBC sink connector (3.2, from .cache/stack/plugins) → PostgreSQL, reading
 * the same `<ctx>-cdc` topic. It runs in a Connect worker of its own (standalone, same converters as
 * the stack's worker) so it does not share a JVM with the source connector and its RSS is measurable.
 * Progress = the sink's consumer group offsets (`connect-<name>`), committed every 100 ms by the worker
 * (offset.flush.interval.ms); Connect commits a sink's offsets only after the task flushed its writes.
 */
import type { Admin, Kafka } from 'kafkajs';
import { startConnect, type ConnectWorker } from '../harness/connect.ts';
import type { PostgresDatabase } from '../harness/stack.ts';
import { Progress } from './progress.ts';

export const SINK_FLUSH_MS = 100;

export function sinkConfig(topic: string, db: PostgresDatabase, batchSize: number): Record<string, string> {
  return {
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    'tasks.max': '1',
    topics: topic,
    'connection.url': `jdbc:postgresql://${db.host}:${db.port}/${db.name}`,
    'connection.username': db.user,
    ...(db.password ? { 'connection.password': db.password } : {}),
    'insert.mode': 'upsert',
    'delete.enabled': 'true',
    'primary.key.mode': 'record_key',
    'schema.evolution': 'basic',
    'batch.size': String(batchSize),
    'use.reduction.buffer': 'true',
    // One topic carries every table: route each record by the table named in its source block.
    'collection.name.format': '${source.table}',
    // Let one poll fill a whole batch (default max.poll.records is 500).
    'consumer.override.max.poll.records': String(batchSize),
    'consumer.override.fetch.max.bytes': String(64 * 1024 * 1024),
    'consumer.override.max.partition.fetch.bytes': String(8 * 1024 * 1024),
    'consumer.override.auto.offset.reset': 'earliest',
    'errors.tolerance': 'none',
  };
}

export class JdbcSink {
  readonly progress = new Progress();
  readonly name: string;
  private worker: ConnectWorker | null = null;
  private admin: Admin | null = null;
  private poller: NodeJS.Timeout | null = null;
  private polling = false;
  startedAt = 0;

  private readonly kafka: Kafka;
  private readonly brokers: string[];
  private readonly topic: string;

  constructor(kafka: Kafka, brokers: string[], topic: string, name: string) {
    this.kafka = kafka;
    this.brokers = brokers;
    this.topic = topic;
    this.name = name;
  }

  /** Starts the dedicated Connect worker (not timed). */
  async startWorker(heapMb: number): Promise<void> {
    this.worker = await startConnect({ brokers: this.brokers, heapMb, props: { 'offset.flush.interval.ms': SINK_FLUSH_MS } });
    this.admin = this.kafka.admin();
    await this.admin.connect();
  }

  get groupId(): string { return `connect-${this.name}`; }

  /** Creates the connector (consumption starts now) and follows its committed offsets. */
  async start(config: Record<string, string>): Promise<void> {
    this.startedAt = Date.now();
    await this.worker!.client.create(this.name, config);
    this.poller = setInterval(() => { void this.poll(); }, 100);
    await this.worker!.client.waitRunning(this.name);
  }

  private async poll(): Promise<void> {
    if (this.polling || !this.admin) return;
    this.polling = true;
    try {
      const res = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] });
      const at = Date.now();
      for (const t of res) for (const p of t.partitions) if (Number(p.offset) >= 0) this.progress.commit(p.partition, BigInt(p.offset), at);
    } catch { /* group not there yet */ } finally {
      this.polling = false;
    }
  }

  /** Throws when the connector or its task FAILED (the trace says why). */
  async assertHealthy(): Promise<void> {
    const s = await this.worker!.client.status(this.name);
    const failed = s && [s.connector, ...s.tasks].find((x) => x.state === 'FAILED');
    if (failed) throw new Error(`JDBC sink FAILED: ${(failed.trace ?? '').slice(0, 3000)}`);
  }

  async pause(): Promise<void> { await this.worker!.client.pause(this.name); }
  async resume(): Promise<void> { await this.worker!.client.resume(this.name); }

  async rssMb(): Promise<number | null> { return this.worker?.rssMb() ?? null; }

  async stop(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    await this.admin?.disconnect().catch(() => undefined);
    await this.worker?.stop().catch(() => undefined);
    this.worker = null;
  }
}
