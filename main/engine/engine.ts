/**
 * The replicator engine: plain Node, no Electron. Composes the Kafka source, the decoder, the apply
 * loop, snapshots and schema sync over one Replica, and exposes EngineControl to every front end.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { Settings } from '../../preload/contract/settings.ts';
import type { EngineState, EngineStatus, TableStatus } from '../../preload/contract/status.ts';
import type { ErrorData } from './errors.ts';
import { MirrorError } from './errors.ts';
import { openingError } from './replica/classified-error.ts';
import { assertSessionFits } from './state/session-fit.ts';
import type { EngineControl, SchemaCheckResult } from './engine-control.ts';
import type { EngineContext } from './context.ts';
import { sleep } from './context.ts';
import { forgetReplicaState } from './state/memory-reset.ts';
import { checkStoredPosition, heldPositions } from './state/position.ts';
import { loadReplicaState } from './state/load-state.ts';
import { EnvelopeDecoder } from './decode/envelope.ts';
import { SchemaInterner } from './decode/compact.ts';
import { DecodeAhead } from './decode/decode-ahead.ts';
import { EngineEmitter } from './events.ts';
import { createLogger } from './log.ts';
import type { Logger } from './log.ts';
import { processMessages } from './apply/processor.ts';
import { createReplica } from './replica/create-replica.ts';
import { assertReplicaFileExists, notProvisioned } from './replica/replica-file.ts';
import type { Replica, StateRow } from './replica/replica.ts';
import { createTableFilter } from './schema/table-filter.ts';
import { appliedSchemaChanges, historyReadAhead, historyUnchecked, runSchemaCheck } from './schema-sync.ts';
import { ControlLoop } from './control-loop.ts';
import { heldByCommandThatEnds, holderThatEnds, WriterLease } from './state/writer-lease.ts';
import { heldUntilItEnds, heldUntilItEndsText, ONE_SHOT_LOOK_MS } from './state/lease-rules.ts';
import { pollRequests } from './state/request-runner.ts';
import type { RequestRecord } from './state/requests.ts';
import { checkFences } from './snapshot/check.ts';
import { observeWatermarks, readWatermarks } from './snapshot/fence.ts';
import { FULL_SNAPSHOT_ID } from './snapshot/full-snapshot.ts';
import { recordGap } from './snapshot/gaps.ts';
import { markResync, requestResync, resendPendingSignals, resendStalledSignals, signalResync } from './snapshot/resync.ts';
import { markStalledSnapshot } from './snapshot/stall.ts';
import { topicBehindReplica, checkStoredOffsets, TOPIC_ROW_ID } from './source/offset-check.ts';
import { reconcileSweeps } from './snapshot/sweep.ts';
import { startCdcConsumer } from './source/cdc-consumer.ts';
import type { CdcReader } from './source/cdc-consumer.ts';
import { positionNotifications, startNotificationReader } from './source/notification-reader.ts';
import { createKafka } from './source/kafka-client.ts';
import { isTransientKafkaError } from './source/kafka-errors.ts';
import { tenantTopics } from './source/topics.ts';
import { fetchWatermarks } from './source/watermarks.ts';
import type { Watermark } from './source/watermarks.ts';
import { toStateJson } from './state/json.ts';
import { stateIds } from './state/records.ts';
import { parseTableStats, tableStatsRow } from './state/table-stats.ts';
import type { TableStatsRecord } from './state/table-stats.ts';
import type { SessionRecord } from './state/records.ts';
import { TableRegistry } from './tables.ts';
import { capTableLag, lagFigures, LagReference } from './figures.ts';
import type { LagFigures } from './figures.ts';
import { createRateWindow } from './rate-window.ts';
import type { StreamedChange } from './source/connector-behind.ts';
import { createSnapshotTracker } from './snapshot-progress.ts';
import type { OverallSnapshotProgress } from '../../preload/contract/status.ts';

export const CLIENT_VERSION = '0.1.0';

export interface EngineOptions {
  log?: Logger;
  replica?: Replica;
  /** What runs the engine (`sync`, `serve`, `desktop app`…): shown to a second process that is refused. */
  command?: string;
}

export interface Engine extends EngineControl {
  /** Creates `_ReplicationState` and the session (idempotent for the same tenant). */
  provision(): Promise<SessionRecord>;
  start(): Promise<void>;
  /** Recovery from impossible offsets: read on from the topic's end, resync every table. Before start(). */
  resetOffsets(): Promise<{ partitions: number; tables: string[] }>;
  /** Schema changes applied to the replica since `sinceMs` (by schema checks and by events alike). */
  appliedSchemaChanges(sinceMs: number): SchemaCheckResult;
  /** Resolves when the predicate holds for the status (checked on every change and every second). */
  waitFor(pred: (s: EngineStatus) => boolean, timeoutMs: number): Promise<EngineStatus>;
  /** The newest change the connector streamed that was read, and how far behind the source it was written (source/connector-behind.ts). */
  newestStreamed(): StreamedChange | null;
}

export async function createEngine(settings: Settings, opts: EngineOptions = {}): Promise<Engine> {
  const log = opts.log ?? createLogger(settings.logLevel);
  const replica = opts.replica ?? await createReplica(settings);
  return new MirrorEngine(settings, replica, log, opts.command ?? 'engine');
}

