/**
 * `npm run bench -- [--rows 1000000] [--mixed-ops N] [--runs 3] [--lag-seconds 60] [--lag-rate 2000] [--load-rate 1000] [--sink-batch 5000] [--sink-heap 1024] [--cpu-prof] [--fetch-thread on|off|auto]`
 * On a private real stack (its PostgreSQL with track_commit_timestamp = on): one tenant seeded with
 * --rows (initial snapshot in `<ctx>-cdc`), then a mixed insert/update/delete stream of --mixed-ops
 * operations (default 100,000 whatever --rows: a phase of 1–3 s, as N/10 gave at 200k rows, measured
 * each consumer's first batches more than its throughput; the first commit of each phase is reported
 * apart). Per phase
 * (snapshot, then mixed) and per run (--runs, each into fresh replicas), each consumer reads that
 * phase's records in turn, never two at once (throughput.ts): first the true ceiling (all partitions
 * fetched concurrently, every record JSON-parsed) and the transport-only figure, then the engine →
 * PostgreSQL, the Debezium JDBC sink → PostgreSQL and the engine → SQLite in an order rotated per run;
 * CHECKPOINT and VACUUM ANALYZE of the written database after each. Figures are medians (min–max).
 * After the mixed phase every replica's contents are compared with the source by checksum
 * (verify.ts): a difference fails the bench (exit code 1). Then a steady load (--lag-rate for
 * --lag-seconds) per consumer, one at a time (lag-run.ts), gives per-record lag, on run 1's replicas;
 * then, for the engine targets, again while another stack loads the machine (--load-rate; 0: not run).
 * `--fetch-thread` sets the engine's `fetchThread` (default: the setting's default, `auto`).
 * `--cpu-prof` writes V8 CPU profiles of the measured processes to test/bench/results/profiles/.
 * Not part of `npm test`.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { settingsSchema, type Settings } from '../../preload/contract/settings.ts';
import { backgroundWorkload } from '../harness/background-workload.ts';
import { CRM_TABLES } from '../harness/crm-schema.ts';
import { startStack, stopStack, type Stack } from '../harness/stack.ts';
import { makeTempDir, removeDir, sleep } from '../harness/util.ts';
import { dataTables, enableCommitTimestamps, settle } from './commit-time.ts';
import { SinkWorker, sinkConfig, type JdbcSink } from './jdbc-sink.ts';
import { TimestampObserver } from './lag.ts';
import { runLag, type LagTarget } from './lag-run.ts';
import { CEILING, PG, SINK, SQLITE, TRANSPORT, printTable, ratios, writeJson, type BenchResult, type TargetFigures } from './report.ts';
import type { BenchChild } from './runner.ts';
import { compareContents, sourceContents } from './verify.ts';
import { runChildPhase, runSinkPhase, type PhaseRun, type PgEnd } from './throughput.ts';
import { highs, recordsBetween, stableHighs } from './topic.ts';

const { values: a } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' }, 'mixed-ops': { type: 'string' }, runs: { type: 'string', default: '3' },
    'lag-seconds': { type: 'string', default: '60' }, 'lag-rate': { type: 'string', default: '2000' },
    'load-rate': { type: 'string', default: '1000' },
    'sink-batch': { type: 'string', default: '5000' }, 'sink-heap': { type: 'string', default: '1024' }, 'cpu-prof': { type: 'boolean', default: false },
    'fetch-thread': { type: 'string' },
  },
});
const rows = Number(a.rows);
const mixedOps = Number(a['mixed-ops'] ?? 100_000);
const runs = Number(a.runs);
const lagSeconds = Number(a['lag-seconds']);
const lagRate = Number(a['lag-rate']);
const loadRate = Number(a['load-rate']);
const sinkBatch = Number(a['sink-batch']);
const sinkHeap = Number(a['sink-heap']);
const profDir = join(import.meta.dirname, 'results', 'profiles');
/** Bytes per fetch of the ceiling consumers, each tried per run (the faster counts). */
const CEILING_FETCH_MB = [64, 8];
const childArgs = a['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
const TIMEOUT = 3_600_000;
/** How long the other stack streams its load before the first run under it (its JVMs warm up meanwhile). */
const LOAD_WARM_MS = 20_000;
// The Debezium JDBC sink 3.2 cannot write this table's BIT(64) values with the high bit set (it sends
// them as a signed binary string: `"-" is not a valid binary digit`) and stops: the bench's tenant has
// every other CRM table, for every consumer alike.
const EXCLUDED = ['udcontactsmall'];
const step = (s: string): void => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

const startedAt = new Date().toISOString();
const loadBefore = loadavg();
const targets: TargetFigures[] = [];
const notes: string[] = [];
const failed: string[] = [];
const tmp = makeTempDir('tm-bench');
let stack: Stack | null = null;
/** The second stack that loads the machine during the loaded lag runs. */
let otherStack: Stack | null = null;
let worker: SinkWorker | null = null;
const children: BenchChild[] = [];
let result: BenchResult | null = null;
let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const c of children) await c.stop().catch(() => undefined);
  await worker?.stop();
  if (otherStack) await stopStack(otherStack);
  if (stack) await stopStack(stack);
  removeDir(tmp);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => { step(`${sig}: stopping the stack`); void cleanup().finally(() => process.exit(130)); });
}

