/**
 * Fault injection on the real stack, shared by the full runner (`npm run test:faults`,
 * test/faults/run-faults.ts) and the short subset inside `npm test` (test/integration/faults-short.test.ts).
 *
 * Every fault runs under a continuous source workload and ends with a comparison of every table of the
 * replica with the source (checksums of canonical rows). A table may differ only when it is explicitly
 * stale or halted with its reason recorded in _ReplicationState AND a table-stale / error event was seen.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Producer } from 'kafkajs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../../main/engine/engine.ts';
import { createLogger } from '../../main/engine/log.ts';
import { createReplica } from '../../main/engine/replica/create-replica.ts';
import type { Replica } from '../../main/engine/replica/dialect.ts';
import { fromStateJson } from '../../main/engine/state/json.ts';
import type { PoisonRecord } from '../../main/engine/state/records.ts';
import { settingsSchema, type Settings, type SettingsInput } from '../../preload/contract/settings.ts';
import type { EngineEvents, EngineStatus } from '../../preload/contract/status.ts';
import type { Stack } from '../harness/stack.ts';
import type { Tenant } from '../harness/tenant.ts';
import type { RawMessage } from '../harness/topic-reader.ts';
import { compareWithSource, tableRecords, type Comparison } from '../integration/support/replica-compare.ts';
import { postgresTarget, sqliteTarget, type ReplicaTarget } from '../integration/support/replica-targets.ts';

const CLI = join(import.meta.dirname, '../../main/cli.ts');
export const engineLog = createLogger((process.env.MIRROR_TEST_LOG as 'debug' | undefined) ?? 'error', () => undefined);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const rnd = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));
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
  fault(kind: string, n = 1): void { this.injected[kind] = (this.injected[kind] ?? 0) + n; }
  toJSON(): object {
    return { injected: this.injected, recoveries: this.recoveries, tablesCompared: this.tablesCompared, rowsCompared: this.rowsCompared, staleRaised: this.staleRaised, staleResolved: this.staleResolved, poisonKept: this.poisonKept, workloadOps: this.workloadOps };
  }
}

export interface FaultCtx {
  stack: Stack; tenant: Tenant; target: ReplicaTarget; settings: Settings; check: Replica; dialect: Dialect;
  cfg: string; stats: FaultStats;
  /** Events seen from in-process engines and (as ERROR/STALE lines) from CLI processes. */
  seen: { stale: Array<EngineEvents['table-stale']>; errors: Array<EngineEvents['error']>; cliLines: string[] };
  cleanup(): Promise<void>;
}

export async function setupFault(stack: Stack, dialect: Dialect, name: string, stats: FaultStats, seedRows = 400, extra: Partial<SettingsInput> = {}): Promise<FaultCtx> {
  const tenant = await stack.createTenant({ seedRows });
  const target = await (dialect === 'sqlite' ? sqliteTarget : postgresTarget)(stack, `fault-${name}-${tenant.ctx}`);
  const settings = settingsSchema.parse({
    tenant: { ctx: tenant.ctx, brokers: stack.brokers }, replica: target.replica,
    maxPollTimeSeconds: 0.2, snapshotFenceDelayMs: 500, retryInitialMs: 200, retryMaxMs: 2000, ...extra,
  });
  const dir = mkdtempSync(join(tmpdir(), 'tm-fault-'));
  const cfg = join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify(settings));
  const check = await createReplica(settings);
  await check.connect();
  const c: FaultCtx = {
    stack, tenant, target, settings, check, dialect, cfg, stats, seen: { stale: [], errors: [], cliLines: [] },
    async cleanup() {
      await check.close().catch(() => undefined);
      await target.cleanup().catch(() => undefined);
      await tenant.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return c;
}

/** The CLI as a child process; ERROR / STALE lines of its output are kept in `c.seen.cliLines`. */
export function cli(c: FaultCtx, cmd: string, ...args: string[]): ChildProcess & { exited: Promise<number | null>; tail(): string } {
  const child = spawn(process.execPath, [CLI, cmd, '-c', c.cfg, '--log-level', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    const text = b.toString('utf8');
    out = (out + text).slice(-8000);
    for (const l of text.split('\n')) if (/^(ERROR|STALE) /.test(l)) c.seen.cliLines.push(l);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return Object.assign(child, { exited, tail: () => out });
}

/** A continuous workload at the source until stop(). */
export function startLoad(c: FaultCtx, opsPerRound = 40): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      const w = await c.tenant.source.workload({ ops: opsPerRound }).catch(() => null);
      if (w) c.stats.workloadOps += w.inserts + w.updates + w.deletes;
      await sleep(150);
    }
  })();
  return { async stop() { running = false; await loop; } };
}