/** kafkajs reset an out-of-range offset (kafka-client.ts): kept loud; the forward jump is caught by the apply feed. */
const outOfRange = (log: Logger) => (extra: Record<string, unknown>): void => log.warn('kafka reported an out-of-range offset: checking for a gap', extra);

/**
 * Start failures that retrying cannot cure (a rewind stops on them; anything else is retried), but for
 * REPLICA_IN_USE by a command that ends by itself, which is waited for.
 */
const FINAL_AT_START: ReadonlySet<string> = new Set(['OFFSET_AHEAD', 'TOPIC_CHANGED', 'TENANT_MISMATCH', 'CONFIG_INVALID', 'REPLICA_NOT_PROVISIONED', 'REPLICA_LEASE_LOST', 'REPLICA_IN_USE', 'REPLICA_PERMISSION']);

class MirrorEngine implements Engine {
  private readonly ctx: EngineContext;
  private consumer: CdcReader | null = null;
  private notifConsumer: Consumer | null = null;
  private timers: NodeJS.Timeout[] = [];
  private lastError: ErrorData | null = null;
  private lagEvents: number | null = null;
  private lastLagSeconds: number | null = null;
  private startedAt: number | null = null;
  private eventsApplied = 0;
  private readonly rate = createRateWindow(10_000);
  /** Per partition of the change topic, the time its waiting events are younger than (lag in seconds). */
  private readonly lagRef = new LagReference();
  private readonly snapshots = createSnapshotTracker();
  private overallSnapshot: OverallSnapshotProgress | null = null;
  private kafkaConnected = false;
  private replicaConnected = false;
  private tickRunning = false;
  private rewinding = false;
  /** Set while a lost lease's new holder is looked up (leaseLost). */
  private leaseLosing = false;
  /** When the replica was last found to have gone back (REPLICA_WENT_BACK), for the 10-minute limit. */
  private rewinds: number[] = [];
  private stopRequested = false;
  private ticks = 0;
  /** Consecutive ticks that found the change topic behind the replica's offsets (see topicBehindReplica). */
  private topicBehind = 0;
  private partitionsAtStart = 0;
  private tableStats: TableStatsRecord | null = null;

  private readonly command: string;

  constructor(settings: Settings, replica: Replica, log: Logger, command: string) {
    this.command = command;
    const events = new EngineEmitter();
    // kafkajs resets an out-of-range offset silently (to the earliest, as we subscribe fromBeginning);
    // the forward jump is then caught in onBatch and recorded as a gap. The log line is kept loud.
    const kafka = createKafka(settings.tenant, log, outOfRange(log));
    this.ctx = {
      settings, log, events, replica, kafka,
      admin: kafka.admin(),
      producer: kafka.producer({ allowAutoTopicCreation: false }),
      topics: tenantTopics(settings.tenant.ctx),
      topicPrefix: settings.tenant.topicPrefix ?? settings.tenant.ctx,
      session: null,
      registry: new TableRegistry(),
      decoder: new EnvelopeDecoder(),
      filter: createTableFilter(settings.tables),
      nextOffsets: new Map(),
      watermarks: new Map(),
      gaps: [],
      fullSnapshot: null,
      completed: { key: null, ts: null },
      notifNext: new Map(),
      initialScan: null,
      loop: new ControlLoop(),
      lease: null,
      historyNext: null,
      schemaLog: null,
      schemaLogHigh: -1n,
      schemaLogCheckedAt: 0,
      state: 'stopped',
      stopping: false,
      paused: false,
      setState(state: EngineState, reason: string | null = null) {
        if (this.state === state) return;
        const previous = this.state;
        this.state = state;
        events.emit('state-changed', { state, previous, reason });
      },
      async persist(rows, remove) { await replica.writeState(rows, remove, this.lease?.guard(), heldPositions(this, rows, remove)); },
    };
    const c = this.ctx;
    c.decodeAhead = new DecodeAhead(c.decoder, (schema, name) => c.filter(schema, name) === 'mirror');
    events.on('error', (e) => { this.lastError = e.error; });
    events.on('batch-applied', (b) => {
      this.eventsApplied += b.events;
      this.rate.add(b.events, Date.now());
      let ts = 0;
      for (const t of b.tables) ts = Math.max(ts, this.ctx.registry.counters.get(t)?.lastSourceTs ?? 0);
      if (ts) for (const o of b.offsets) this.lagRef.applied(o.partition, ts);
    });
  }

  // ---------------------------------------------------------------- state
  /**
   * Connects to the replica. `_ReplicationState` is created only for a provision (`create`): any other start
   * on a database without it fails REPLICA_NOT_PROVISIONED and leaves it as it was (replica-file.ts notProvisioned).
   */
  private async openReplica(create = false): Promise<void> {
    if (this.replicaConnected) return;
    const r = this.ctx.replica;
    let present = true;
    try {
      await r.connect();
      present = create || await r.hasStateTable();
      if (present) await r.ensureStateTable(); // an older replica's state table is brought up to date
    } catch (err) {
      throw openingError(r.classifyError, err);
    }
    if (!present) {
      await r.close().catch(() => undefined);
      throw notProvisioned(this.ctx.settings);
    }
    this.replicaConnected = true;
  }

