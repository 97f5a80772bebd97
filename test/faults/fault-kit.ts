/**
 * Fault injection on the real stack, shared by the full runner (`npm run test:faults`,
 * test/faults/run-faults.ts) and the short subset inside `npm test` (test/integration/faults-short.test.ts).
 *
 * Every fault runs under a continuous source workload that counts its own operations and errors (a fault
 * fails when the workload did less than 90 % of its planned operations or had any error) and ends with a
 * comparison of every table of the replica with the source (test/integration/support/replica-compare.ts:
 * plain SQL with casts on each side, checksums of canonical rows; on failure the topic history of the
 * differing keys is printed). A table may differ only where a fault says so: after a poison event, its
 * own table, halted with its reason in _ReplicationState and an error event; after a purge, stale tables
 * until their resync.
 *
 * Kills are aimed at observed progress (kill-probe.ts) and each records where it landed; outages stop the
 * real server (PostgreSQL immediate shutdown, the Kafka broker, the Connect worker) and assert that the
 * outage was observed (connections refused, the engine retrying or reporting errors).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Producer } from 'kafkajs';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineControl } from '../../main/engine/engine-control.ts';
import { createEngineProxy } from '../../main/host/engine-proxy.ts';
import { forkEngineChild } from '../../main/host/fork-child.ts';
import { createLogger } from '../../main/engine/log.ts';
import { createReplica } from '../../main/engine/replica/create-replica.ts';
import type { Replica } from '../../main/engine/replica/replica.ts';
import { fromStateJson } from '../../main/engine/state/json.ts';
import type { PoisonRecord } from '../../main/engine/state/records.ts';
import { settingsSchema, type Settings, type SettingsInput } from '../../preload/contract/settings.ts';
import type { EngineEvents, EngineStatus } from '../../preload/contract/status.ts';
import type { Stack } from '../harness/stack.ts';
import type { Tenant } from '../harness/tenant.ts';
import type { RawMessage } from '../harness/topic-reader.ts';
import { compareWithSource, tableRecords, type Comparison } from '../integration/support/replica-compare.ts';
import { keyHistory } from '../integration/support/key-history.ts';
import { killDistribution, killOnProgress, openProbe, type KillRecord, type Phase, type ReplicaProbe } from './kill-probe.ts';
import pg from 'pg';
import { createConnection } from 'node:net';
import { postgresTarget, sqliteTarget, type ReplicaTarget } from '../integration/support/replica-targets.ts';

export const CLI = join(import.meta.dirname, '../../main/cli.ts');
export const engineLog = createLogger((process.env.MIRROR_TEST_LOG as 'debug' | undefined) ?? 'error', () => undefined);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Progress on stderr when FAULT_VERBOSE is set (the full runner sets it). */
export const note = (msg: string): void => { if (process.env.FAULT_VERBOSE) process.stderr.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${msg}\n`); };

export type Dialect = 'sqlite' | 'postgres';

/** Counters reported by the runner. */
export class FaultStats {
  readonly injected: Record<string, number> = {};
  recoveries = 0;
  rowsCompared = 0;
  tablesCompared = 0;
  staleRaised = 0;
  staleResolved = 0;
  poisonKept = 0;
  workloadOps = 0;
  readonly kills: Array<KillRecord & { what: string }> = [];
  readonly loads: LoadReport[] = [];
  readonly outages: OutageReport[] = [];
  fault(kind: string, n = 1): void { this.injected[kind] = (this.injected[kind] ?? 0) + n; }
  /** The whole run's workload: at least 90 % of the planned statements, no errors. */
  assertLoad(): void {
    const planned = this.loads.reduce((a, l) => a + l.planned, 0);
    const errors = this.loads.reduce((a, l) => a + l.errors, 0);
    assert.equal(errors, 0, `the workload had ${errors} errors`);
    assert.ok(planned > 0 && this.workloadOps >= 0.9 * planned, `the workload issued ${this.workloadOps} of ${planned} planned statements over the run (< 90 %)`);
  }
  toJSON(): object {
    const planned = this.loads.reduce((a, l) => a + l.planned, 0);
    const secs = this.loads.reduce((a, l) => a + l.seconds, 0);
    return {
      injected: this.injected, recoveries: this.recoveries, tablesCompared: this.tablesCompared, rowsCompared: this.rowsCompared,
      staleRaised: this.staleRaised, staleResolved: this.staleResolved, poisonKept: this.poisonKept,
      kills: { total: this.kills.length, byLanding: killDistribution(this.kills), midBatch: this.kills.filter((k) => k.inFlight).length },
      outages: this.outages,
      load: { runs: this.loads.length, planned, done: this.workloadOps, changed: this.loads.reduce((a, l) => a + l.changed, 0), errors: this.loads.reduce((a, l) => a + l.errors, 0), opsPerSec: secs ? Math.round(this.workloadOps / secs) : 0 },
    };
  }
}

export interface FaultCtx {
  stack: Stack; tenant: Tenant; target: ReplicaTarget; settings: Settings; dialect: Dialect;
  /** The product's replica connection, for state rows only (replaced after a replica server outage). */
  check: Replica;
  cfg: string; stats: FaultStats;
  /** Events seen from in-process engines and (as ERROR/STALE lines) from CLI processes. */
  seen: { stale: Array<EngineEvents['table-stale']>; errors: Array<EngineEvents['error'] & { at: number }>; states: Array<EngineEvents['state-changed'] & { at: number }>; cliLines: string[]; log: string[] };
  cleanup(): Promise<void>;
}

/** A tenant (`shared`: another replica of that one, left running by cleanup) and a replica of `dialect` with its config file. */
export async function setupFault(stack: Stack, dialect: Dialect, name: string, stats: FaultStats, seedRows = 400, extra: Partial<SettingsInput> = {}, shared?: Tenant): Promise<FaultCtx> {
  const tenant = shared ?? await stack.createTenant({ seedRows });
  const target = await (dialect === 'sqlite' ? sqliteTarget : postgresTarget)(stack, `fault-${name}-${tenant.ctx}`);
  // The replica database keeps the harness server's synchronous_commit=off: a server stopped with SIGQUIT
  // can then lose commits it has acknowledged, which the engine must find (REPLICA_WENT_BACK: its stored
  // offsets stand before what it committed) and go back to (replicaOutage counts those reports).
  const settings = settingsSchema.parse({
    tenant: { ctx: tenant.ctx, brokers: stack.brokers }, replica: target.replica,
    maxPollTimeSeconds: 0.2, snapshotFenceDelayMs: 500, retryInitialMs: 200, retryMaxMs: 2000,
    // FAULT_FETCH_THREAD=on|off|auto: the fault run with the fetch thread forced on or off (default: the setting's default).
    ...(process.env.FAULT_FETCH_THREAD ? { fetchThread: process.env.FAULT_FETCH_THREAD } : {}), ...extra,
  });
  const dir = mkdtempSync(join(tmpdir(), 'tm-fault-'));
  const cfg = join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify(settings));
  const check = await createReplica(settings);
  await check.connect();
  const c: FaultCtx = {
    stack, tenant, target, settings, check, dialect, cfg, stats, seen: { stale: [], errors: [], states: [], cliLines: [], log: [] },
    async cleanup() {
      await check.close().catch(() => undefined);
      await target.cleanup().catch(() => undefined);
      if (!shared) await tenant.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return c;
}

/** FAULT_CLI_LOGS=<dir>: every CLI child's whole output, at log level info, kept in a file of its own there (to read a failure after). */
const CLI_LOGS = process.env.FAULT_CLI_LOGS;
let cliRuns = 0;

/** The CLI as a child process; ERROR / STALE lines of its output are kept in `c.seen.cliLines`. */
export function cli(c: FaultCtx, cmd: string, ...args: string[]): ChildProcess & { exited: Promise<number | null>; tail(): string } {
  const child = spawn(process.execPath, [CLI, cmd, '-c', c.cfg, '--log-level', CLI_LOGS ? 'info' : 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const file = CLI_LOGS ? join(CLI_LOGS, `${String(++cliRuns).padStart(4, '0')}-${c.dialect}-${cmd}-${child.pid}.log`) : null;
  if (file) { mkdirSync(CLI_LOGS!, { recursive: true }); appendFileSync(file, `${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`); }
  const keep = (b: Buffer) => {
    const text = b.toString('utf8');
    if (file) appendFileSync(file, text);
    out = (out + text).slice(-8000);
    for (const l of text.split('\n')) if (/^(ERROR|STALE) /.test(l)) c.seen.cliLines.push(l);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => {
    if (file) appendFileSync(file, `\n${new Date().toISOString()} exit ${code ?? signal}\n`);
    r(code);
  }));
  return Object.assign(child, { exited, tail: () => out });
}

export interface LoadReport {
  what: string;
  /** Statements the workload was to issue: its target rate × the time it ran. */
  planned: number;
  /** Statements issued by rounds that completed (a round of `ops` returns only once it issued them all). */
  done: number;
  /** Rows those statements changed at the source (an UPDATE to the same values or an INSERT IGNORE duplicate changes none). */
  changed: number;
  errors: number; firstError: string | null; seconds: number; opsPerSec: number;
}

/** Target rate of the fault workload (statements per second at the source). */
export const LOAD_RATE = Number(process.env.FAULT_LOAD_RATE ?? 40);

/**
 * A continuous workload at the source until stop(), paced to `rate` statements per second overall: every
 * 100 ms it issues what the plan owes (rate × elapsed − issued), over two connections. It counts what it
 * planned, what it issued (a round of `ops` returns only once it issued them all), the rows changed and
 * its errors; stop() fails on any error, or when a window of 10 s or more issued less than 90 % of its
 * plan; FaultStats.assertLoad() holds the whole run to 90 %. So "under load" is a checked fact.
 */
export function startLoad(c: FaultCtx, what: string, rate = LOAD_RATE): { stop(): Promise<LoadReport> } {
  let running = true;
  const t0 = Date.now();
  const r: LoadReport = { what, planned: 0, done: 0, changed: 0, errors: 0, firstError: null, seconds: 0, opsPerSec: 0 };
  const loop = (async () => {
    while (running) {
      const owed = Math.floor((rate * (Date.now() - t0)) / 1000) - r.done;
      if (owed > 0) {
        try {
          const w = await c.tenant.source.workload({ ops: owed, concurrency: 2 });
          r.done += owed;
          r.changed += w.inserts + w.updates + w.deletes;
        } catch (err) {
          r.errors++;
          r.firstError ??= (err as Error).message;
        }
      }
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      const ran = Date.now() - t0;
      await loop;
      r.seconds = ran / 1000;
      r.planned = Math.floor(rate * r.seconds);
      r.opsPerSec = Math.round(r.done / r.seconds);
      c.stats.loads.push(r);
      c.stats.workloadOps += r.done;
      note(`load during ${what}: ${r.done}/${r.planned} statements (${r.changed} rows changed), ${r.errors} errors, ${r.opsPerSec} ops/s`);
      assert.equal(r.errors, 0, `the workload during ${what} had ${r.errors} errors (first: ${r.firstError})`);
      // Each call lags the plan by its own duration (a few hundred ms under load): a window shorter than
      // 10 s is held to the rule only through the run's total (FaultStats.assertLoad).
      if (r.seconds >= 10) assert.ok(r.done >= 0.9 * r.planned, `the workload during ${what} issued ${r.done} of ${r.planned} planned statements (< 90 %)`);
      return r;
    },
  };
}

/**
 * The engine as the desktop app and `serve` run it: in a forked child process (main/host), its events and
 * log lines forwarded. Out of the harness's process, a replica that blocks the engine (SQLite's busy
 * timeout is synchronous) cannot stall the workload or the probes. Events go to `c.seen`.
 */
export type FaultEngine = EngineControl & { waitFor(pred: (s: EngineStatus) => boolean, timeoutMs: number): Promise<EngineStatus> };

export async function startEngine(c: FaultCtx, provision = true): Promise<FaultEngine> {
  const e = createEngineProxy(forkEngineChild(), {
    onLog: (level, message) => { c.seen.log.push(`${new Date().toISOString()} ${level} ${message}`); if (c.seen.log.length > 3000) c.seen.log.shift(); },
  });
  e.on('table-stale', (t) => c.seen.stale.push(t));
  e.on('error', (x) => c.seen.errors.push({ ...x, at: Date.now() }));
  e.on('state-changed', (x) => c.seen.states.push({ ...x, at: Date.now() }));
  await e.start(c.settings, { provision });
  const waitFor = async (pred: (s: EngineStatus) => boolean, timeoutMs: number): Promise<EngineStatus> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const s = e.status();
      if (pred(s)) return s;
      if (Date.now() > until) throw new Error(`engine: condition not reached in ${timeoutMs} ms; status ${JSON.stringify({ state: s.state, lag: s.lagEvents, tables: s.tables.map((t) => `${t.id}:${t.state}`) })}; last log lines:\n${c.seen.log.slice(-15).join('\n')}`);
      await sleep(250);
    }
  };
  return Object.assign(e, { waitFor });
}

export const caughtUp = (s: EngineStatus): boolean =>
  s.state === 'streaming' && s.lagEvents === 0 && s.tables.length > 0 && s.tables.every((t) => t.state === 'ok');

/**
 * Compares every table until all are equal or `timeoutMs` passes. Then every table that still differs
 * must be explicitly stale / halted with a recorded reason and a matching event; anything else fails.
 */
export async function verifyTables(c: FaultCtx, what: string, opts: { timeoutMs?: number; allowExplained?: boolean; mayDiffer?: (table: string) => boolean } = {}): Promise<{ equal: string[]; explained: string[]; compared: Comparison[] }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  let last: Comparison[] = [];
  for (;;) {
    last = await compareWithSource(c.tenant, c.settings);
    if (last.every((x) => x.equal || opts.mayDiffer?.(x.table))) break;
    if (Date.now() > deadline) break;
    await sleep(1000);
  }
  note(`${what}: ${last.filter((x) => x.equal).length}/${last.length} tables equal`);
  c.stats.tablesCompared += last.length;
  c.stats.rowsCompared += last.reduce((s, x) => s + x.sourceRows, 0);
  const bad = last.filter((x) => !x.equal);
  const explained: string[] = [];
  if (bad.length) {
    const recs = await tableRecords(c.check);
    const unexplained: string[] = [];
    for (const b of bad) {
      const r = recs.get(b.table.toLowerCase());
      const reason = r?.state === 'stale' ? r.staleReason : r?.state === 'halted' ? r.error?.message : null;
      const evented = r && (c.seen.stale.some((s) => s.table === r.id) || c.seen.errors.some((e) => e.table === r.id) || c.seen.cliLines.some((l) => l.includes(r.id)));
      if (opts.allowExplained && r && reason && evented) explained.push(r.id);
      else unexplained.push(`  ${b.table}: source ${b.sourceRows} rows, replica ${b.replicaRows}; state ${r?.state ?? 'missing'} reason ${reason ?? '-'} event ${evented ? 'yes' : 'no'}; ${b.detail}`);
    }
    if (unexplained.length) {
      let history = '';
      for (const b of bad.slice(0, 4)) history += await keyHistory(c.tenant, b.table, b.keys ?? []).catch((err: unknown) => `\n(topic history of ${b.table} unavailable: ${(err as Error).message})`);
      const log = c.seen.log.length ? `\nlast engine log lines:\n${c.seen.log.slice(-40).join('\n')}` : '';
      assert.fail(`${what}: replica differs from source and the difference is not explained:\n${unexplained.join('\n')}${history}${log}`);
    }
  }
  return { equal: last.filter((x) => x.equal).map((x) => x.table), explained, compared: last };
}

/** Every table ok with no sweep left (a resync or full snapshot finished), from the product's state rows. */
async function sweepsDone(c: FaultCtx): Promise<string | null> {
  const recs = [...(await tableRecords(c.check)).values()];
  const open = recs.filter((t) => t.sweep !== null || t.state !== 'ok');
  return open.length ? open.map((t) => `${t.id} ${t.state} sweep ${t.sweep?.kind ?? '-'}`).join(', ') : null;
}

/** Waits for a CLI `sync` to apply everything (and, with `sweeps`, to finish every resync / full snapshot), then stops it cleanly. */
async function settleWithSync(c: FaultCtx, what: string, sweeps = false): Promise<void> {
  const child = cli(c, 'sync');
  try {
    await verifyTables(c, what);
    if (sweeps) {
      const until = Date.now() + 180_000;
      let left = await sweepsDone(c);
      while (left && Date.now() < until) { await sleep(1000); left = await sweepsDone(c); }
      assert.equal(left, null, `${what}: every table ok with no sweep left; still: ${left}\nsync output: ${child.tail().slice(-2000)}`);
      await verifyTables(c, `${what} (sweeps done)`);
    }
  } finally {
    child.kill('SIGTERM');
    await child.exited;
  }
}

/** Runs a CLI `sync` until every table is ok with no sweep left (no comparison: the load may be running), then stops it. */
async function sweepsWithSync(c: FaultCtx, what: string): Promise<void> {
  const child = cli(c, 'sync');
  try {
    const until = Date.now() + 180_000;
    let left = await sweepsDone(c);
    while (left && Date.now() < until) { await sleep(500); left = await sweepsDone(c); }
    assert.equal(left, null, `${what}: every table ok with no sweep left; still: ${left}\nsync output: ${child.tail().slice(-2000)}`);
  } finally {
    child.kill('SIGTERM');
    await child.exited;
  }
}

// ------------------------------------------------------------------------------------------ faults

/** Table ids of the replica (from the product's table records). */
async function tableIds(c: FaultCtx): Promise<string[]> {
  return [...(await tableRecords(c.check)).values()].map((t) => t.id);
}

export interface KillLoop {
  what: string;
  /** Kills that must land in `phase` (kills landing elsewhere, or processes that finish first, do not count). */
  kills: number;
  phase: Phase;
  /** The CLI command (and arguments) to start for the next attempt. */
  command(before: Phase): Promise<string[]>;
  /** Called before an attempt when the replica is not in `phase` and no trigger is pending: start the phase again. */
  retrigger?(): Promise<void>;
  /**
   * Each kill needs a trigger of its own (instead of `retrigger`): called before an attempt unless the
   * previous attempt's kill did not land (then the same trigger is awaited again). It may return work to
   * start right after the CLI is spawned (run alongside the wait for progress, awaited after the kill).
   */
  arm?(probe: ReplicaProbe, attempt: number): Promise<(() => Promise<void>) | void>;
  maxOffsetMs?: number;
  /** How long after spawning the CLI progress in `phase` may take to appear (default 60 s). */
  triggerTimeoutMs?: number;
}

/**
 * kill -9 of a CLI process, again and again, each aimed at observed progress in `phase` (kill-probe.ts),
 * under load. Asserts that `kills` kills landed in the phase and that at least half of them landed with a
 * batch in flight (a write transaction open in the replica). Returns the records (also in c.stats.kills).
 */
export async function killLoop(c: FaultCtx, o: KillLoop): Promise<KillRecord[]> {
  const probe: ReplicaProbe = await openProbe(c.settings.replica, c.settings.tablePrefix);
  const load = startLoad(c, o.what);
  const recs: KillRecord[] = [];
  const lands = (r: KillRecord) => r.trigger !== 'process exited' && r.trigger !== 'none (deadline)' && r.phase === o.phase;
  const landed = () => recs.filter(lands);
  let pending = false;
  let armed = false;
  try {
    for (let attempt = 1; landed().length < o.kills; attempt++) {
      assert.ok(attempt <= o.kills * 3 + 3, `${o.what}: only ${landed().length} of ${o.kills} kills landed in ${o.phase} after ${attempt - 1} attempts: ${JSON.stringify(killDistribution(recs))}`);
      let before = await probe.sample();
      let afterSpawn: (() => Promise<void>) | void = undefined;
      if (o.arm) { if (!armed) { afterSpawn = await o.arm(probe, attempt); armed = true; before = await probe.sample(); } }
      else if (before.phase === o.phase) pending = false;
      else if (!pending && o.retrigger) { await o.retrigger(); pending = true; before = await probe.sample(); }
      else if (!o.retrigger && attempt > 1) assert.fail(`${o.what}: ${o.phase} ended (the replica is in ${before.phase}) after ${landed().length} of ${o.kills} kills: ${JSON.stringify(killDistribution(recs))}`);
      const args = await o.command(before.phase);
      const child = cli(c, args[0]!, ...args.slice(1));
      const side = afterSpawn ? afterSpawn() : Promise.resolve();
      side.catch(() => undefined); // awaited (and its failure raised) after the kill
      const rec = await killOnProgress(probe, before, { exited: child.exited, kill: () => child.kill('SIGKILL') }, attempt,
        { phase: o.phase, ...(o.maxOffsetMs !== undefined ? { maxOffsetMs: o.maxOffsetMs } : {}), ...(o.triggerTimeoutMs !== undefined ? { triggerTimeoutMs: o.triggerTimeoutMs } : {}) });
      await side;
      if (lands(rec)) armed = false;
      recs.push(rec);
      c.stats.kills.push({ ...rec, what: o.what });
      if (rec.trigger !== 'process exited') c.stats.fault(`kill -9 during ${rec.phase}`);
      note(`${o.what} #${attempt} (${args[0]}): ${rec.trigger} after ${rec.triggerMs} ms, kill +${rec.afterTriggerMs} ms in ${rec.phase}, ${rec.inFlight ? 'batch in flight' : 'between batches'} (${rec.inFlightDetail}); offsets ${rec.offsetsBefore} → ${rec.offsetsAtTrigger} → ${rec.offsetsAfter}, snapshot rows ${rec.snapshotRowsBefore} → ${rec.snapshotRowsAfter}${rec.schemaAtTrigger !== undefined ? `; schema at the trigger: ${rec.schemaAtTrigger ?? 'unmoved'}, after the kill: ${rec.schemaAfter ?? 'unmoved'}` : ''}; exit ${rec.exitCode}`);
      if (rec.trigger === 'none (deadline)') assert.fail(`${o.what}: no progress in ${o.phase} observed within ${(o.triggerTimeoutMs ?? 60_000) / 1000} s of starting ${args[0]}`);
      if (rec.phase === o.phase) pending = false;
    }
  } finally {
    await probe.close();
    await load.stop();
  }
  const l = landed();
  const mid = l.filter((r) => r.inFlight).length;
  note(`${o.what}: ${l.length} kills in ${o.phase}, ${mid} with a batch in flight; all attempts: ${JSON.stringify(killDistribution(recs))}`);
  assert.ok(mid * 2 >= l.length, `${o.what}: only ${mid} of ${l.length} kills landed with a batch in flight`);
  return recs;
}

