/**
 * Single-node Apache Kafka 3.9 broker in KRaft mode (combined broker+controller), run from the jars in
 * `.cache/stack/lib` (see test/harness/java/fetch-jars.sh). Listens on 127.0.0.1 with free ports picked
 * at start; data, config and logs live in a temp dir. restart() keeps ports and data.
 */
import { writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';
import { fetchWatermarks } from '../../main/engine/source/watermarks.ts';
import {
  ManagedProcess, freePort, jvmArgs, log4jProperties, makeTempDir, randomHex, removeDir, run, stackLib,
  toProperties, waitFor, rssMb,
} from './util.ts';

export interface KafkaBrokerOptions {
  /** Working dir (config, data, logs). Default: a new temp dir, removed by stop({ removeData: true }). */
  dir?: string;
  port?: number;
  controllerPort?: number;
  heapMb?: number;
  /** Extra/overriding server.properties entries. */
  props?: Record<string, string | number | boolean>;
}

export class KafkaBroker {
  readonly dir: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly heapMb: number;
  readonly props: Record<string, string | number | boolean>;
  readonly process: ManagedProcess;
  private ownsDir: boolean;
  private kafkaClient: Kafka | null = null;

  constructor(dir: string, ownsDir: boolean, port: number, controllerPort: number, opts: KafkaBrokerOptions) {
    this.dir = dir;
    this.ownsDir = ownsDir;
    this.port = port;
    this.controllerPort = controllerPort;
    this.heapMb = opts.heapMb ?? 512;
    this.props = opts.props ?? {};
    this.process = new ManagedProcess({
      name: 'kafka broker',
      cmd: 'java',
      args: [...jvmArgs(this.heapMb, join(dir, 'log4j.properties')), '-cp', `${stackLib}/*`, 'kafka.Kafka', join(dir, 'server.properties')],
      logFile: join(dir, 'broker.out'),
    });
  }

  /** `127.0.0.1:<port>` */
  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get brokers(): string[] {
    return [this.bootstrap];
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get logFile(): string {
    return join(this.dir, 'server.log');
  }

  /** A kafkajs client for this broker (cached; logging reduced to errors). */
  kafka(): Kafka {
    this.kafkaClient ??= new Kafka({ clientId: 'harness', brokers: this.brokers, logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    return this.kafkaClient;
  }

  writeConfig(): void {
    const data = join(this.dir, 'data');
    mkdirSync(data, { recursive: true });
    const props: Record<string, string | number | boolean> = {
      'process.roles': 'broker,controller',
      'node.id': 1,
      'controller.quorum.voters': `1@127.0.0.1:${this.controllerPort}`,
      listeners: `PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${this.port}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      'log.dirs': data,
      'num.partitions': 1,
      'default.replication.factor': 1,
      'offsets.topic.replication.factor': 1,
      'offsets.topic.num.partitions': 3,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'transaction.state.log.num.partitions': 3,
      'group.initial.rebalance.delay.ms': 0,
      // Lets a test give a consumer a short session (the default floor is 6 s): test/integration/notification-reader-heartbeats.test.ts.
      'group.min.session.timeout.ms': 1000,
      'auto.create.topics.enable': false,
      'delete.topic.enable': true,
      'log.retention.check.interval.ms': 1000,
      'log.segment.delete.delay.ms': 1000,
      'file.delete.delay.ms': 1000,
      'num.network.threads': 2,
      'num.io.threads': 4,
      'num.recovery.threads.per.data.dir': 1,
      'message.max.bytes': 16 * 1024 * 1024,
      'replica.fetch.max.bytes': 16 * 1024 * 1024,
      ...this.props,
    };
    writeFileSync(join(this.dir, 'server.properties'), toProperties(props));
    writeFileSync(join(this.dir, 'log4j.properties'), log4jProperties(this.logFile, [
      'log4j.logger.kafka=INFO', 'log4j.logger.org.apache.kafka=INFO', 'log4j.logger.kafka.request.logger=WARN',
      'log4j.logger.state.change.logger=WARN', 'log4j.logger.kafka.log.LogCleaner=WARN',
    ].join('\n')));
  }

  /** Formats the KRaft storage (once per data dir). */
  async format(): Promise<void> {
    if (existsSync(join(this.dir, 'data', 'meta.properties'))) return;
    // base64url may start with '-': passed as --cluster-id=<id> so it is never read as an option.
    const clusterId = Buffer.from(randomHex(16), 'hex').toString('base64url');
    await run('java', ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', `-Dlog4j.configuration=file:${join(this.dir, 'log4j.properties')}`,
      '-cp', `${stackLib}/*`, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', join(this.dir, 'server.properties')]);
  }

  async start(timeoutMs = 90_000): Promise<void> {
    this.writeConfig();
    await this.format();
    this.process.start();
    await this.waitReady(timeoutMs);
  }

  async waitReady(timeoutMs = 90_000): Promise<void> {
    await waitFor(async () => {
      this.process.assertAlive();
      const admin = this.kafka().admin();
      try {
        await admin.connect();
        const c = await admin.describeCluster();
        return c.brokers.length > 0;
      } finally {
        await admin.disconnect().catch(() => {});
      }
    }, { timeoutMs, intervalMs: 250, what: `kafka broker on ${this.bootstrap}` });
  }

  async stop(opts: { removeData?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await this.process.stop(opts.timeoutMs ?? 30_000);
    if (opts.removeData ?? this.ownsDir) removeDir(this.dir);
  }

  /** Stops (SIGTERM, clean shutdown) and starts again on the same ports with the same data. */
  async restart(opts: { hard?: boolean } = {}): Promise<void> {
    if (opts.hard) await this.process.kill();
    else await this.process.stop(30_000);
    this.process.start();
    await this.waitReady();
  }

  async rssMb(): Promise<number | null> {
    return rssMb(this.pid);
  }
}

export async function startKafka(opts: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const ownsDir = !opts.dir;
  const dir = opts.dir ?? makeTempDir('mirror-kafka');
  mkdirSync(dir, { recursive: true });
  const port = opts.port ?? await freePort();
  let controllerPort = opts.controllerPort ?? await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const broker = new KafkaBroker(dir, ownsDir, port, controllerPort, opts);
  try {
    await broker.start();
  } catch (e) {
    await broker.stop().catch(() => {});
    throw e;
  }
  return broker;
}

/** Topic helpers that work against any broker list (owned or attached stack). */
export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
  configs?: Record<string, string>;
}

export async function createTopics(kafka: Kafka, topics: TopicSpec[]): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    const specs: ITopicConfig[] = topics.map((t) => ({
      topic: t.topic,
      numPartitions: t.numPartitions ?? 1,
      replicationFactor: 1,
      configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    }));
    // kafkajs's own wait for leaders (which also refreshes the client's metadata: keep it) gives up on
    // UNKNOWN_TOPIC_OR_PARTITION, which a loaded broker answers for a moment after the create: that answer
    // is taken as "not yet", and the wait below goes on.
    await admin.createTopics({ topics: specs, waitForLeaders: true }).catch((err: unknown) => {
      if ((err as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
    });
    await waitFor(async () => {
      const md = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) }).catch(() => null);
      return md !== null && md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
    }, { timeoutMs: 60_000, what: 'topic leaders' });
  });
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const del = topics.filter((t) => existing.has(t));
    if (del.length) await admin.deleteTopics({ topics: del, timeout: 30_000 });
  });
}

export interface PartitionOffsets {
  partition: number;
  low: bigint;
  high: bigint;
}

export async function topicOffsets(kafka: Kafka, topic: string): Promise<PartitionOffsets[]> {
  // The engine's reader: it waits out a leader that is moving (a topic just created again), as tests need too.
  return withAdmin(kafka, async (admin) => {
    const offs = [...(await fetchWatermarks(admin, topic)).values()];
    return offs.map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) })).sort((a, b) => a.partition - b.partition);
  });
}