  private async loadState(): Promise<void> {
    const stats = await loadReplicaState(this.ctx);
    if (stats) this.tableStats = stats;
  }

  /**
   * One writer per replica: refused (REPLICA_IN_USE, naming the holder) while another process holds it.
   * Held already (reading again after the replica went back): its row is checked, and written again when
   * the restored replica lacks it (REPLICA_LEASE_LOST when another process took it meanwhile).
   */
  private async takeLease(): Promise<void> {
    const c = this.ctx;
    if (c.lease?.record) {
      await c.lease.heartbeat();
      return;
    }
    const lease = new WriterLease(c.replica, {
      command: this.command, log: c.log,
      onLost: (err) => this.leaseLost(err),
    });
    await lease.acquire();
    lease.start();
    c.lease = lease;
  }

  /**
   * Another process holds the lease now: this engine writes no more. Taken by a command that ends by itself
   * (writer-lease.ts holderThatEnds): the engine reads on from the replica's stored position once it has
   * ended (readAgain waits for it), as a `sync` started then would; until 2026-12-07 evening it stopped
   * with REPLICA_LEASE_LOST (`sync` exit 6) — the control-plane soak, seed 271828. Taken by anything else
   * (another `sync`, serve, the desktop app): it stops with the error.
   */
  private leaseLost(err: MirrorError): void {
    const c = this.ctx;
    if (c.stopping || this.leaseLosing) return;
    this.leaseLosing = true;
    c.lease?.forget();
    void holderThatEnds(c.replica, err).then((held) => {
      this.leaseLosing = false;
      if (c.stopping) return;
      if (held) {
        c.log.warn('writer lease taken by a command that ends by itself: the engine reads on once it has ended', { error: held.message });
        void this.readAgain(held);
        return;
      }
      c.log.error('writer lease lost: this engine stops writing', { error: err.message });
      c.events.emit('error', { error: err.toData(), table: null });
      c.setState('error', err.message);
      void this.stop().then(() => c.setState('error', err.message));
    });
  }

  /**
   * The replica stands before what this process committed (REPLICA_WENT_BACK: a crash that lost
   * acknowledged commits, a restore from a backup): everything held in memory is dropped and the engine
   * starts again from what the replica stores, as a restarted process would (readAgain). A replica that
   * keeps going back (more than 5 times in 10 minutes) is not a restore: the engine stops loudly.
   */
  private async rewind(err: MirrorError): Promise<void> {
    if (this.rewinding || this.ctx.stopping) return;
    const now = Date.now();
    this.rewinds = [...this.rewinds.filter((t) => now - t < 600_000), now];
    this.ctx.log.error('the replica went back to an earlier position: reading on from there', { error: err.message });
    const final = this.rewinds.length > 5
      ? new MirrorError('REPLICA_WENT_BACK', `the replica went back ${this.rewinds.length} times in 10 minutes (last: ${err.message}); the engine stops: check what restores or rolls back the replica database`)
      : null;
    await this.readAgain(err, final);
  }

  /**
   * Drops what is held in memory and starts reading again from what the replica stores (after a rewind, or
   * a Kafka consumer that crashed for good: kafkajs does not restart it after a non-retriable error, and a
   * dead consumer would leave the engine "streaming" with nothing read). The start is retried with back-off
   * unless it fails for good (FINAL_AT_START, or `final`): then the engine stops with the error.
   */
  private async readAgain(err: MirrorError, final: MirrorError | null = null): Promise<void> {
    const c = this.ctx;
    if (this.rewinding || c.stopping) return;
    this.rewinding = true;
    c.events.emit('error', { error: err.toData(), table: null });
    c.setState('retrying', err.message);
    try {
      if (final) throw final;
      await this.stopReading();
      await c.loop.run('read again', async () => forgetReplicaState(c));
      for (let delay = c.settings.retryInitialMs; !this.stopRequested; delay = Math.min(c.settings.retryMaxMs, delay * 2)) {
        try {
          await this.start();
          c.log.warn('reading on from the replica\'s stored position', { next: [...c.nextOffsets].map(([p, o]) => `${p}:${o}`).join(',') });
          return;
        } catch (e) {
          const m = MirrorError.from(e);
          // The replica held by a command that ends by itself: started again once its lease row says it ended.
          const held = heldUntilItEnds(m);
          if (FINAL_AT_START.has(m.code) && !held) throw m;
          c.log.warn('starting to read again failed; retrying', { error: m.message });
          c.setState('retrying', held ? `${heldUntilItEndsText(m)}: the engine reads on once it has ended` : `reading on after ${err.code}: ${m.message}; retrying`);
          await this.stopReading();
          await (held ? this.whileHeld() : sleep(delay));
        }
      }
    } catch (e) {
      await this.halt(MirrorError.from(e));
    } finally {
      this.rewinding = false;
    }
  }

