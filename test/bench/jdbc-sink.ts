/**
 * The reference: Debezium's JDBC sink connector (3.2, from .cache/stack/plugins) → PostgreSQL, reading
 * the same `<ctx>-cdc` topic, tuned as its users would run it (README, Benchmarks):
 *   - its own Connect worker (standalone, same converters as the stack's) with G1 and -Xms = -Xmx, so
 *     it does not share a JVM with the source connector and its RSS is measurable;
 *   - tasks.max = the topic's partitions; the tables exist before the timed runs (created by the sink's
 *     own schema evolution in an untimed one-task pass, then copied: see run-bench.ts), because with
 *     several tasks its schema evolution races (`CREATE TABLE … already exists`);
 *   - `reWriteBatchedInserts=true` in the JDBC URL (pgjdbc sends a batch as multi-row statements);
 *   - batch.size = max.poll.records (one poll fills one batch), upsert, deletes, reduction buffer.
 * Progress = the connector's consumer group offsets (`connect-<name>`), committed every 100 ms by the
 * worker after the task flushed its writes; it tells when a target is reached, while the time of the
 * last write is read from PostgreSQL itself (commit-time.ts), the same way as for the engine.
 */
import { readFileSync } from 'node:fs';
import type { Admin, Kafka } from 'kafkajs';
import { startConnect, type ConnectWorker } from '../harness/connect.ts';
import type { PostgresDatabase } from '../harness/stack.ts';
import { Progress } from './progress.ts';

export const SINK_FLUSH_MS = 100;

/** User + system CPU seconds of a process so far (/proc/<pid>/stat, clock ticks of 1/100 s), null when unreadable. */
export function processCpuSec(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return null; }
}

export function sinkConfig(topic: string, db: Pick<PostgresDatabase, 'host' | 'port' | 'name' | 'user' | 'password'>, batchSize: number, tasks: number): Record<string, string> {
  return {
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    'tasks.max': String(tasks),
    topics: topic,
    'connection.url': `jdbc:postgresql://${db.host}:${db.port}/${db.name}?reWriteBatchedInserts=true`,
    'connection.username': db.user,
    ...(db.password ? { 'connection.password': db.password } : {}),
    'insert.mode': 'upsert',
    'delete.enabled': 'true',
    'primary.key.mode': 'record_key',
    'schema.evolution': 'basic',
    'batch.size': String(batchSize),
    'use.reduction.buffer': 'true',
    // A task writes on one connection at a time. The pool's defaults (5 to 32 per task, grown 32 at a
    // time) let the bench's nine tasks (three runs' connectors, paused between phases) hold up to 288
    // connections, over the server's 200; one bench (2026-12-05 11:50 UTC) ended on PostgreSQL's "too
    // many clients already" in the sink's lag run (who held them was not seen).
    'connection.pool.min_size': '1',
    'connection.pool.max_size': '4',
    'connection.pool.acquire_increment': '1',
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

/** The sink's Connect worker; connectors (one per replica database) are made with connector(). */
export class SinkWorker {
  private worker: ConnectWorker | null = null;
  private admin: Admin | null = null;
  readonly heapMb: number;
  private readonly kafka: Kafka;
  private readonly brokers: string[];

  constructor(kafka: Kafka, brokers: string[], heapMb: number) {
    this.kafka = kafka;
    this.brokers = brokers;
    this.heapMb = heapMb;
  }

  /** Starts the dedicated Connect worker (not timed). */
  async start(): Promise<void> {
    this.worker = await startConnect({ brokers: this.brokers, heapMb: this.heapMb, tunedJvm: true, props: { 'offset.flush.interval.ms': SINK_FLUSH_MS } });
    this.admin = this.kafka.admin();
    await this.admin.connect();
  }

  private readonly connectors: JdbcSink[] = [];

  connector(name: string, topic: string): JdbcSink {
    if (!this.worker || !this.admin) throw new Error('sink worker not started');
    const c = new JdbcSink(this.worker, this.admin, topic, name);
    this.connectors.push(c);
    return c;
  }

  async rssMb(): Promise<number | null> { return this.worker?.rssMb() ?? null; }

  async stop(): Promise<void> {
    // The offset pollers are intervals: left running, they keep the bench process alive after its report.
    for (const c of this.connectors) c.stopPolling();
    await this.admin?.disconnect().catch(() => undefined);
    await this.worker?.stop().catch(() => undefined);
    this.worker = null;
  }
}

export class JdbcSink {
  readonly progress = new Progress();
  readonly name: string;
  private poller: NodeJS.Timeout | null = null;
  private polling = false;
  private readonly worker: ConnectWorker;
  private readonly admin: Admin;
  private readonly topic: string;

  constructor(worker: ConnectWorker, admin: Admin, topic: string, name: string) {
    this.worker = worker;
    this.admin = admin;
    this.topic = topic;
    this.name = name;
  }

  get groupId(): string { return `connect-${this.name}`; }

  /** Creates the connector (consumption starts now) and follows its committed offsets. */
  async start(config: Record<string, string>): Promise<void> {
    await this.worker.client.create(this.name, config);
    this.poller ??= setInterval(() => { void this.poll(); }, 100);
    await this.worker.client.waitRunning(this.name);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
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
    const s = await this.worker.client.status(this.name);
    const failed = s && [s.connector, ...s.tasks].find((x) => x.state === 'FAILED');
    if (!failed) return;
    const trace = failed.trace ?? '';
    const causes = trace.split('\n').filter((l) => l.startsWith('Caused by')).map((l) => l.slice(0, 1500));
    throw new Error(`JDBC sink ${this.name} FAILED: ${trace.split('\n')[0]}\n${causes.join('\n')}`);
  }

  async pause(): Promise<void> {
    await this.worker.client.pause(this.name);
    await this.worker.client.waitState(this.name, 'PAUSED');
  }

  async resume(): Promise<void> { await this.worker.client.resume(this.name); }

  async rssMb(): Promise<number | null> { return this.worker.rssMb(); }

  /** CPU seconds of the whole Connect JVM so far (its other, paused connectors included). */
  cpuSec(): number | null { return processCpuSec(this.worker.pid); }

  /** Deletes the connector (its tasks close their database connections). */
  async remove(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    await this.worker.client.delete(this.name);
  }

  stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
  }
}