/** kill -9 of `provision` while the initial snapshot is being applied (observed), under load; then provision completes. */
export async function killsDuringSnapshot(c: FaultCtx, kills: number): Promise<void> {
  // 0-150 ms after the trigger: SQLite applies ~5 snapshot rows/ms, so 0-400 ms used up 12,000 rows in 8 kills.
  await killLoop(c, { what: 'kills during the initial snapshot', kills, phase: 'initial-snapshot', command: async () => ['provision'], maxOffsetMs: 150 });
  // provision waits for lag 0, which a continuous workload never gives: it finishes without load.
  const done = cli(c, 'provision', '--timeout', '180');
  const code = await done.exited;
  let failure: string | null = null;
  if (code !== 0) {
    const info = cli(c, 'info', '--json');
    await info.exited;
    failure = `provision did not complete after the kills (exit ${code}); its output ends with:\n${done.tail().slice(-3000)}\ninfo: ${info.tail().slice(-4000)}`;
    note(failure);
  }
  // Settle anyway: tells a replica that is behind apart from a provision that cannot tell it is done.
  await settleWithSync(c, 'after kills during snapshot');
  assert.equal(failure, null, failure ?? '');
  c.stats.recoveries++;
}

/** kill -9 of `sync` while streaming, each after observed offsets moving, under load. */
export async function killsDuringStreaming(c: FaultCtx, kills: number): Promise<void> {
  await killLoop(c, { what: 'kills while streaming', kills, phase: 'streaming', command: async () => ['sync'] });
  await settleWithSync(c, 'after kills during streaming');
  c.stats.recoveries++;
}

