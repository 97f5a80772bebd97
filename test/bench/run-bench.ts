/**
 * `npm run bench -- [--rows 1000000] [--mixed-ops N] [--lag-seconds 60] [--lag-rate 2000] [--sink-batch 5000] [--cpu-prof]`
 * On a private real stack: one tenant seeded with --rows (initial snapshot in `<ctx>-cdc`), then a mixed
 * insert/update/delete stream; each consumer reads the whole topic in turn (never two at once):
 *   ceiling (fetch + decode, no replica) → engine→SQLite → engine→PostgreSQL → Debezium JDBC sink→PostgreSQL.
 * Events/s = records / time from "consuming" (engine started / connector RUNNING) until the committed
 * offsets reach the end of the phase. Then a steady load (--lag-rate for --lag-seconds) with both
 * engines and the sink running side by side gives per-record lag. Not part of `npm test`.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { settingsSchema, type Settings } from '../../preload/contract/settings.ts';
import { startStack, stopStack, type Stack } from '../harness/stack.ts';
import { makeTempDir, removeDir, sleep } from '../harness/util.ts';
import { JdbcSink, sinkConfig } from './jdbc-sink.ts';
import { TimestampObserver } from './lag.ts';
import { printTable, ratios, writeJson, type BenchResult, type TargetFigures } from './report.ts';
import { BenchChild } from './runner.ts';
import { compareCounts, postgresCounts, sourceCounts, sqliteCounts } from './verify.ts';
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
const childArgs = a['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
const TIMEOUT = 3_600_000;
const step = (s: string): void => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

const startedAt = new Date().toISOString();
const targets: TargetFigures[] = [];
const notes: string[] = [];
const tmp = makeTempDir('tm-bench');
let stack: Stack | null = null;
let sink: JdbcSink | null = null;
const children: BenchChild[] = [];
let result: BenchResult | null = null;
try {
  step('starting the stack');
  stack = await startStack({ connectHeapMb: 768 });
  step(`seeding ${rows} rows + initial snapshot`);
  const tenant = await stack.createTenant({ seedRows: rows, snapshotTimeoutMs: TIMEOUT });
  const topic = tenant.topics.cdc;
  const low = highs(await tenant.offsets(), 'low');
  const h1 = await stableHighs(tenant);
  step(`mixed stream: ${mixedOps} operations`);
  await tenant.source.workload({ ops: mixedOps, concurrency: 4, seed: 11 });
  const h2 = await stableHighs(tenant);
  const snapRecs = recordsBetween(low, h1);
  const mixedRecs = recordsBetween(h1, h2);
  const expected = await sourceCounts(tenant);
  step(`topic: ${snapRecs} snapshot records, ${mixedRecs} mixed records`);

  const sqliteFile = join(tmp, 'replica.db');
  const pgDb = await stack.createPostgresDatabase();
  const sinkDb = await stack.createPostgresDatabase();
  const base = { tenant: { ctx: tenant.ctx, brokers: stack.brokers } };
  const settingsFor = (replica: Settings['replica']): Settings => settingsSchema.parse({ ...base, replica, logLevel: 'warn' });
  const sqliteSettings = settingsFor({ kind: 'sqlite', file: sqliteFile });
  const pgSettings = settingsFor({ kind: 'postgres', host: pgDb.host, port: pgDb.port, database: pgDb.name, user: pgDb.user, ssl: false, ...(pgDb.password ? { password: pgDb.password } : {}) });

  const measure = (name: string, readyAt: number, p: BenchChild['progress'], snapAt: number, endAt: number, rowsCheck: string): TargetFigures => ({
    name, snapshotEvPerSec: snapRecs / ((snapAt - readyAt) / 1000), mixedEvPerSec: mixedRecs / (Math.max(1, endAt - snapAt) / 1000),
    firstCommitMs: p.firstCommitAt === null ? null : p.firstCommitAt - readyAt, lag: null, peakRssMb: null, cpuSec: null, rowsCheck,
  });

  for (const [name, mode, settings] of [['ceiling', 'ceiling', sqliteSettings], ['engine→sqlite', 'engine', sqliteSettings], ['engine→postgres', 'engine', pgSettings]] as const) {
    step(`${name}: consuming`);
    const child = new BenchChild(name);
    children.push(child);
    await child.start(mode, settings, mode === 'engine' ? childArgs : []);
    const readyAt = Date.now();
    const snapAt = await child.progress.waitReached(h1, TIMEOUT, `${name} snapshot`);
    const endAt = await child.progress.waitReached(h2, TIMEOUT, `${name} mixed`);
    const r = await child.stop();
    let check = 'n/a';
    if (name === 'engine→sqlite') check = compareCounts(expected, sqliteCounts(sqliteFile)) || 'equal';
    if (name === 'engine→postgres') check = compareCounts(expected, await postgresCounts(pgDb.config, tenant.database)) || 'equal';
    const f = measure(name, readyAt, child.progress, snapAt, endAt, check);
    f.peakRssMb = r?.peakRssMb ?? null;
    f.cpuSec = r ? r.cpuMs / 1000 : null;
    targets.push(f);
    step(`${name}: snapshot ${Math.round(f.snapshotEvPerSec!)} ev/s, mixed ${Math.round(f.mixedEvPerSec!)} ev/s, RSS ${f.peakRssMb} MB, rows ${check}`);
  }

  step('debezium JDBC sink: starting its Connect worker');
  sink = new JdbcSink(stack.kafka, stack.brokers, topic, `${tenant.ctx}-jdbc-sink`);
  await sink.startWorker(1024);
  step('debezium JDBC sink: consuming');
  await sink.start(sinkConfig(topic, sinkDb, sinkBatch));
  const sinkReady = Date.now();
  const healthy = () => sink!.assertHealthy();
  const sSnap = await sink.progress.waitReached(h1, TIMEOUT, 'jdbc sink snapshot', healthy);
  const sEnd = await sink.progress.waitReached(h2, TIMEOUT, 'jdbc sink mixed', healthy);
  await sink.pause();
  const sinkFig = measure('debezium-jdbc→postgres', sinkReady, sink.progress, sSnap, sEnd, compareCounts(expected, await postgresCounts(sinkDb.config, 'public')) || 'equal');
  sinkFig.peakRssMb = await sink.rssMb();
  targets.push(sinkFig);
  step(`jdbc sink: snapshot ${Math.round(sinkFig.snapshotEvPerSec!)} ev/s, mixed ${Math.round(sinkFig.mixedEvPerSec!)} ev/s, rows ${sinkFig.rowsCheck}`);

  let lagRecs = 0; let lagSourceRate = 0;
  if (lagSeconds > 0) {
    step(`lag: ${lagRate} ops/s for ${lagSeconds} s, engine→sqlite, engine→postgres and the JDBC sink side by side`);
    const observer = new TimestampObserver(stack.kafka, topic);
    await observer.start(h2);
    const lagChildren = [new BenchChild('engine→sqlite'), new BenchChild('engine→postgres')];
    children.push(...lagChildren);
    await lagChildren[0]!.start('engine', sqliteSettings, childArgs);
    await lagChildren[1]!.start('engine', pgSettings, childArgs);
    await sink.resume();
    await sleep(3000);
    const w = await tenant.source.workload({ durationMs: lagSeconds * 1000, ratePerSec: lagRate, concurrency: 4, seed: 12 });
    const h3 = await stableHighs(tenant);
    lagRecs = recordsBetween(h2, h3);
    lagSourceRate = w.total / (w.elapsedMs / 1000);
    const waits = [...lagChildren.map((c) => c.progress), sink.progress].map((p, i) => p.waitReached(h3, 600_000, `lag run ${i}`));
    await Promise.all(waits);
    const stamped = observer.count(h2, h3);
    if (stamped < lagRecs * 0.4) notes.push(`only ${stamped} of ${lagRecs} lag records were stamped by the observer`);
    for (const c of lagChildren) {
      const f = targets.find((t) => t.name === c.label)!;
      f.lag = observer.lag(c.progress, h2, h3);
      const r = await c.stop();
      if (r) { f.peakRssMb = Math.max(f.peakRssMb ?? 0, r.peakRssMb); }
    }
    sinkFig.lag = observer.lag(sink.progress, h2, h3);
    sinkFig.peakRssMb = Math.max(sinkFig.peakRssMb ?? 0, (await sink.rssMb()) ?? 0);
    await observer.stop();
    if (w.total / (w.elapsedMs / 1000) < lagRate * 0.9) notes.push(`the source reached only ${Math.round(lagSourceRate)} of ${lagRate} ops/s`);
  }
  notes.push('events/s counts Kafka records (a delete is 2: the event and its tombstone), from engine started / connector RUNNING to the last offset committed');
  notes.push('lag (dbz ts) = replica commit − Debezium read time (payload.ts_ms); lag (source ts) uses source.ts_ms, which MariaDB gives in whole seconds (adds ~0–1 s)');
  notes.push(`JDBC sink progress = its committed consumer offsets, committed every 100 ms after its writes (up to ~0.2 s late); its RSS is the Connect JVM (heap 1024 MB)`);
  notes.push('peak RSS of the engine rows is the forked engine process alone (max of the throughput and the lag run)');
  result = {
    startedAt, args: { rows, mixedOps, lagSeconds, lagRate, sinkBatch, cpuProf: a['cpu-prof'] }, machine: { cpus: cpus().length, node: process.version },
    records: { snapshot: snapRecs, mixed: mixedRecs, lag: lagRecs, lagSourceRate }, targets, ratios: ratios(targets), notes,
  };
} finally {
  for (const c of children) await c.stop().catch(() => undefined);
  await sink?.stop();
  if (stack) await stopStack(stack);
  removeDir(tmp);
}
if (result) {
  console.log('');
  printTable(result);
  console.log(`\nwritten ${writeJson(result)}`);
}
