/**
 * `npm run bench -- [--rows 1000000] [--mixed-ops N] [--lag-seconds 60] [--lag-rate 2000] [--sink-batch 5000] [--cpu-prof]`
 * On a private real stack: one tenant seeded with --rows (initial snapshot in `<ctx>-cdc`), then a mixed
 * insert/update/delete stream. Per phase (snapshot, then mixed), each consumer reads that phase's records
 * in turn (never two at once; see throughput.ts):
 *   ceiling (fetch + decode, no replica) → engine→SQLite → engine→PostgreSQL → Debezium JDBC sink→PostgreSQL.
 * Then a steady load (--lag-rate for --lag-seconds) per consumer, one at a time (lag-run.ts), gives
 * per-record lag. `--cpu-prof` writes V8 CPU profiles of the measured processes to
 * test/bench/results/profiles/. Not part of `npm test`.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { settingsSchema, type Settings } from '../../preload/contract/settings.ts';
import { startStack, stopStack, type Stack } from '../harness/stack.ts';
import { makeTempDir, removeDir } from '../harness/util.ts';
import { JdbcSink, sinkConfig } from './jdbc-sink.ts';
import { TimestampObserver } from './lag.ts';
import { runLag, type LagTarget } from './lag-run.ts';
import { printTable, ratios, writeJson, type BenchResult, type TargetFigures } from './report.ts';
import type { BenchChild } from './runner.ts';
import { compareCounts, postgresCounts, sourceCounts, sqliteCounts } from './verify.ts';
import { runChildPhase, runSinkPhase, type PhaseRun } from './throughput.ts';
import { highs, recordsBetween, stableHighs } from './topic.ts';

const { values: a } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' }, 'mixed-ops': { type: 'string' }, 'lag-seconds': { type: 'string', default: '60' },
    'lag-rate': { type: 'string', default: '2000' }, 'sink-batch': { type: 'string', default: '5000' }, 'cpu-prof': { type: 'boolean', default: false },
  },
});
const rows = Number(a.rows);
const mixedOps = Number(a['mixed-ops'] ?? Math.min(100_000, Math.max(5_000, Math.round(rows / 10))));
const lagSeconds = Number(a['lag-seconds']);
const lagRate = Number(a['lag-rate']);
const sinkBatch = Number(a['sink-batch']);
const profDir = join(import.meta.dirname, 'results', 'profiles');
const childArgs = ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
const TIMEOUT = 3_600_000;
const SINK = 'debezium-jdbc→postgres';
const step = (s: string): void => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

const startedAt = new Date().toISOString();
const targets: TargetFigures[] = [];
const notes: string[] = [];
const tmp = makeTempDir('tm-bench');
let stack: Stack | null = null;
let sink: JdbcSink | null = null;
const children: BenchChild[] = [];
let result: BenchResult | null = null;
let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const c of children) await c.stop().catch(() => undefined);
  await sink?.stop();
  if (stack) await stopStack(stack);
  removeDir(tmp);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => { step(`${sig}: stopping the stack`); void cleanup().finally(() => process.exit(130)); });
}
try {
  step('starting the stack');
  stack = await startStack({ connectHeapMb: 768 });
  step(`seeding ${rows} rows + initial snapshot`);
  const tenant = await stack.createTenant({ seedRows: rows, snapshotTimeoutMs: TIMEOUT });
  const topic = tenant.topics.cdc;
  const low = highs(await tenant.offsets(), 'low');
  const h1 = await stableHighs(tenant);
  const snapRecs = recordsBetween(low, h1);
  const sqliteFile = join(tmp, 'replica.db');
  const pgDb = await stack.createPostgresDatabase();
  const sinkDb = await stack.createPostgresDatabase();
  const base = { tenant: { ctx: tenant.ctx, brokers: stack.brokers } };
  const settingsFor = (replica: Settings['replica']): Settings => settingsSchema.parse({ ...base, replica, logLevel: 'warn' });
  const sqliteSettings = settingsFor({ kind: 'sqlite', file: sqliteFile });
  const pgSettings = settingsFor({ kind: 'postgres', host: pgDb.host, port: pgDb.port, database: pgDb.name, user: pgDb.user, ssl: false, ...(pgDb.password ? { password: pgDb.password } : {}) });
  const plan = [
    { name: 'ceiling', mode: 'ceiling', settings: sqliteSettings },
    { name: 'engine→sqlite', mode: 'engine', settings: sqliteSettings },
    { name: 'engine→postgres', mode: 'engine', settings: pgSettings },
  ] as const;
  for (const t of [...plan.map((x) => x.name), SINK]) {
    targets.push({ name: t, snapshotEvPerSec: null, mixedEvPerSec: null, firstCommitMs: null, lag: null, peakRssMb: null, cpuSec: null, rowsCheck: 'n/a' });
  }
  const fig = (name: string): TargetFigures => targets.find((t) => t.name === name)!;
  const note = (name: string, r: PhaseRun, phase: 'snapshot' | 'mixed'): void => {
    const f = fig(name);
    if (phase === 'snapshot') { f.snapshotEvPerSec = r.evPerSec; f.firstCommitMs = r.firstCommitMs; } else f.mixedEvPerSec = r.evPerSec;
    if (r.peakRssMb !== null) f.peakRssMb = Math.max(f.peakRssMb ?? 0, r.peakRssMb);
    if (r.cpuSec !== null) f.cpuSec = (f.cpuSec ?? 0) + r.cpuSec;
    step(`${name} ${phase}: ${Math.round(r.evPerSec)} ev/s, peak RSS ${r.peakRssMb ?? '–'} MB`);
  };
  step('debezium JDBC sink: starting its Connect worker');
  sink = new JdbcSink(stack.kafka, stack.brokers, topic, `${tenant.ctx}-jdbc-sink`);
  await sink.startWorker(1024);
  const sinkCfg = sinkConfig(topic, sinkDb, sinkBatch);

  let from: Map<number, bigint> | undefined;
  let to = h1;
  for (const phase of ['snapshot', 'mixed'] as const) {
    const records = recordsBetween(from ?? low, to);
    step(`${phase}: ${records} records`);
    for (const t of plan) {
      note(t.name, await runChildPhase(t.name, t.mode, t.settings, records, t.mode === 'ceiling' ? from : undefined, to, a['cpu-prof'] ? childArgs : [], children), phase);
    }
    note(SINK, await runSinkPhase(sink, sinkCfg, phase === 'snapshot', records, to), phase);
    if (phase === 'snapshot') {
      step(`mixed stream: ${mixedOps} operations`);
      await tenant.source.workload({ ops: mixedOps, concurrency: 8, seed: 11 });
      from = h1;
      to = await stableHighs(tenant);
    }
  }
  const h2 = to;
  const mixedRecs = recordsBetween(h1, h2);
  const expected = await sourceCounts(tenant);
  fig('engine→sqlite').rowsCheck = compareCounts(expected, sqliteCounts(sqliteFile)) || 'equal';
  fig('engine→postgres').rowsCheck = compareCounts(expected, await postgresCounts(pgDb.config, tenant.database)) || 'equal';
  fig(SINK).rowsCheck = compareCounts(expected, await postgresCounts(sinkDb.config, 'public')) || 'equal';

  let lagRecs = 0; let lagSourceRate = 0;
  if (lagSeconds > 0) {
    const observer = new TimestampObserver(stack.kafka, topic);
    await observer.start(h2);
    const lagTargets: LagTarget[] = [
      { kind: 'engine', label: 'engine→sqlite', settings: sqliteSettings },
      { kind: 'engine', label: 'engine→postgres', settings: pgSettings },
      { kind: 'sink', label: SINK, sink },
    ];
    try {
      for (const t of lagTargets) {
        step(`lag: ${t.label}, ${lagRate} ops/s for ${lagSeconds} s`);
        const r = await runLag(tenant, observer, t, lagSeconds, lagRate, h2, children);
        const f = fig(t.label);
        f.lag = r.lag;
        if (r.peakRssMb !== null) f.peakRssMb = Math.max(f.peakRssMb ?? 0, r.peakRssMb);
        lagRecs = Math.max(lagRecs, r.records);
        lagSourceRate = Math.max(lagSourceRate, r.sourceOpsPerSec);
        step(`lag ${t.label}: ${r.records} records (${Math.round(r.sourceOpsPerSec)} ops/s at the source), p50 ${r.lag.p50Dbz} ms, p99 ${r.lag.p99Dbz} ms (dbz ts)`);
        if (r.lag.records < r.records * 0.4) notes.push(`${t.label}: only ${r.lag.records} of ${r.records} lag records were stamped`);
        if (r.sourceOpsPerSec < lagRate * 0.9) notes.push(`${t.label} lag run: the source reached only ${Math.round(r.sourceOpsPerSec)} of ${lagRate} ops/s`);
      }
    } finally {
      await observer.stop();
    }
  }
  notes.push('events/s counts Kafka records (a delete is 2: the event and its tombstone), from engine started / connector RUNNING to the last offset committed');
  notes.push('lag (dbz ts) = replica commit − Debezium read time (payload.ts_ms); lag (source ts) uses source.ts_ms, which MariaDB gives in whole seconds (adds ~0–1 s); lag (kafka ts) starts at the Kafka record timestamp: what the consumer itself adds');
  notes.push(`JDBC sink progress = its committed consumer offsets, committed every 100 ms after its writes (up to ~0.2 s late); its RSS is the Connect JVM (heap 1024 MB)`);
  notes.push('peak RSS of the engine rows is the forked engine process alone (max of the throughput and the lag run)');
  result = {
    startedAt, args: { rows, mixedOps, lagSeconds, lagRate, sinkBatch, cpuProf: a['cpu-prof'] }, machine: { cpus: cpus().length, node: process.version },
    records: { snapshot: snapRecs, mixed: mixedRecs, lag: lagRecs, lagSourceRate }, targets, ratios: ratios(targets), notes,
  };
} finally {
  await cleanup();
}
if (result) {
  const file = writeJson(result);
  console.log('');
  printTable(result);
  console.log(`\nwritten ${file}`);
}