  /**
   * The replica's _ReplicationState is gone under this engine (classified-error.ts stateTableGone): the
   * error to stop with (REPLICA_NOT_PROVISIONED, `sync` exit 4), else null. Met by a batch's write or by the
   * status tick's look at the stored position (an engine with nothing to write stops too).
   */
  private stateGone(err: unknown): MirrorError | null {
    const m = MirrorError.from(err);
    if (m.code === 'REPLICA_NOT_PROVISIONED') return m;
    const c = this.ctx.replica.classifyError(err);
    return c.code === 'REPLICA_NOT_PROVISIONED' ? new MirrorError(c.code, c.hint, { cause: err }) : null;
  }

  /** The engine stops with `err`, as a failed start would (`sync` exits with its code). */
  private async halt(err: MirrorError): Promise<void> {
    this.ctx.log.error('the engine stops', { code: err.code, error: err.message });
    this.ctx.events.emit('error', { error: err.toData(), table: null });
    await this.stop({ halted: true });
    this.ctx.setState('error', err.message);
  }

  /** A Kafka consumer crashed: kafkajs restarts it after retriable errors; otherwise the engine reads again. */
  private onConsumerCrash(which: string, message: string, restarting: boolean): void {
    const err = new MirrorError('KAFKA_UNREACHABLE', `the ${which} consumer crashed${restarting ? ' (kafkajs restarts it)' : ''}: ${message}`, { retriable: true });
    if (restarting) this.ctx.events.emit('error', { error: err.toData(), table: null });
    else void this.readAgain(err);
  }

  /** Stops the consumers and timers (the replica connection and the lease stay). */
  private async stopReading(): Promise<void> {
    const c = this.ctx;
    c.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    c.decodeAhead?.clear();
    await Promise.allSettled([this.consumer?.close(), this.notifConsumer?.disconnect()]);
    this.consumer = null;
    this.notifConsumer = null;
    await c.loop.run('stop reading', async () => undefined); // the task in flight (if any) ends first
  }

  /** A request handed over by another process (CLI); runs inside a control-loop task. */
  private async runRequest(req: RequestRecord): Promise<unknown> {
    if (req.kind === 'resync-tables') return { requested: await this.requestResync(req.args.tables ?? [], 'requested from the command line') };
    return this.runSchemaCheck('auto');
  }

  private async connectKafka(): Promise<void> {
    if (this.kafkaConnected) return;
    try {
      await this.ctx.admin.connect();
      await this.ctx.producer.connect();
    } catch (err) {
      // Retriable (serve, the desktop app and `sync` try again) unless the brokers refused this client's
      // credentials or TLS: a wrong password is said and ends there, not tried every minute.
      throw new MirrorError('KAFKA_UNREACHABLE', `cannot reach Kafka at ${this.ctx.settings.tenant.brokers.join(', ')}: ${(err as Error).message}`, { retriable: isTransientKafkaError(err), cause: err });
    }
    this.kafkaConnected = true;
  }

  async provision(): Promise<SessionRecord> {
    const c = this.ctx;
    await this.openReplica(true);
    await this.takeLease();
    await this.loadState();
    if (c.session) {
      assertSessionFits(c.session, c.settings);
      return c.session;
    }
    const rights = await c.replica.checkRights();
    if (!rights.ok) throw new MirrorError('REPLICA_PERMISSION', `the replica login lacks rights: ${rights.missing.join('; ')}`);
    await this.connectKafka();
    const meta = await c.admin.fetchTopicMetadata({ topics: [c.topics.cdc] }).catch((err: unknown) => {
      throw new MirrorError('KAFKA_TOPIC_MISSING', `topic ${c.topics.cdc} is not readable: ${(err as Error).message}`, { cause: err });
    });
    void meta;
    c.session = {
      ctx: c.settings.tenant.ctx, topicPrefix: c.topicPrefix, brokers: c.settings.tenant.brokers,
      replicationId: `${c.settings.tenant.ctx}-${randomBytes(4).toString('hex')}`.toLowerCase(),
      provisionedAt: Date.now(), clientVersion: CLIENT_VERSION, tablePrefix: c.settings.tablePrefix,
    };
    await c.persist([{ id: stateIds.session, kind: 'session', value: toStateJson(c.session) }]);
    c.log.info('provisioned', { ctx: c.session.ctx, replicationId: c.session.replicationId });
    return c.session;
  }