export type SchemaChangeKind = 'add column' | 'narrow column' | 'drop column';

/**
 * kill -9 of `sync` while it applies a source ALTER TABLE of `table`, under load. Each kill has a change of
 * its own, in turn: a column added (`VARCHAR(100) DEFAULT …`: altered in place), that column narrowed to
 * VARCHAR(20) and then dropped (both incompatible: the table is dropped, recreated and resnapshotted).
 * Odd attempts make the change before `sync` starts (applied as it starts), even ones 1.5–3.5 s after
 * (applied while it streams). The kill is aimed at the replica seen applying it (kill-probe's
 * `schema-change` phase: the table record's hash or the replica table's columns moved), 0–100 ms after,
 * plus up to 3 s for a batch in flight. Afterwards every table is equal and the replica table has exactly
 * the source's columns.
 */
export async function killsDuringSchemaChanges(c: FaultCtx, kills: number, table = 'contact', kinds: SchemaChangeKind[] = ['add column', 'narrow column', 'drop column']): Promise<void> {
  let n = 0;
  let col = '';
  const made: string[] = [];
  const schema = c.tenant.source.database;
  await killLoop(c, {
    what: 'kills during schema changes', kills, phase: 'schema-change', command: async () => ['sync'], maxOffsetMs: 100, triggerTimeoutMs: 120_000,
    arm: async (probe, attempt) => {
      const kind = kinds[n % kinds.length]!;
      n++;
      if (kind === 'add column' || !col) col = `fault_s${n}`;
      // A rebuilt table's resnapshot (Debezium's incremental snapshot) must be over before the next ALTER:
      // a chunk read while the ALTER runs fails in Debezium ("Column 'x' not found in result set", its
      // window-close signal then fails), its snapshot stays open and its connection keeps a metadata
      // lock on the table, so the next ALTER, and the workload behind it, wait forever (seen 2026-11-30).
      const open = await sweepsDone(c);
      if (open) { note(`before schema change #${n}: a sync until no sweep is left (${open})`); await sweepsWithSync(c, `before schema change #${n}`); }
      const base = await probe.watch({ schema, table });
      const ddl = async () => {
        if (kind === 'add column' || !made.some((m) => m.endsWith(` ${col}`))) await c.tenant.source.addColumn(table, col, `VARCHAR(100) NULL DEFAULT 'f${n}'`);
        else if (kind === 'narrow column') await c.tenant.source.modifyColumn(table, col, 'VARCHAR(20) NULL');
        else { await c.tenant.source.dropColumn(table, col); }
      };
      const alter = async () => {
        let timer: NodeJS.Timeout | undefined;
        const limit = new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`schema change #${n} (${kind} ${table}.${col}) at the source still waiting after 90 s (a metadata lock held at the source?)`)), 90_000); });
        try { await Promise.race([ddl(), limit]); } finally { clearTimeout(timer); }
        made.push(`${kind} ${col}`);
        c.stats.fault(`source ALTER TABLE (${kind})`);
        note(`schema change #${n} at the source: ${kind} ${table}.${col} (${attempt % 2 ? 'before sync starts' : 'while sync runs'}); the replica had record ${base?.hash?.slice(0, 8) ?? 'none'}, columns [${base?.columns ?? 'table missing'}]`);
        if (kind === 'drop column') col = '';
      };
      if (attempt % 2) { await alter(); return; }
      return async () => { await sleep(1500 + Math.floor(Math.random() * 2000)); await alter(); };
    },
  });
  await settleWithSync(c, 'after kills during schema changes', true);
  const probe = await openProbe(c.settings.replica, c.settings.tablePrefix);
  try {
    const seen = await probe.watch({ schema, table });
    const source = (await c.tenant.source.columns(table)).map((x) => x.name);
    assert.deepEqual((seen?.columns ?? '').split(',').sort(), [...source].sort(), `after the schema changes (${made.join(', ')}) the replica's ${table} has the source's columns`);
  } finally { await probe.close(); }
  c.stats.recoveries++;
}

