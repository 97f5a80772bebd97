/**
 * Kafka Connect 3.9 in standalone mode (file offset store) with the Debezium plugins from
 * `.cache/stack/plugins`, REST API on a free port. Connectors are managed through REST only:
 * POST /connectors, PUT /connectors/{n}/config, PUT /connectors/{n}/stop|pause|resume,
 * GET/DELETE /connectors/{n}/offsets (KIP-875; works in standalone mode, connector must be STOPPED).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ManagedProcess, freePort, jvmArgs, log4jProperties, makeTempDir, removeDir, stackLib, stackPlugins,
  toProperties, waitFor, rssMb, sleep, FatalWaitError,
} from './util.ts';

export interface ConnectOptions {
  brokers: string[];
  dir?: string;
  port?: number;
  heapMb?: number;
  props?: Record<string, string | number | boolean>;
  /**
   * The bench's sink worker only (npm test keeps the default): G1 with -Xms = -Xmx, as a production
   * Connect worker runs, instead of the tests' SerialGC and 128 MB initial heap.
   */
  tunedJvm?: boolean;
}

export interface ConnectorStatus {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: Array<{ id: number; state: string; worker_id: string; trace?: string }>;
  type?: string;
}

export class ConnectRestError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(method: string, path: string, status: number, body: string) {
    super(`Connect ${method} ${path} → ${status}: ${body}`);
    this.status = status;
    this.body = body;
  }
}