  /**
   * Recovery from offsets that cannot be right (OFFSET_AHEAD, TOPIC_CHANGED): every partition is read on
   * from its current end, and every table is resynced from the source (seen sets, so nothing is left
   * behind). Call before start().
   */
  async resetOffsets(): Promise<{ partitions: number; tables: string[] }> {
    const c = this.ctx;
    await this.openReplica();
    await this.takeLease();
    await this.loadState();
    if (!c.session) throw new MirrorError('REPLICA_NOT_PROVISIONED', 'the replica has no session in _ReplicationState: run `tenant-mirror provision` first');
    await this.connectKafka();
    const marks = await fetchWatermarks(c.admin, c.topics.cdc);
    const remove = [...c.nextOffsets.keys()].filter((p) => !marks.has(p)).map((p) => stateIds.offset(c.topics.cdc, p));
    const rows: StateRow[] = [{ id: TOPIC_ROW_ID(c.topics.cdc), kind: 'session', value: toStateJson({ partitions: marks.size, at: Date.now() }) }];
    c.nextOffsets.clear();
    for (const [p, w] of marks) {
      rows.push({ id: stateIds.offset(c.topics.cdc, p), kind: 'offset', value: JSON.stringify({ next: w.high, at: Date.now() }) });
      c.nextOffsets.set(p, BigInt(w.high));
    }
    c.fullSnapshot = null;
    // Not the tables the settings leave out: their snapshot rows would be skipped (left-out-tables.ts).
    const ids = c.registry.all().filter((r) => c.filter(r.schema, r.name) === 'mirror').map((r) => r.id);
    await c.loop.run('reset offsets', async () => {
      // The resyncs are stored in the same write as the moved offsets: a kill between two writes would
      // leave every table 'ok' past the rows it never got.
      const recs = await markResync(c, ids, `offsets were reset to the end of ${c.topics.cdc}: resynced from the source`, { fresh: true });
      await c.persist([...rows, ...c.registry.takeDirty()], [...remove, FULL_SNAPSHOT_ID]);
      const requested = await signalResync(c, recs);
      if (requested.length) c.events.emit('resync-requested', { tables: requested, reason: 'offsets were reset to the end of the change topic' });
    });
    c.log.warn('offsets reset to the end of the change topic; every table is resynced', { partitions: marks.size, tables: ids.length });
    return { partitions: marks.size, tables: ids };
  }

  /**
   * Waits, its state left as said ('retrying', naming the command), while a command that ends by itself
   * holds the replica: its lease row is looked at every ONE_SHOT_LOOK_MS, and the engine starts again
   * (readAgain) once the row says it ended — not a start tried and failed every look, the state flapping
   * between 'starting' and 'retrying' on screen.
   */
  private async whileHeld(): Promise<void> {
    do await sleep(ONE_SHOT_LOOK_MS);
    while (!this.stopRequested && await heldByCommandThatEnds(this.ctx.replica));
  }

  // ---------------------------------------------------------------- start
  async start(): Promise<void> {
    // Its _ReplicationState dropped while it started: said as that (REPLICA_NOT_PROVISIONED), not the driver's bare "no such table".
    try { await this.startOnce(); } catch (err) { throw this.stateGone(err) ?? err; }
  }

  private async startOnce(): Promise<void> {
    const c = this.ctx;
    if (!this.rewinding) this.stopRequested = false;
    c.stopping = false;
    c.setState('starting');
    this.startedAt = Date.now();
    this.rate.begin(this.startedAt);
    // A start that is not a provision's creates no SQLite file (serve and the desktop app left an empty one).
    if (!this.replicaConnected) assertReplicaFileExists(c.settings);
    await this.openReplica();
    await this.takeLease();
    await this.loadState();
    if (!c.session) throw new MirrorError('REPLICA_NOT_PROVISIONED', 'the replica has no session in _ReplicationState: run `tenant-mirror provision` first');
    assertSessionFits(c.session, c.settings);
    await this.connectKafka();
    await readWatermarks(c, c.topics.cdc).catch((err: unknown) => {
      throw new MirrorError('KAFKA_TOPIC_MISSING', `cannot read ${c.topics.cdc}: ${(err as Error).message}`, { cause: err });
    });
    // Offsets that cannot be right (beyond the topic's end, partitions gone or added) stop here, loudly.
    await checkStoredOffsets(c);
    this.partitionsAtStart = c.watermarks.size;
    this.topicBehind = 0;
    const notifMarks = await positionNotifications(c);
    await c.loop.run('start', async () => {
      await reconcileSweeps(c, Boolean(c.fullSnapshot?.fence)); // a kill between a sweep's two writes (sweep.ts)
      const fresh = c.nextOffsets.size === 0;
      const purgedInitial = fresh && [...c.watermarks.values()].some((w) => BigInt(w.low) > 0n);
      let gapFound = false;
      for (const [p, w] of c.watermarks) {
        const stored = c.nextOffsets.get(p);
        if (stored !== undefined && stored < BigInt(w.low)) { await recordGap(c, p, stored, BigInt(w.low)); gapFound = true; }
      }
      await this.runSchemaCheck(fresh && !purgedInitial);
      if (purgedInitial) c.log.warn('the initial snapshot is no longer in the topic: every table is resnapshotted', {});
      if (gapFound && c.settings.autoResyncOnGap) {
        const ids = c.registry.all().filter((r) => r.state === 'stale' && !r.leftOutAt).map((r) => r.id);
        if (ids.length) await this.requestResync(ids, 'automatic after a gap');
      }
      await resendPendingSignals(c).catch((err: unknown) => c.log.warn('resnapshot signals not sent yet; retrying', { error: (err as Error).message }));
    });
    await this.startNotifications(notifMarks);
    await this.startCdc();
    this.startTimers();
    this.refreshRunState();
  }

  private positionFor(p: number): string {
    const stored = this.ctx.nextOffsets.get(p);
    const low = BigInt(this.ctx.watermarks.get(p)?.low ?? '0');
    return (stored !== undefined && stored > low ? stored : low).toString();
  }