interface Replicas { sqlite: Settings; pg: Settings; pgEnd: PgEnd; sinkDb: { name: string; config: pg.ClientConfig }; sink: JdbcSink; sinkCfg: Record<string, string> }

try {
  step(`starting the stack (load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')})`);
  stack = await startStack({ connectHeapMb: 768 });
  const st = stack;
  const admin: pg.ClientConfig = { host: st.postgres.host, port: st.postgres.port, user: st.postgres.user, database: 'postgres' };
  await enableCommitTimestamps(admin, () => st.restartPostgres());
  const tables = CRM_TABLES.map((t) => t.name).filter((t) => !EXCLUDED.includes(t));
  step(`seeding ${rows} rows + initial snapshot (tables: ${tables.join(', ')})`);
  const tenant = await st.createTenant({ seedRows: rows, tables, snapshotTimeoutMs: TIMEOUT });
  const topic = tenant.topics.cdc;
  const low = highs(await tenant.offsets(), 'low');
  const h1 = await stableHighs(tenant);
  const partitions = h1.size;
  const snapRecs = recordsBetween(low, h1);
  const base = { tenant: { ctx: tenant.ctx, brokers: st.brokers } };
  const settingsFor = (replica: Settings['replica']): Settings => settingsSchema.parse({ ...base, replica, logLevel: 'warn', ...(a['fetch-thread'] ? { fetchThread: a['fetch-thread'] } : {}) });

  step(`debezium JDBC sink: its Connect worker (G1, -Xms = -Xmx = ${sinkHeap} MB); tables created by an untimed one-task pass`);
  worker = new SinkWorker(st.kafka, st.brokers, sinkHeap);
  await worker.start();
  const tplDb = await st.createPostgresDatabase();
  const tpl = worker.connector(`${tenant.ctx}-jdbc-tables`, topic);
  await tpl.start(sinkConfig(topic, tplDb, sinkBatch, 1));
  await tpl.progress.waitReached(h1, TIMEOUT, 'sink table pass', () => tpl.assertHealthy());
  await tpl.remove();
  const madeTables = await (async () => {
    const c = new pg.Client(tplDb.config);
    await c.connect();
    try { return await dataTables(c, 'public'); } finally { await c.end(); }
  })();
  step(`sink tables: ${madeTables.join(', ')}`);
  const sets: Replicas[] = [];
  for (let r = 0; r < runs; r++) {
    const sinkName = `${tplDb.name}_r${r}`;
    const c = new pg.Client(admin);
    await c.connect();
    try { await c.query(`CREATE DATABASE "${sinkName}" TEMPLATE "${tplDb.name}"`); } finally { await c.end(); }
    const sinkDbCfg: pg.ClientConfig = { ...admin, database: sinkName };
    const t = new pg.Client(sinkDbCfg);
    await t.connect();
    try { await t.query(`TRUNCATE ${madeTables.map((x) => `public."${x}"`).join(', ')}`); } finally { await t.end(); }
    const pgDb = await st.createPostgresDatabase();
    const sink = worker.connector(`${tenant.ctx}-jdbc-sink-r${r}`, topic);
    sets.push({
      sqlite: settingsFor({ kind: 'sqlite', file: join(tmp, `replica-r${r}.db`) }),
      pg: settingsFor({ kind: 'postgres', host: pgDb.host, port: pgDb.port, database: pgDb.name, user: pgDb.user, ssl: false, ...(pgDb.password ? { password: pgDb.password } : {}) }),
      pgEnd: { config: pgDb.config, schema: tenant.database },
      sinkDb: { name: sinkName, config: sinkDbCfg },
      sink, sinkCfg: sinkConfig(topic, { host: st.postgres.host, port: st.postgres.port, name: sinkName, user: st.postgres.user, password: st.postgres.password }, sinkBatch, partitions),
    });
  }
  const checkpoint = async (db?: pg.ClientConfig): Promise<void> => { await settle(db ?? admin); };
  await checkpoint();

  for (const t of [CEILING, TRANSPORT, PG, SINK, SQLITE]) {
    targets.push({ name: t, snapshotEvPerSec: [], mixedEvPerSec: [], firstCommitMs: [], mixedFirstCommitMs: [], lag: null, peakRssMb: null, cpuSec: [], contents: [] });
  }
  const fig = (name: string): TargetFigures => targets.find((t) => t.name === name)!;
  const note = (name: string, r: PhaseRun, phase: 'snapshot' | 'mixed', run: number): void => {
    const f = fig(name);
    (phase === 'snapshot' ? f.snapshotEvPerSec : f.mixedEvPerSec).push(r.evPerSec);
    if (r.firstCommitMs !== null) (phase === 'snapshot' ? f.firstCommitMs : f.mixedFirstCommitMs).push(r.firstCommitMs);
    if (r.peakRssMb !== null) f.peakRssMb = Math.max(f.peakRssMb ?? 0, r.peakRssMb);
    if (r.cpuSec !== null && phase === 'snapshot') f.cpuSec.push(r.cpuSec);
    step(`run ${run + 1} ${name} ${phase}: ${Math.round(r.evPerSec)} ev/s (offsets reached after ${(r.observedEndMs / 1000).toFixed(2)} s), CPU ${r.cpuSec?.toFixed(1) ?? '–'} s, peak RSS ${r.peakRssMb ?? '–'} MB${r.atPeak ? ` (at the peak: V8 heap ${r.atPeak.heapUsedMb} used / ${r.atPeak.heapTotalMb} total, external ${r.atPeak.externalMb}, of which ArrayBuffers ${r.atPeak.arrayBuffersMb}; kernel: anonymous ${r.atPeak.anonMb ?? '–'}, file-backed ${r.atPeak.fileMb ?? '–'}; fetch thread's V8 heap ${r.atPeak.fetchThreadHeapMb ? `${r.atPeak.fetchThreadHeapMb.used} used / ${r.atPeak.fetchThreadHeapMb.total} total` : '–'})` : ''}`);
  };
  /** The ceilings at two fetch sizes (kafkajs copies each response whole, so the largest fetch need not be the fastest): the faster one counts. */
  const fastest = async (label: string, run: (fetchMb: number) => Promise<PhaseRun>): Promise<PhaseRun> => {
    const tries: Array<[number, PhaseRun]> = [];
    for (const mb of CEILING_FETCH_MB) tries.push([mb, await run(mb)]);
    step(`${label}: ${tries.map(([mb, t]) => `${mb} MiB ${Math.round(t.evPerSec)} ev/s`).join(', ')}`);
    return tries.reduce((a, b) => (b[1].evPerSec > a[1].evPerSec ? b : a))[1];
  };
  const rotation = [PG, SINK, SQLITE];
  const orders = Array.from({ length: runs }, (_, r) => rotation.map((_x, i) => rotation[(i + r) % rotation.length]!));

  let from: Map<number, bigint> | undefined;
  let to = h1;
  for (const phase of ['snapshot', 'mixed'] as const) {
    const records = recordsBetween(from ?? low, to);
    step(`${phase}: ${records} records`);
    for (let r = 0; r < runs; r++) {
      const set = sets[r]!;
      note(CEILING, await fastest(CEILING, (mb) => runChildPhase(`${CEILING} ${mb} MiB`, 'ceiling', set.sqlite, records, from, to, childArgs, children, undefined, mb)), phase, r);
      note(TRANSPORT, await fastest(TRANSPORT, (mb) => runChildPhase(`${TRANSPORT} ${mb} MiB`, 'transport', set.sqlite, records, from, to, [], children, undefined, mb)), phase, r);
      for (const name of orders[r]!) {
        const clock = phase === 'snapshot' ? 'fork' : 'running';
        if (name === PG) { note(PG, await runChildPhase(PG, 'engine', set.pg, records, undefined, to, childArgs, children, set.pgEnd, undefined, clock), phase, r); await checkpoint(set.pgEnd.config); }
        if (name === SQLITE) { note(SQLITE, await runChildPhase(SQLITE, 'engine', set.sqlite, records, undefined, to, childArgs, children, undefined, undefined, clock), phase, r); await checkpoint(); }
        if (name === SINK) { note(SINK, await runSinkPhase(set.sink, set.sinkCfg, phase === 'snapshot', records, to, { config: set.sinkDb.config, schema: 'public' }), phase, r); await checkpoint(set.sinkDb.config); }
      }
    }
    if (phase === 'snapshot') {
      step(`mixed stream: ${mixedOps} operations`);
      await tenant.source.workload({ ops: mixedOps, concurrency: 8, seed: 11 });
      from = h1;
      to = await stableHighs(tenant);
    }
  }
  const h2 = to;
  const mixedRecs = recordsBetween(h1, h2);

  step('contents: every replica against the source (checksums)');
  const source = await sourceContents(tenant.source);
  const pgLoc = (s: Settings) => ({ replica: s.replica as { kind: 'postgres'; host: string; port: number; database: string; user: string } });
  for (let r = 0; r < runs; r++) {
    const set = sets[r]!;
    const checks: Array<[string, Promise<string>]> = [
      [SQLITE, compareContents(tenant.database, source, { replica: set.sqlite.replica as { kind: 'sqlite'; file: string } })],
      [PG, compareContents(tenant.database, source, pgLoc(set.pg))],
      [SINK, compareContents(tenant.database, source, { replica: { kind: 'postgres', host: st.postgres.host, port: st.postgres.port, database: set.sinkDb.name, user: st.postgres.user }, tablePrefix: 'public' }, true)],
    ];
    for (const [name, p] of checks) {
      const d = await p;
      fig(name).contents.push(d || 'equal');
      if (d) failed.push(`run ${r + 1} ${name}: contents differ from the source:\n${d}`);
      step(`run ${r + 1} ${name} contents: ${d ? 'DIFFER' : 'equal'}`);
    }
  }

  // Negative control: the same check must see a one-character change in one row of one replica.
  {
    const set = sets[runs - 1]!;
    const c = new pg.Client(set.pgEnd.config);
    await c.connect();
    const row = `"${tenant.database}"."contact"`;
    try {
      await c.query(`UPDATE ${row} SET "name" = "name" || 'x' WHERE "contact_id" = (SELECT min("contact_id") FROM ${row})`);
      const d = await compareContents(tenant.database, source, pgLoc(set.pg));
      if (!d.startsWith('contact:')) failed.push(`negative control: a changed contact row was not detected (${d.slice(0, 200) || 'equal'})`);
      step(`negative control (one changed contact.name): ${d ? 'detected' : 'NOT detected'}`);
    } finally {
      await c.query(`UPDATE ${row} SET "name" = left("name", length("name") - 1) WHERE "contact_id" = (SELECT min("contact_id") FROM ${row})`);
      await c.end();
    }
    const back = await compareContents(tenant.database, source, pgLoc(set.pg));
    if (back) failed.push(`negative control: the replica did not return to equal: ${back.slice(0, 200)}`);
  }

  let lagRecs = 0; let lagSourceRate = 0;
  let otherLoad: { ops: number; opsPerSec: number } | null = null;
  if (lagSeconds > 0) {
    const observer = new TimestampObserver(st.kafka, topic);
    await observer.start(h2);
    const set = sets[0]!;
    const pks = new Map<string, string[]>();
    for (const s of source) pks.set(s.table, s.pk);
    const lagTargets: LagTarget[] = [
      { kind: 'engine', label: SQLITE, settings: set.sqlite },
      { kind: 'engine', label: PG, settings: set.pg, pgRows: { config: set.pgEnd.config, schema: set.pgEnd.schema, pks } },
      { kind: 'sink', label: SINK, sink: set.sink, pgRows: { config: set.sinkDb.config, schema: 'public', pks } },
    ];
    const lagOnce = async (t: LagTarget, loaded: boolean): Promise<void> => {
      const how = loaded ? ' under load' : '';
      step(`lag${how}: ${t.label}, ${lagRate} ops/s for ${lagSeconds} s`);
      const r = await runLag(tenant, observer, t, lagSeconds, lagRate, h2, children);
      const f = fig(t.label);
      if (loaded) f.lagLoaded = { ...r.lag, sourceOpsPerSec: r.sourceOpsPerSec }; else f.lag = r.lag;
      if (r.peakRssMb !== null) f.peakRssMb = Math.max(f.peakRssMb ?? 0, r.peakRssMb);
      lagRecs = Math.max(lagRecs, r.records);
      if (!loaded) lagSourceRate = Math.max(lagSourceRate, r.sourceOpsPerSec);
      step(`lag${how} ${t.label}: ${r.records} records (${Math.round(r.sourceOpsPerSec)} ops/s at the source), p50 ${r.lag.p50Dbz} ms, p99 ${r.lag.p99Dbz} ms (dbz ts)${r.lag.row ? `; row commit ts: ${r.lag.row.records} rows, p50 ${Math.round(r.lag.row.p50)} ms, p99 ${Math.round(r.lag.row.p99)} ms` : ''}, peak RSS ${r.peakRssMb ?? '–'} MB`);
      if (r.lag.records < r.records * 0.4) notes.push(`${t.label}${how}: only ${r.lag.records} of ${r.records} lag records were stamped`);
      if (r.sourceOpsPerSec < lagRate * 0.9) notes.push(`${t.label} lag run${how}: the source reached only ${Math.round(r.sourceOpsPerSec)} of ${lagRate} ops/s`);
    };
    try {
      for (const t of lagTargets) await lagOnce(t, false);
      if (loadRate > 0) {
        // Another stack on the same machine (its own Kafka, Connect, MariaDB, PostgreSQL), its source
        // written at --load-rate ops/s and streamed by its Debezium connector, while each engine target's
        // lag is measured again.
        step(`another stack: starting it, one tenant of 10,000 rows, then its source at ${loadRate} ops/s`);
        otherStack = await startStack({});
        const other = await otherStack.createTenant({ seedRows: 10_000, tables, snapshotTimeoutMs: TIMEOUT });
        const load = backgroundWorkload(other.source, { ratePerSec: loadRate, concurrency: 8, sliceMs: 5000, retryNoChange: true });
        try {
          // The other stack's JVMs warm up in their first seconds of streaming (in four benches of
          // 2026-12-05 a broker fetch of 12–23 s came in the first loaded run, none in the second): both
          // targets are measured under its steady load, not the first one under its start.
          step(`another stack: its load runs ${LOAD_WARM_MS / 1000} s before the first loaded run`);
          await sleep(LOAD_WARM_MS);
          for (const t of lagTargets) if (t.kind === 'engine') await lagOnce(t, true);
        } finally {
          const w = await load.stop();
          otherLoad = { ops: w.total, opsPerSec: w.total / (w.elapsedMs / 1000) };
          step(`another stack: ${w.total} operations at ${Math.round(otherLoad.opsPerSec)} ops/s`);
          await stopStack(otherStack);
          otherStack = null;
        }
      }
    } finally {
      await observer.stop();
    }
  }
  if (otherLoad) notes.push(`under load = the engine targets' lag measured again while another stack (its own Kafka, Connect, MariaDB and PostgreSQL) streamed its source's ${Math.round(otherLoad.opsPerSec)} ops/s (asked ${loadRate})`);
  notes.push(`tables: ${tables.join(', ')} (${EXCLUDED.join(', ')} left out: the JDBC sink fails on its BIT(64) values)`);
  notes.push('events/s counts Kafka records (a delete is 2: the event and its tombstone), from the start (snapshot: the engine process forked, the sink connector created; mixed: the engine running, the sink resumed; the ceiling consumers running) to the end: for both PostgreSQL targets the newest pg_xact_commit_timestamp(xmin) in the replica; for SQLite the engine\'s stamp after the commit; for the ceilings the last batch handled');
  notes.push('ceiling = kafkajs, all partitions fetched concurrently (64 MiB fetches, 16 MiB per partition, and 8 MiB / 2 MiB: the faster per run counts), every key and value payload JSON.parse\'d and counted (the schema part, the same for every record of a table version, is neither parsed nor made a string, as the engine does; a record that does not parse fails the run); transport = the same fetches, records counted, not parsed');
  notes.push('lag (dbz ts) = commit − Debezium read time (payload.ts_ms); engine commit = stamped right after its transaction; sink commit = its committed consumer offsets, polled every 100 ms after the worker\'s 100 ms offset flush (up to ~0.2 s late), so this column favours the engine; lag (row commit ts), PostgreSQL only and identical for both = pg_xact_commit_timestamp(xmin) of each row changed in the window − Debezium read time of its last event (deletes not counted)');
  notes.push(`sink: tasks.max ${partitions} (= partitions), batch.size = max.poll.records = ${sinkBatch}, reWriteBatchedInserts=true, upsert + deletes + reduction buffer, its own Connect worker with G1, -Xms = -Xmx = ${sinkHeap} MB (RSS = that JVM)`);
  notes.push('peak RSS of the engine rows is the forked engine process alone, sampled every 100 ms (max over snapshot, mixed and lag runs); the sink\'s is its Connect JVM\'s RSS at the end of each phase');
  notes.push('snapshot CPU s: engine rows = the whole forked process (start-up included); sink = its Connect JVM from connector creation to the end of the phase (/proc stat)');
  const loadAfter = loadavg();
  result = {
    startedAt, finishedAt: new Date().toISOString(), args: { rows, mixedOps, runs, lagSeconds, lagRate, loadRate, sinkBatch, sinkHeap, cpuProf: a['cpu-prof'] },
    machine: { cpus: cpus().length, node: process.version, loadBefore, loadAfter },
    records: { snapshot: snapRecs, mixed: mixedRecs, lag: lagRecs, lagSourceRate }, order: orders, otherLoad,
    sinkConfig: sets[0]!.sinkCfg, targets, ratios: ratios(targets), notes, failed,
  };
} finally {
  await cleanup();
}
if (result) {
  const file = writeJson(result);
  console.log('');
  printTable(result);
  console.log(`\nwritten ${file}`);
  if (result.failed.length) process.exitCode = 1;
}