/**
 * kill -9 during a resync of every table: `resync-tables` (requests it and waits) is itself killed once
 * the resync progresses; then `sync` resumes it and is killed again, and so on; a new resync is requested
 * whenever the previous one finished.
 */
export async function killsDuringResync(c: FaultCtx, kills: number): Promise<void> {
  const ids = await tableIds(c);
  await killLoop(c, {
    what: 'kills during a resync', kills, phase: 'resync',
    command: async (phase) => (phase === 'resync' ? ['sync'] : ['resync-tables', ...ids, '--timeout', '300']),
    // The resync ended before every kill landed (a fast hour: after 17 of 20, 2026-12-04): the next
    // attempt's command is `resync-tables` again, which starts a new one.
    retrigger: async () => { note('the resync ended: the next attempt requests a new one'); },
  });
  await settleWithSync(c, 'after kills during a resync', true);
  c.stats.recoveries++;
}

/** kill -9 of `sync` during full snapshots (the connector's offsets reset: it snapshots every table again). */
export async function killsDuringFullSnapshot(c: FaultCtx, kills: number): Promise<void> {
  await killLoop(c, {
    what: 'kills during a full snapshot', kills, phase: 'full-snapshot', command: async () => ['sync'],
    retrigger: async () => {
      await c.tenant.connector.stop();
      await c.tenant.connector.resetOffsets();
      await c.tenant.connector.start();
      c.stats.fault('full snapshot started (connector offsets reset)');
    },
  });
  await settleWithSync(c, 'after kills during a full snapshot', true);
  c.stats.recoveries++;
}