  private groupId(suffix: string): string {
    return `tenant-mirror.${this.ctx.session!.replicationId}.${suffix}.${randomBytes(3).toString('hex')}`;
  }

  private async startCdc(): Promise<void> {
    const c = this.ctx;
    const schemas = new SchemaInterner();
    this.consumer = await startCdcConsumer({
      kafka: c.kafka, tenant: c.settings.tenant, topic: c.topics.cdc, groupId: this.groupId('cdc'), settings: c.settings, log: c.log,
      onOutOfRange: outOfRange(c.log),
      hooks: {
        position: (p) => this.positionFor(p),
        expected: (p) => c.nextOffsets.get(p),
        stopping: () => c.stopping,
        paused: () => c.paused,
        onCrash: (message, restarting) => this.onConsumerCrash('cdc', message, restarting),
        onFailed: (err) => { void this.readAgain(MirrorError.from(err)); },
        ahead: (messages, more) => c.decodeAhead?.prepare(messages, more),
        compact: (messages) => schemas.compact(messages),
        onBatchDone: () => this.refreshRunState(),
        onJump: async (p, expected, first) => {
          await readWatermarks(c, c.topics.cdc);
          const low = BigInt(c.watermarks.get(p)?.low ?? '0');
          if (expected >= low) {
            c.log.warn('offsets skipped on a partition (compaction or transaction markers?)', { partition: p, expected: expected.toString(), got: first.toString() });
            return;
          }
          await c.loop.run('gap', async () => {
            await recordGap(c, p, expected, low);
            if (c.settings.autoResyncOnGap) await this.requestResync(c.registry.all().filter((r) => r.state === 'stale' && !r.leftOutAt).map((r) => r.id), 'automatic after a gap');
          });
        },
        onChunk: async (p, chunk, heartbeat) => {
          try {
            await c.loop.run('apply', () => processMessages(c, p, chunk, heartbeat));
            return 'applied';
          } catch (err) {
            const e = MirrorError.from(err);
            if (e.code === 'REPLICA_LEASE_LOST') { this.leaseLost(e); return 'stop'; }
            if (e.code === 'REPLICA_WENT_BACK') { void this.rewind(e); return 'stop'; }
            const gone = this.stateGone(err);
            if (gone) { if (!c.stopping) void this.halt(gone); return 'stop'; }
            if (c.stopping) return 'stop';
            throw err;
          }
        },
      },
    });
  }

  /** `<ctx>-notifications` from its stored position (source/notification-reader.ts); none when unreadable. */
  private async startNotifications(marks: Map<number, Watermark> | null): Promise<void> {
    if (marks) this.notifConsumer = await startNotificationReader(this.ctx, this.groupId('notifications'), () => this.refreshRunState(),
      (message, restarting) => this.onConsumerCrash('notifications', message, restarting));
  }

  private startTimers(): void {
    const c = this.ctx;
    this.timers.push(setInterval(() => { void this.tick(); }, 2000));
    this.timers.push(setInterval(() => { void this.countRows(); }, 10_000));
    this.timers.push(setInterval(() => {
      if (c.stopping || !c.lease) return;
      void c.loop.run('requests', () => pollRequests(c.replica, (req) => this.runRequest(req), c.log, { lease: () => c.lease!.guard() }))
        .catch((err: unknown) => c.log.warn('request poll failed', { error: (err as Error).message }));
    }, 1000));
    this.timers.push(setInterval(() => {
      void c.loop.run('schema check', () => this.runSchemaCheck('auto')).catch((err: unknown) => c.log.warn('schema check failed', { error: (err as Error).message }));
    }, c.settings.schemaUpdateIntervalSeconds * 1000));
    for (const t of this.timers) t.unref();
  }

  private async tick(): Promise<void> {
    if (this.tickRunning || this.ctx.stopping) return;
    this.tickRunning = true;
    const c = this.ctx;
    try {
      const asked = Date.now();
      const applied = new Map(c.nextOffsets); // before the watermarks: every offset applied by then is below them
      observeWatermarks(c, await fetchWatermarks(c.admin, c.topics.cdc), Date.now(), asked);
      const behind = topicBehindReplica(c.topics.cdc, applied, c.watermarks, this.partitionsAtStart);
      this.topicBehind = behind ? this.topicBehind + 1 : 0;
      // Three ticks in a row (~4 s): a partition leader that just moved may answer an older high watermark for a moment.
      if (behind && this.topicBehind >= 3) { void this.halt(behind); return; }
      const figures = this.lagFigures(Date.now());
      this.lagRef.observe(figures.partitions, asked);
      const lag = figures.lagEvents;
      this.lagEvents = lag;
      this.lastLagSeconds = figures.lagSeconds;
      c.events.emit('lag', { seconds: this.lastLagSeconds, events: lag, at: Date.now() });
      await c.loop.run('fences', async () => {
        if (c.stopping) return;
        await checkStoredPosition(c); // a replica that went back while no batch was written
        await checkFences(c);
        await resendPendingSignals(c).catch((err: unknown) => c.log.warn('resnapshot signals not sent yet; retrying', { error: (err as Error).message }));
        await resendStalledSignals(c, Date.now(), figures).catch((err: unknown) => c.log.warn('stalled resync signal not sent yet; retrying', { error: (err as Error).message }));
        await markStalledSnapshot(c, Date.now(), figures).catch((err: unknown) => c.log.warn('stalled full snapshot not marked yet; retrying', { error: (err as Error).message }));
      });
      // DDL at the source (drop, rename, new table, changes) is applied in history order as soon as the
      // schema history shows it, not only at the hourly check; at the next tick when an event's placement
      // has read the history further (a DROP before a new table's CREATE is not left for ~10 s).
      // Every tick while a failed resync scan waits for the history to show why (a DROP: SweepRecord.failing).
      const due = this.ticks++ % 5 === 0 || c.registry.all().some((r) => r.sweep?.failing);
      if (historyReadAhead(c) || (due && await historyUnchecked(c))) await c.loop.run('schema check', () => this.runSchemaCheck('auto'));
      const at = Date.now();
      c.events.emit('progress', { tables: this.tableStatus(at, figures), at });
      this.refreshRunState();
    } catch (err) {
      const gone = this.stateGone(err);
      if (gone) { if (!c.stopping) void this.halt(gone); } else if (MirrorError.from(err).code === 'REPLICA_WENT_BACK') void this.rewind(MirrorError.from(err));
      else c.log.debug('status tick failed', { error: (err as Error).message });
    } finally {
      this.tickRunning = false;
    }
  }