/** An in-process engine whose events are recorded in `c.seen`. */
export async function startEngine(c: FaultCtx, provision = true): Promise<Engine> {
  const e = await createEngine(c.settings, { log: engineLog });
  e.on('table-stale', (t) => c.seen.stale.push(t));
  e.on('error', (x) => c.seen.errors.push(x));
  if (provision) await e.provision();
  await e.start();
  return e;
}

export const caughtUp = (s: EngineStatus): boolean =>
  s.state === 'streaming' && s.lagEvents === 0 && s.tables.length > 0 && s.tables.every((t) => t.state === 'ok');

/**
 * Compares every table until all are equal or `timeoutMs` passes. Then every table that still differs
 * must be explicitly stale / halted with a recorded reason and a matching event; anything else fails.
 */
export async function verifyTables(c: FaultCtx, what: string, opts: { timeoutMs?: number; allowExplained?: boolean } = {}): Promise<{ equal: string[]; explained: string[] }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  let last: Comparison[] = [];
  for (;;) {
    last = await compareWithSource(c.tenant, c.settings);
    if (last.every((x) => x.equal)) break;
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
    assert.equal(unexplained.length, 0, `${what}: replica differs from source and the difference is not explained:\n${unexplained.join('\n')}`);
  }
  return { equal: last.filter((x) => x.equal).map((x) => x.table), explained };
}

/** Waits for a CLI `sync` to apply everything, then stops it cleanly. */
async function settleWithSync(c: FaultCtx, what: string): Promise<void> {
  const child = cli(c, 'sync');
  try {
    await verifyTables(c, what);
  } finally {
    child.kill('SIGTERM');
    await child.exited;
  }
}

// ------------------------------------------------------------------------------------------ faults