/** REST client for a Connect worker; usable for an owned worker or one started by another process. */
export class ConnectClient {
  readonly url: string;
  constructor(url: string) {
    this.url = url.replace(/\/$/, '');
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, okStatuses: number[] = []): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    if (!res.ok && !okStatuses.includes(res.status)) throw new ConnectRestError(method, path, res.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async info(): Promise<{ version: string; commit: string; kafka_cluster_id: string }> {
    return this.request('GET', '/');
  }

  async plugins(): Promise<Array<{ class: string; type: string; version: string }>> {
    return this.request('GET', '/connector-plugins?connectorsOnly=true');
  }

  async list(): Promise<string[]> {
    return this.request('GET', '/connectors');
  }

  /** Creates a connector (POST /connectors). */
  async create(name: string, config: Record<string, string>): Promise<void> {
    await this.request('POST', '/connectors', { name, config: { ...config, name } });
  }

  /** Creates a connector in the STOPPED state (KIP-980, Kafka ≥ 3.7): offsets can be reset before it ever runs. */
  async createStopped(name: string, config: Record<string, string>): Promise<void> {
    await this.request('POST', '/connectors', { name, config: { ...config, name }, initial_state: 'STOPPED' });
  }

  /**
   * Standalone mode keeps a deleted connector's source offsets in the offsets file: a new connector with
   * the same name resumes from them. This stops (or creates STOPPED), resets the offsets, and deletes.
   */
  async deleteWithOffsets(name: string, config?: Record<string, string>): Promise<void> {
    const st = await this.status(name);
    if (!st) {
      if (!config) return;
      await this.createStopped(name, config);
    } else {
      await this.stopSettled(name);
    }
    await this.waitState(name, 'STOPPED');
    await this.resetOffsets(name);
    await this.delete(name);
  }

  /** Creates or replaces a connector's config (PUT /connectors/{n}/config). */
  async putConfig(name: string, config: Record<string, string>): Promise<void> {
    await this.request('PUT', `/connectors/${encodeURIComponent(name)}/config`, { ...config, name });
  }

  async getConfig(name: string): Promise<Record<string, string>> {
    return this.request('GET', `/connectors/${encodeURIComponent(name)}/config`);
  }

  async status(name: string): Promise<ConnectorStatus | null> {
    try {
      return await this.request<ConnectorStatus>('GET', `/connectors/${encodeURIComponent(name)}/status`);
    } catch (e) {
      if (e instanceof ConnectRestError && e.status === 404) return null;
      throw e;
    }
  }

  async delete(name: string): Promise<void> {
    await this.request('DELETE', `/connectors/${encodeURIComponent(name)}`, undefined, [404]);
  }

  /** KIP-875 STOPPED state: tasks shut down, config kept; required before offsets can be altered/reset. */
  async stop(name: string): Promise<void> {
    await this.request('PUT', `/connectors/${encodeURIComponent(name)}/stop`);
  }

  /**
   * Stops a connector and waits until the worker has written its empty task list. Standalone Connect
   * writes it on a pool thread that holds the herder's lock and then wants the config store's; a resume
   * (or another stop) arriving meanwhile holds the store's lock and wants the herder's: a deadlock in
   * which every later REST call hangs (seen on the test stack 2026-12-04, scenario m: stop, stop again
   * inside resetOffsets, resume; thread dump: StandaloneHerder.updateConnectorTasks against
   * AbstractHerder.resumeConnector; the worker later died of OutOfMemoryError). A stopped connector is
   * not stopped again.
   */
  async stopSettled(name: string): Promise<void> {
    const st = await this.status(name);
    if (!st) return;
    if (st.connector.state !== 'STOPPED') await this.stop(name);
    await this.waitState(name, 'STOPPED');
    await waitFor(async () => (await this.request<unknown[]>('GET', `/connectors/${encodeURIComponent(name)}/tasks`)).length === 0,
      { timeoutMs: 60_000, intervalMs: 200, what: `connector ${name}'s task list emptied after its stop` });
  }

  async pause(name: string): Promise<void> {
    await this.request('PUT', `/connectors/${encodeURIComponent(name)}/pause`);
  }

  async resume(name: string): Promise<void> {
    await this.request('PUT', `/connectors/${encodeURIComponent(name)}/resume`);
  }

  async restartConnector(name: string): Promise<void> {
    await this.request('POST', `/connectors/${encodeURIComponent(name)}/restart?includeTasks=true`);
  }

  async getOffsets(name: string): Promise<{ offsets: Array<{ partition: Record<string, unknown>; offset: Record<string, unknown> }> }> {
    return this.request('GET', `/connectors/${encodeURIComponent(name)}/offsets`);
  }

  /** DELETE /connectors/{n}/offsets — the connector must be STOPPED. */
  async resetOffsets(name: string): Promise<{ message: string }> {
    return this.request('DELETE', `/connectors/${encodeURIComponent(name)}/offsets`);
  }

  /**
   * Waits until the connector and all its tasks are RUNNING (at least one task) and still are 1.5 s later
   * (a task can fail ~100 ms after it was reported RUNNING). Throws on FAILED — except two start races of
   * Debezium 3.2, restarted again, at most 3 times: "DebeziumOpenLineageEmitter not initialized" right
   * after a restart (the old task's emitter shutdown races the new task's start: DBZ-9504 / DBZ-9524,
   * fixed upstream later), and a RejectedExecutionException from KafkaSchemaHistory.checkStorageSettings
   * (its executor already terminated; seen 2026-11-30 on a new connector: the task failed 70 ms after
   * RUNNING and the tenant waited 300 s for an initial snapshot that never began).
   */
  async waitRunning(name: string, timeoutMs = 120_000): Promise<ConnectorStatus> {
    let raceRestarts = 0;
    let runningSince: number | null = null;
    return waitFor(async () => {
      const s = await this.status(name);
      if (!s) return false;
      const failed = [s.connector, ...s.tasks].find((x) => x.state === 'FAILED');
      if (failed && isStartRace(failed.trace ?? '') && raceRestarts < 3) {
        raceRestarts++;
        runningSince = null;
        await this.restartConnector(name);
        return false;
      }
      if (failed) throw new FatalWaitError(`connector ${name} FAILED: ${failed.trace ?? ''}`.slice(0, 4000));
      const running = s.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING');
      if (!running) { runningSince = null; return false; }
      runningSince ??= Date.now();
      return Date.now() - runningSince >= 1500 ? s : false;
    }, { timeoutMs, intervalMs: 250, what: `connector ${name} RUNNING` });
  }

  async waitState(name: string, state: 'STOPPED' | 'PAUSED' | 'RUNNING', timeoutMs = 60_000): Promise<ConnectorStatus> {
    return waitFor(async () => {
      const s = await this.status(name);
      return s && s.connector.state === state ? s : false;
    }, { timeoutMs, intervalMs: 200, what: `connector ${name} ${state}` });
  }
}

/** A task failure that is a known start race of Debezium 3.2 (see waitRunning), not a fault of the configuration. */
export function isStartRace(trace: string): boolean {
  return /OpenLineageEmitter not initialized/.test(trace) || /RejectedExecutionException[\s\S]*KafkaSchemaHistory\.checkStorageSettings/.test(trace);
}

export class ConnectWorker {
  readonly dir: string;
  readonly port: number;
  readonly brokers: string[];
  readonly heapMb: number;
  readonly props: Record<string, string | number | boolean>;
  readonly process: ManagedProcess;
  readonly client: ConnectClient;
  private ownsDir: boolean;