  /**
   * COUNT(*) of the tables whose row count is not known (tables.ts `TableCounters`), each inside the control
   * loop: no commit falls between a count and the deltas that follow it.
   */
  private async countRows(): Promise<void> {
    const c = this.ctx;
    for (const id of c.registry.uncounted()) {
      if (c.stopping) return;
      await c.loop.run('count rows', async () => {
        const r = c.registry.get(id);
        if (!r || c.stopping) return;
        c.registry.rowsCounted(id, await c.replica.countRows(r.def));
      }).catch((err: unknown) => c.log.debug('rows not counted', { table: id, error: (err as Error).message })); // a table mid-rebuild: next round
    }
    if (!c.stopping) await this.saveTableStats();
  }

  /**
   * Row counts and last changes for a read-only `info` (no engine running then): every 10 s, and once more
   * on a clean stop when this run applied anything (a `provision` or `sync --until-caught-up` shorter than
   * 10 s would otherwise leave `info` saying "last change never" about tables it had just written).
   */
  private async saveTableStats(): Promise<void> {
    const c = this.ctx;
    if (!c.lease || !this.replicaConnected) return;
    const row = tableStatsRow(this.tableStats, c.registry.counters, c.registry.all().map((r) => r.id), Date.now());
    await c.loop.run('table stats', () => c.persist([row]))
      .then(() => { this.tableStats = parseTableStats(row.value); }, (err: unknown) => c.log.debug('table stats not written', { error: (err as Error).message }));
  }

  private refreshRunState(): void {
    const c = this.ctx;
    if (c.stopping || c.state === 'retrying' || c.state === 'error') return;
    if (c.paused) { c.setState('paused'); return; }
    const snapshotting = c.fullSnapshot !== null || c.registry.all().some((r) => r.state === 'snapshotting' || r.state === 'pending');
    c.setState(snapshotting ? 'snapshotting' : 'streaming');
  }

  /** The schema check; callers run it inside the control loop. */
  /** `auto`: while a fresh replica loads its initial snapshot, tables found in the history are loaded by it. */
  private async runSchemaCheck(initialLoad: boolean | 'auto'): Promise<SchemaCheckResult> {
    const c = this.ctx;
    const fresh = c.nextOffsets.size === 0 && [...c.watermarks.values()].every((w) => BigInt(w.low) === 0n);
    const loading = initialLoad === 'auto' ? fresh || (c.fullSnapshot !== null && !c.fullSnapshot.hadData) : initialLoad;
    const r = await runSchemaCheck(c, { initialLoad: loading });
    if (r.created.length || r.altered.length || r.recreated.length || r.dropped.length) {
      this.ctx.log.info('schema check', { ...r });
      this.ctx.events.emit('schema-changed', { created: r.created, altered: r.altered, recreated: r.recreated, dropped: r.dropped });
    }
    return r;
  }

  // ---------------------------------------------------------------- control
  /** Per-partition lag and the overall figures derived from them (figures.ts), from the last watermarks. */
  private lagFigures(now: number): LagFigures {
    const c = this.ctx;
    const parts = [...c.watermarks.values()].map((w) => ({ partition: w.partition, next: c.nextOffsets.get(w.partition) ?? null, low: BigInt(w.low), high: BigInt(w.high) }));
    return lagFigures(c.topics.cdc, parts, this.lagRef.times(), now);
  }

  private tableStatus(now: number, figures: LagFigures): TableStatus[] {
    const tables = this.ctx.registry.status(now, figures.lagEvents === 0).map((t) => ({ ...t, rowsAt: this.ctx.registry.counter(t.id).rowsAt }));
    const progress = this.snapshots.enrich(capTableLag(tables, figures), now);
    this.overallSnapshot = progress.overall;
    return progress.tables;
  }