// ------------------------------------------------------------------------------------------ outages

export interface OutageReport {
  what: string; ms: number; probes: number; refused: number; engineFailures: number; firstFailure: string | null;
  /** REPLICA_WENT_BACK error events after the outage began: the replica had lost commits it acknowledged (a server crash). */
  wentBack: number;
}

/** Tries `attempt` every `everyMs` until `done()`: how many attempts were refused (ECONNREFUSED / SQLITE_BUSY). */
function probeRefused(attempt: () => Promise<void>, everyMs = 1000): { stop(cutoff?: number): Promise<{ probes: number; refused: number; other: string[] }> } {
  let running = true;
  const tries: Array<{ at: number; refused: boolean; other: string }> = [];
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      try { await attempt(); tries.push({ at, refused: false, other: 'connected' }); } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        const refused = code === 'ECONNREFUSED' || code.startsWith('SQLITE_BUSY') || /ECONNREFUSED/.test((err as Error).message);
        tries.push({ at, refused, other: refused ? '' : `${code} ${(err as Error).message}` });
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop(cutoff = Infinity) {
      running = false;
      await loop;
      const counted = tries.filter((t) => t.at < cutoff);
      return { probes: counted.length, refused: counted.filter((t) => t.refused).length, other: counted.filter((t) => !t.refused).map((t) => t.other) };
    },
  };
}