/** kill -9 of `provision` (initial snapshot being loaded) at random moments, under load. */
export async function killsDuringSnapshot(c: FaultCtx, kills: number, maxDelayMs = 2500): Promise<void> {
  const load = startLoad(c);
  try {
    for (let i = 0; i < kills; i++) {
      const child = cli(c, 'provision');
      const code = await Promise.race([child.exited, sleep(rnd(200, maxDelayMs)).then(() => 'kill' as const)]);
      note(`snapshot kill ${i + 1}/${kills}: ${code}`);
      if (code === 'kill') { child.kill('SIGKILL'); await child.exited; c.stats.fault('kill -9 during snapshot'); }
      else { c.stats.fault('provision finished before its kill'); assert.equal(code, 0, 'provision exits 0'); }
    }
  } finally { await load.stop(); }
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

/** kill -9 of `sync` at random moments while streaming, under load. */
export async function killsDuringStreaming(c: FaultCtx, kills: number, maxDelayMs = 3000): Promise<void> {
  const load = startLoad(c);
  try {
    for (let i = 0; i < kills; i++) {
      const child = cli(c, 'sync');
      await sleep(rnd(300, maxDelayMs));
      child.kill('SIGKILL');
      await child.exited;
      c.stats.fault('kill -9 during streaming');
      note(`streaming kill ${i + 1}/${kills}`);
    }
  } finally { await load.stop(); }
  await settleWithSync(c, 'after kills during streaming');
  c.stats.recoveries++;
}

/** The replica goes away for `ms` (PostgreSQL: sessions terminated in a loop; SQLite: write lock held). */
export async function replicaOutage(c: FaultCtx, e: Engine, ms: number): Promise<void> {
  const load = startLoad(c);
  try {
    await sleep(300);
    await c.target.failWritesFor(ms);
    c.stats.fault(`replica outage ${Math.round(ms / 1000)} s`);
  } finally { await load.stop(); }
  await verifyTables(c, 'after the replica outage');
  await e.waitFor(caughtUp, 60_000);
  c.stats.recoveries++;
}

/** Kafka Connect or the Kafka broker restarted (owned stacks only), under load. */
export async function componentRestart(c: FaultCtx, e: Engine, which: 'connect' | 'kafka', hard: boolean): Promise<void> {
  const load = startLoad(c);
  try {
    await sleep(1000);
    if (which === 'connect') await c.stack.restartConnect({ hard });
    else await c.stack.restartKafka({ hard });
    c.stats.fault(`${which} restart${hard ? ' (kill -9)' : ''}`);
    await sleep(2000);
  } finally { await load.stop(); }
  await verifyTables(c, `after the ${which} restart`, { timeoutMs: 180_000 });
  await e.waitFor(caughtUp, 120_000);
  c.stats.recoveries++;
}

/** Records purged while the client is stopped: every table goes stale (event + reason), then is resynced. */
export async function purgeWhileStopped(c: FaultCtx): Promise<Engine> {
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
  const load = startLoad(c);
  try { await sleep(2000); } finally { await load.stop(); }
  await verifyTables(c, 'after the purge (auto resync)', { timeoutMs: 150_000 });
  await e.waitFor(caughtUp, 120_000);
  c.stats.staleResolved += stale.length;
  c.stats.recoveries++;
  return e;
}

/** The source restored to an earlier backup; the connector re-snapshots; orphans must be swept. */
export async function sourceRestored(c: FaultCtx, e: Engine): Promise<void> {
  const backup = await c.tenant.source.backup();
  const load = startLoad(c);
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
export async function poisonEvents(c: FaultCtx, e: Engine, kinds: PoisonKind[] = POISON_KINDS): Promise<void> {
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
async function onePoison(c: FaultCtx, e: Engine, producer: Producer, kind: PoisonKind, real: RawMessage): Promise<void> {
  const errorsBefore = c.seen.errors.length;
  const load = startLoad(c);
  const value = poisonValue(kind, real.value!);
  let where: string;
  try {
    await sleep(500);
    const [md] = await producer.send({ topic: c.tenant.topics.cdc, messages: [{ key: real.key, value, partition: real.partition }] });
    where = `${c.tenant.topics.cdc}:${real.partition}:${md!.baseOffset ?? md!.offset}`;
    c.stats.fault(`poison: ${kind}`);
    note(`poison ${kind} at ${where}`);
    await sleep(1000);
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
  // The poisoned table is halted with its reason; the others stay equal.
  const v = await verifyTables(c, `after poison ${kind}`, { allowExplained: true, timeoutMs: 8000 });
  const halted = e.status().tables.filter((t) => t.state === 'halted');
  if (k.table) assert.ok(halted.some((t) => t.id === k.table), `the poisoned table ${k.table} is halted`);
  for (const t of v.explained) assert.ok(halted.some((h) => h.id === t), `${t} differs and is halted`);
  c.stats.staleRaised += halted.length;
  if (halted.length) {
    await e.resyncTables(halted.map((t) => t.id));
    await verifyTables(c, `after resyncing the tables halted by ${kind}`, { timeoutMs: 120_000 });
    await e.waitFor(caughtUp, 120_000);
    c.stats.staleResolved += halted.length;
  }
  c.stats.recoveries++;
}