  newestStreamed(): StreamedChange | null { const n = this.ctx.newestStreamed; return n ? { ...n } : null; }

  status(): EngineStatus {
    const c = this.ctx;
    const now = Date.now();
    const known = c.watermarks.size > 0;
    const figures = this.lagFigures(now);
    const tables = this.tableStatus(now, figures);
    return {
      state: c.state, ctx: c.settings.tenant.ctx, replica: c.replica.dialect.name,
      tables, snapshot: this.overallSnapshot, partitions: figures.partitions, gaps: [...c.gaps],
      lagSeconds: known ? figures.lagSeconds : null, lagEvents: known ? figures.lagEvents : null,
      eventsApplied: this.eventsApplied, eventsPerSecond: this.rate.perSecond(now, c.paused),
      lastError: this.lastError, startedAt: this.startedAt, updatedAt: now, notMirrored: [...(c.unmirrored?.values() ?? [])],
    };
  }

  async pause(): Promise<void> {
    this.ctx.paused = true;
    this.consumer?.pause();
    this.refreshRunState();
  }

  async resume(): Promise<void> {
    this.ctx.paused = false;
    this.rate.begin(Date.now());
    this.consumer?.resume();
    if (this.ctx.state === 'paused') this.ctx.setState('streaming');
    this.refreshRunState();
  }

  async resyncTables(tables: string[]): Promise<{ requested: string[] }> {
    if (!this.kafkaConnected) throw new MirrorError('ENGINE_STOPPED', 'the engine is not running');
    return { requested: await this.ctx.loop.run('resync', () => this.requestResync(tables, null)) };
  }

  /** requestResync, told to subscribers (the activity log) with who asked and why. */
  private async requestResync(tables: string[], why: string | null, reason?: string): Promise<string[]> {
    const requested = await requestResync(this.ctx, tables, reason ?? null);
    if (requested.length) this.ctx.events.emit('resync-requested', { tables: requested, reason: why });
    return requested;
  }

  updateSchema(): Promise<SchemaCheckResult> {
    if (!this.kafkaConnected) return Promise.reject(new MirrorError('ENGINE_STOPPED', 'the engine is not running'));
    return this.ctx.loop.run('update schema', () => this.runSchemaCheck('auto'));
  }

  appliedSchemaChanges(sinceMs: number): SchemaCheckResult { return appliedSchemaChanges(this.ctx, { sinceMs }); }

  on: EngineControl['on'] = (event, listener) => this.ctx.events.on(event, listener);

  waitFor(pred: (s: EngineStatus) => boolean, timeoutMs: number): Promise<EngineStatus> {
    return new Promise((resolve, reject) => {
      const offs: Array<() => void> = [];
      const done = (err: Error | null, s?: EngineStatus) => {
        clearTimeout(timer); clearInterval(poll); for (const off of offs) off();
        if (err) reject(err); else resolve(s!);
      };
      const check = () => { const s = this.status(); if (pred(s)) done(null, s); };
      const timer = setTimeout(() => done(new MirrorError('SNAPSHOT_TIMEOUT', `condition not reached within ${timeoutMs} ms (${this.describeProgress()})`)), timeoutMs);
      const poll = setInterval(check, 500);
      offs.push(this.on('batch-applied', check), this.on('progress', check), this.on('lag', check));
      check();
    });
  }

  /** One line for timeouts and logs: engine state, a pending full snapshot, table states, lag. */
  private describeProgress(): string {
    const c = this.ctx;
    const by = new Map<string, string[]>();
    for (const r of c.registry.all()) by.set(r.state, [...(by.get(r.state) ?? []), r.name]);
    const tables = [...by].map(([k, v]) => `${k}: ${v.length > 4 ? `${v.length} tables` : v.join(' ')}`).join('; ');
    const fs = c.fullSnapshot;
    const full = fs ? `full snapshot ${fs.lastSeen ? (fs.fence ? `awaiting fence ${JSON.stringify(fs.fence)}` : 'ended, fence not read yet') : 'running'}; ` : '';
    const next = [...c.nextOffsets].map(([p, o]) => `${p}:${o}`).join(',');
    return `state ${c.state}; ${full}tables ${tables || 'none'}; next offsets ${next || 'none'}; lag ${this.lagEvents ?? '?'} events`;
  }

  /** `halted`: stopped by an error (the replica may be the one failing: no last table-stats write). */
  async stop(opts: { halted?: boolean } = {}): Promise<void> {
    const c = this.ctx;
    this.stopRequested = true;
    await this.stopReading();
    if (!opts.halted && [...c.registry.counters.values()].some((t) => t.lastAppliedAt !== null)) await this.saveTableStats();
    if (this.kafkaConnected) await Promise.allSettled([c.producer.disconnect(), c.admin.disconnect()]);
    this.kafkaConnected = false;
    const lease = c.lease;
    c.lease = null;
    if (lease && this.replicaConnected) await lease.release().catch((err: unknown) => c.log.warn('writer lease not released', { error: (err as Error).message }));
    lease?.stop();
    if (this.replicaConnected) await c.replica.close().catch(() => undefined);
    this.replicaConnected = false;
    c.setState('stopped');
  }
}