const tcpConnect = (host: string, port: number) => new Promise<void>((res, rej) => {
  const s = createConnection({ host, port });
  s.once('connect', () => { s.destroy(); res(); });
  s.once('error', (err) => { s.destroy(); rej(err); });
});

/** The engine's retry states and error events since `t0`. */
function engineFailuresSince(c: FaultCtx, t0: number): string[] {
  return [
    ...c.seen.states.filter((x) => x.at >= t0 && (x.state === 'retrying' || x.state === 'error')).map((x) => `state ${x.state}: ${x.reason ?? ''}`),
    ...c.seen.errors.filter((x) => x.at >= t0).map((x) => `error ${x.error.code}: ${x.error.message}`),
  ];
}

async function outage(c: FaultCtx, e: FaultEngine, what: string, ms: number, down: () => Promise<void>, up: () => Promise<void>, attempt: () => Promise<void>,
  /** When the outage ended (probes after it do not count); default: when up() began. */
  endedAt?: () => number): Promise<void> {
  const load = startLoad(c, what);
  let t0 = 0;
  let probed: { probes: number; refused: number; other: string[] };
  try {
    await sleep(500);
    t0 = Date.now();
    await down();
    const probe = probeRefused(attempt);
    await sleep(ms);
    const upAt = Date.now();
    await up();
    probed = await probe.stop(endedAt?.() ?? upAt);
    await sleep(1000);
  } finally { await load.stop(); }
  const failures = engineFailuresSince(c, t0);
  const wentBack = () => c.seen.errors.filter((x) => x.at >= t0 && x.error.code === 'REPLICA_WENT_BACK').length;
  const rep: OutageReport = { what, ms, probes: probed.probes, refused: probed.refused, engineFailures: failures.length, firstFailure: failures[0]?.slice(0, 200) ?? null, wentBack: wentBack() };
  c.stats.outages.push(rep);
  c.stats.fault(what);
  note(`${what}: ${probed.refused}/${probed.probes} probes refused (${probed.other.slice(0, 2).join('; ')}), engine failures ${failures.length}: ${failures.slice(0, 3).join(' | ')}`);
  assert.ok(probed.probes >= 2 && probed.refused === probed.probes, `${what}: every probe during the outage is refused (${probed.refused}/${probed.probes}; ${probed.other.slice(0, 3).join('; ')})`);
  assert.ok(failures.length > 0, `${what}: the engine reported the outage (a retrying state or an error event)`);
  await verifyTables(c, `after ${what}`, { timeoutMs: 180_000 });
  await e.waitFor(caughtUp, 120_000);
  rep.wentBack = wentBack();
  note(`${what}: the engine reported REPLICA_WENT_BACK ${rep.wentBack} time(s)`);
  c.stats.recoveries++;
}

/**
 * The replica goes away for `ms` under load. PostgreSQL: the stack's own server is stopped for real
 * (immediate shutdown, SIGQUIT to the postmaster as `pg_ctl stop -m immediate` sends; connections are
 * refused) and started again (crash recovery). SQLite (a file, no server): a second connection holds the
 * write lock for `ms`. Either way every probe during the outage must fail and the engine must report it.
 */