  constructor(dir: string, ownsDir: boolean, port: number, opts: ConnectOptions) {
    this.dir = dir;
    this.ownsDir = ownsDir;
    this.port = port;
    this.brokers = opts.brokers;
    this.heapMb = opts.heapMb ?? 768;
    this.props = opts.props ?? {};
    this.client = new ConnectClient(this.url);
    const base = jvmArgs(this.heapMb, join(dir, 'log4j.properties'));
    const jvm = opts.tunedJvm
      ? base.map((a) => (a === '-XX:+UseSerialGC' ? '-XX:+UseG1GC' : a.startsWith('-Xms') ? `-Xms${this.heapMb}m` : a))
      : base;
    this.process = new ManagedProcess({
      name: 'kafka connect',
      cmd: 'java',
      args: [...jvm, '-cp', `${stackLib}/*`,
        'org.apache.kafka.connect.cli.ConnectStandalone', join(dir, 'worker.properties')],
      logFile: join(dir, 'connect.out'),
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get logFile(): string {
    return join(this.dir, 'connect.log');
  }

  get offsetsFile(): string {
    return join(this.dir, 'connect.offsets');
  }

  writeConfig(): void {
    const props: Record<string, string | number | boolean> = {
      'bootstrap.servers': this.brokers.join(','),
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': true,
      'value.converter.schemas.enable': true,
      'key.converter.replace.null.with.default': false,
      'value.converter.replace.null.with.default': false,
      'offset.storage.file.filename': this.offsetsFile,
      'offset.flush.interval.ms': 1000,
      'plugin.path': stackPlugins,
      'plugin.discovery': 'only_scan',
      listeners: `http://127.0.0.1:${this.port}`,
      'rest.advertised.host.name': '127.0.0.1',
      'rest.advertised.port': this.port,
      'connector.client.config.override.policy': 'All',
      'task.shutdown.graceful.timeout.ms': 10_000,
      // Producer: keep records of one poll together, but do not wait; max.request.size for wide rows.
      'producer.linger.ms': 5,
      'producer.max.request.size': 16 * 1024 * 1024,
      ...this.props,
    };
    writeFileSync(join(this.dir, 'worker.properties'), toProperties(props));
    writeFileSync(join(this.dir, 'log4j.properties'), log4jProperties(this.logFile, [
      'log4j.logger.org.apache.kafka.connect=INFO', 'log4j.logger.io.debezium=INFO',
      'log4j.logger.org.apache.kafka.connect.runtime.isolation=WARN', 'log4j.logger.org.eclipse.jetty=WARN',
      'log4j.logger.org.glassfish=WARN', 'log4j.logger.org.apache.kafka.common.config.AbstractConfig=WARN',
      'log4j.logger.org.apache.kafka.connect.runtime.ConnectorConfig=WARN', 'log4j.logger.org.apache.kafka.connect.runtime.SinkConnectorConfig=WARN',
      'log4j.logger.org.apache.kafka.connect.runtime.SourceConnectorConfig=WARN',
    ].join('\n')));
  }

  async start(timeoutMs = 120_000): Promise<void> {
    this.writeConfig();
    this.process.start();
    await this.waitReady(timeoutMs);
  }

  async waitReady(timeoutMs = 120_000): Promise<void> {
    await waitFor(async () => {
      this.process.assertAlive();
      await this.client.info();
      // The connector-plugins list is only complete once plugin scanning is done.
      const plugins = await this.client.plugins();
      return plugins.some((p) => p.class.includes('MariaDb'));
    }, { timeoutMs, intervalMs: 250, what: `kafka connect REST on ${this.url}` });
  }

  async stop(opts: { removeData?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await this.process.stop(opts.timeoutMs ?? 30_000);
    if (opts.removeData ?? this.ownsDir) removeDir(this.dir);
  }

  /**
   * Restarts the worker process on the same port with the same offsets file. Connectors created through
   * REST are NOT persisted by standalone mode, so they are re-created from their last known configs and
   * (unless they were STOPPED) resumed.
   */
  async restart(opts: { hard?: boolean } = {}): Promise<void> {
    const names = await this.client.list().catch(() => [] as string[]);
    const saved: Array<{ name: string; config: Record<string, string>; state: string }> = [];
    for (const name of names) {
      saved.push({ name, config: await this.client.getConfig(name), state: (await this.client.status(name))?.connector.state ?? 'RUNNING' });
    }
    if (opts.hard) await this.process.kill();
    else await this.process.stop(60_000);
    await sleep(200);
    this.process.start();
    await this.waitReady();
    for (const c of saved) {
      await this.client.create(c.name, c.config);
      if (c.state === 'STOPPED') await this.client.stop(c.name);
      else if (c.state === 'PAUSED') await this.client.pause(c.name);
    }
  }

  async rssMb(): Promise<number | null> {
    return rssMb(this.pid);
  }
}

export async function startConnect(opts: ConnectOptions): Promise<ConnectWorker> {
  const ownsDir = !opts.dir;
  const dir = opts.dir ?? makeTempDir('mirror-connect');
  mkdirSync(dir, { recursive: true });
  const port = opts.port ?? await freePort();
  const w = new ConnectWorker(dir, ownsDir, port, opts);
  try {
    await w.start();
  } catch (e) {
    await w.stop().catch(() => {});
    throw e;
  }
  return w;
}