export async function replicaOutage(c: FaultCtx, e: FaultEngine, ms: number): Promise<void> {
  const r = c.settings.replica;
  if (r.kind === 'postgres') {
    const server = c.stack.postgresServer;
    assert.ok(server, 'a real replica outage needs the stack\'s own PostgreSQL (a private stack)');
    await outage(c, e, `PostgreSQL replica server stopped ${Math.round(ms / 1000)} s`, ms,
      async () => {
        server.process.child!.kill('SIGQUIT');
        const until = Date.now() + 30_000;
        while (server.process.running && Date.now() < until) await sleep(50);
        assert.ok(!server.process.running, 'PostgreSQL stopped');
      },
      async () => {
        await server.start();
        // The harness's own product connection (c.check) died with the server.
        await c.check.close().catch(() => undefined);
        c.check = await createReplica(c.settings);
        await c.check.connect();
      },
      async () => {
        const cl = new pg.Client({ host: r.host, port: r.port, database: r.database, user: r.user, ...(typeof r.password === 'string' ? { password: r.password } : {}), connectionTimeoutMillis: 2000 });
        cl.on('error', () => undefined);
        try { await cl.connect(); } finally { await cl.end().catch(() => undefined); }
      });
    return;
  }
  if (r.kind === 'sqlite') {
    // A separate process holds the write lock: its timing does not depend on this process's event loop.
    const holder = spawn(process.execPath, ['-e', `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(r.file)}, { timeout: 20000 });
      db.exec('BEGIN IMMEDIATE'); console.log('locked ' + Date.now());
      setTimeout(() => { console.log('releasing ' + Date.now()); db.exec('ROLLBACK'); db.close(); }, ${ms});`], { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    holder.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    const exited = new Promise<number | null>((res) => holder.on('exit', (code) => res(code)));
    const { default: Database } = await import('better-sqlite3');
    await outage(c, e, `SQLite replica write-locked ${Math.round(ms / 1000)} s`, ms,
      async () => { while (!/locked \d+/.test(out)) { assert.equal(holder.exitCode, null, `the lock holder exited: ${out}`); await sleep(20); } },
      async () => { assert.equal(await exited, 0, `the lock holder failed: ${out}`); },
      async () => { const db = new Database(r.file, { timeout: 0 }); try { db.exec('BEGIN IMMEDIATE'); db.exec('ROLLBACK'); } finally { db.close(); } },
      () => Number(/releasing (\d+)/.exec(out)?.[1] ?? Date.now()));
    return;
  }
  throw new Error(`replicaOutage: ${r.kind} not supported`);
}

/** The Kafka broker stopped (clean shutdown) for `ms` under load, then started again: connections refused meanwhile. */
export async function kafkaOutage(c: FaultCtx, e: FaultEngine, ms: number): Promise<void> {
  const broker = c.stack.broker;
  assert.ok(broker, 'a Kafka outage needs the stack\'s own broker (a private stack)');
  const [host, port] = c.stack.brokers[0]!.split(':') as [string, string];
  await outage(c, e, `Kafka broker stopped ${Math.round(ms / 1000)} s`, ms,
    async () => { await broker.process.stop(30_000); },
    async () => { broker.process.start(); await broker.waitReady(); },
    () => tcpConnect(host, Number(port)));
}

/**
 * Kafka Connect restarted (kill -9 with `hard`) under load. The engine does not talk to Connect, so what
 * must be observed failing is Connect itself (its REST port refuses during the restart); afterwards the
 * changes made meanwhile arrive and every table is equal.
 */
export async function connectRestart(c: FaultCtx, e: FaultEngine, hard: boolean): Promise<void> {
  const what = `Kafka Connect restarted${hard ? ' (kill -9)' : ''}`;
  const url = new URL(c.stack.connectUrl);
  const load = startLoad(c, what);
  let probed: { probes: number; refused: number; other: string[] };
  const t0 = Date.now();
  try {
    await sleep(1000);
    const probe = probeRefused(() => tcpConnect(url.hostname, Number(url.port)), 250);
    await c.stack.restartConnect({ hard });
    probed = await probe.stop();
    await sleep(2000);
  } finally { await load.stop(); }
  c.stats.outages.push({ what, ms: Date.now() - t0, probes: probed.probes, refused: probed.refused, engineFailures: 0, firstFailure: null, wentBack: 0 });
  c.stats.fault(what);
  note(`${what}: ${probed.refused}/${probed.probes} REST probes refused`);
  assert.ok(probed.refused > 0, `${what}: Connect's REST port refused connections during the restart (${probed.refused}/${probed.probes})`);
  await verifyTables(c, `after ${what}`, { timeoutMs: 180_000 });
  await e.waitFor(caughtUp, 120_000);
  c.stats.recoveries++;
}

/** Records purged while the client is stopped: every table goes stale (event + reason), then is resynced. */
export async function purgeWhileStopped(c: FaultCtx): Promise<FaultEngine> {
  let e = await startEngine(c);
  await e.waitFor(caughtUp, 120_000);
  await e.stop();
  await c.tenant.source.workload({ ops: 200 });
  await sleep(2000);
  await c.tenant.purge();
  c.stats.fault('records purged while stopped');
  const before = c.seen.stale.length;
  e = await startEngine(c, false);
  const stale = c.seen.stale.slice(before);
  assert.ok(stale.length > 0, 'a table-stale event per table when records were purged');
  assert.ok(stale.every((s) => /purged/.test(s.reason)), 'the stale reason names the purge');
  c.stats.staleRaised += stale.length;
  const load = startLoad(c, 'the resync after the purge');
  try { await sleep(5000); } finally { await load.stop(); }
  await verifyTables(c, 'after the purge (auto resync)', { timeoutMs: 150_000 });
  await e.waitFor(caughtUp, 120_000);
  c.stats.staleResolved += stale.length;
  c.stats.recoveries++;
  return e;
}

/** The source restored to an earlier backup; the connector re-snapshots; orphans must be swept. */
export async function sourceRestored(c: FaultCtx, e: FaultEngine): Promise<void> {
  const backup = await c.tenant.source.backup();
  const load = startLoad(c, 'before the source restore');
  try { await sleep(3000); } finally { await load.stop(); }
  await c.tenant.connector.stop();
  await c.tenant.source.restore(backup);
  await c.tenant.connector.resetOffsets();
  await c.tenant.connector.start();
  c.stats.fault('source restored to an earlier state');
  await verifyTables(c, 'after the source restore', { timeoutMs: 180_000 });
  await e.waitFor(caughtUp, 120_000);
  c.stats.recoveries++;
}

// ------------------------------------------------------------------------------------------ poison

export type PoisonKind = 'malformed-json' | 'value-does-not-fit' | 'unknown-logical-type' | 'schema-contradicts-table';
export const POISON_KINDS: PoisonKind[] = ['malformed-json', 'value-does-not-fit', 'unknown-logical-type', 'schema-contradicts-table'];

interface ConnectSchema { type: string; name?: string; field?: string; fields?: ConnectSchema[]; [k: string]: unknown }

/** Builds a poison value from a real change event of `person` (key and partition kept). */
export function poisonValue(kind: PoisonKind, realValue: string): string {
  if (kind === 'malformed-json') return realValue.slice(0, Math.floor(realValue.length / 3)) + '\u0000{"unterminated';
  const v = JSON.parse(realValue) as { schema: ConnectSchema; payload: { after: Record<string, unknown> | null; before: unknown; op: string } };
  const row = v.schema.fields!.find((f) => f.field === 'after')!;
  const field = (name: string) => row.fields!.find((f) => f.field === name)!;
  v.payload.op = 'u';
  switch (kind) {
    case 'value-does-not-fit': v.payload.after!.person_rank = 'not a number, and far too long for an INT column'; break;
    // The source column type (parameters) wins over the logical name, so both go.
    case 'unknown-logical-type': { const f = field('person_rank'); f.name = 'io.example.time.NotAType'; delete f.parameters; break; }
    case 'schema-contradicts-table': { const f = field('person_id'); f.type = 'string'; delete f.parameters; v.payload.after!.person_id = String(v.payload.after!.person_id); break; }
  }
  return JSON.stringify(v);
}

/**
 * Produces one poison event of each kind to `<ctx>-cdc` while the engine runs under load. Each must be
 * kept in _ReplicationState (topic:partition:offset, table, reason, raw value), announced by an `error`
 * event, and its table halted with the reason; other tables keep replicating. The halted table is then
 * resynced and must become equal again.
 */
export async function poisonEvents(c: FaultCtx, e: FaultEngine, kinds: PoisonKind[] = POISON_KINDS): Promise<void> {
  const reader = await c.tenant.collect(c.tenant.topics.cdc, { fromBeginning: true });
  let real;
  try {
    real = await reader.waitFor((m) => m.value !== null && m.value.includes('"table":"person"'), { timeoutMs: 30_000, what: 'a person change event' });
  } finally { await reader.stop(); }
  const producer = c.stack.kafka.producer();
  await producer.connect();
  try {
    for (const kind of kinds) await onePoison(c, e, producer, kind, real);
  } finally { await producer.disconnect(); }
}

/**
 * One poison event: produced under load, then it must be kept, announced and its table halted with the
 * reason (others equal); the halted table is resynced before the next one, since events of a halted
 * table are skipped until its resync.
 */
async function onePoison(c: FaultCtx, e: FaultEngine, producer: Producer, kind: PoisonKind, real: RawMessage): Promise<void> {
  const errorsBefore = c.seen.errors.length;
  const load = startLoad(c, `poison ${kind}`);
  const value = poisonValue(kind, real.value!);
  let where: string;
  try {
    await sleep(1000);
    const [md] = await producer.send({ topic: c.tenant.topics.cdc, messages: [{ key: real.key, value, partition: real.partition }] });
    where = `${c.tenant.topics.cdc}:${real.partition}:${md!.baseOffset ?? md!.offset}`;
    c.stats.fault(`poison: ${kind}`);
    note(`poison ${kind} at ${where}`);
    await sleep(2500);
  } finally { await load.stop(); }
  const deadline = Date.now() + 60_000;
  let k: PoisonRecord | undefined;
  for (;;) {
    k = (await c.check.readState()).filter((r) => r.kind === 'poison').map((r) => fromStateJson<PoisonRecord>(r.value)).find((x) => `${x.topic}:${x.partition}:${x.offset}` === where);
    if (k || Date.now() > deadline) break;
    await sleep(500);
  }
  assert.ok(k, `poison event ${kind} at ${where} is kept in _ReplicationState`);
  assert.equal(k.value, value.slice(0, 65536), `poison event ${kind}: the raw value is kept`);
  assert.ok(k.reason && k.code, `poison event ${kind}: the reason is kept`);
  note(`poison ${kind} kept: ${k.code} ${k.reason.slice(0, 100)} (table ${k.table ?? '-'})`);
  assert.ok(c.seen.errors.slice(errorsBefore).some((x) => x.error.message.includes(where)), `poison event ${kind}: an error event names ${where}`);
  c.stats.poisonKept++;
  // Only the poisoned table is halted (with its reason and an error event); every other table is equal.
  const ownName = k.table?.split('.').pop()?.toLowerCase();
  const v = await verifyTables(c, `after poison ${kind}`, { allowExplained: true, timeoutMs: 30_000, mayDiffer: (t) => t.toLowerCase() === ownName });
  const halted = e.status().tables.filter((t) => t.state === 'halted');
  const haltedIds = halted.map((t) => t.id);
  const own = k.table ? [k.table] : [];
  assert.deepEqual(haltedIds.sort(), own, `poison ${kind}: only its own table (${k.table ?? 'none: the event names no table'}) is halted; halted: ${haltedIds.join(', ') || 'none'}`);
  assert.ok(v.explained.every((t) => own.includes(t)), `poison ${kind}: only ${k.table ?? 'no table'} may differ; differing: ${v.explained.join(', ')}`);
  const others = v.compared.filter((x) => !own.some((t) => t.toLowerCase().endsWith(`.${x.table.toLowerCase()}`)));
  assert.ok(others.length > 0 && others.every((x) => x.equal), `poison ${kind}: every other table is equal (${others.filter((x) => !x.equal).map((x) => x.table).join(', ')})`);
  note(`poison ${kind}: halted ${haltedIds.join(', ') || 'none'}; ${others.length} other tables equal`);
  c.stats.staleRaised += halted.length;
  if (halted.length) {
    await e.resyncTables(halted.map((t) => t.id));
    await verifyTables(c, `after resyncing the tables halted by ${kind}`, { timeoutMs: 120_000 });
    await e.waitFor(caughtUp, 120_000);
    c.stats.staleResolved += halted.length;
  }
  c.stats.recoveries++;
}
