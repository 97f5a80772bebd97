/**
 * `node test/bench/lag-probe.ts [--rows 200000] [--seconds 30] [--rate 2000] [--target sqlite|postgres] [--settings key=value,…] [--load-rate 0] [--warm-seconds 0] [--cpu]`
 * Where a lag tail comes from. On a private stack, one tenant seeded with --rows; one engine reads the
 * snapshot, then its lag is measured under a steady load (--rate ops/s for --seconds, as the bench's lag
 * runs) twice: on the engine that is already running, and on an engine started just before (as the
 * bench's lag runs start theirs). Each prints p50 / p99 (commit − Debezium read time) and a timeline: per
 * second of Debezium read time, the records read and the worst lag among them, so a stall shows where it
 * happened. `--settings` as the memory probe's variant keys (e.g. fetchThread=off). With --load-rate, both are
 * measured again while another stack (its own Kafka, Connect, MariaDB, PostgreSQL) streams its source at
 * that rate, as the bench's loaded lag runs. With --warm-seconds, the engine that ran the snapshot first
 * streams that many seconds of the same load (the stack's first streaming after a snapshot is slow for
 * ~20 s on 2 cores: docs/benchmarks.md, "Lag right after a snapshot"). With --cpu, each measurement also prints the
 * cores used per second by Kafka, Connect, MariaDB, PostgreSQL, the engine and the probe (/proc). Not
 * part of `npm test`.
 */
import '../../main/no-timeout-negative-warning.ts'; // kafkajs's negative timeouts (main/no-timeout-negative-warning.ts)
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { settingsSchema } from '../../preload/contract/settings.ts';
import { CRM_TABLES } from '../harness/crm-schema.ts';
import { createMariaPool } from '../harness/mariadb.ts';
import { backgroundWorkload } from '../harness/background-workload.ts';
import { startStack, stopStack, type Stack } from '../harness/stack.ts';
import type { Tenant } from '../harness/tenant.ts';
import { makeTempDir, removeDir, sleep } from '../harness/util.ts';
import { runWorkload } from '../harness/workload.ts';
import { TimestampObserver } from './lag.ts';
import type { Progress } from './progress.ts';
import { BenchChild } from './runner.ts';
import { formatCpu, sampleCpu } from './cpu-by-process.ts';
import { highs, stableHighs } from './topic.ts';

const { values: a } = parseArgs({ options: { rows: { type: 'string', default: '200000' }, seconds: { type: 'string', default: '30' }, rate: { type: 'string', default: '2000' }, target: { type: 'string', default: 'sqlite' }, settings: { type: 'string', default: '' }, 'load-rate': { type: 'string', default: '0' }, 'warm-seconds': { type: 'string', default: '0' }, cpu: { type: 'boolean', default: false } } });
const WAIT = 3_600_000;
const tmp = makeTempDir('tm-lagprobe');
let stack: Stack | null = null;
let other: Stack | null = null;
const children: BenchChild[] = [];

/** Per second of Debezium read time: records read in it and the worst lag among them (ms). */
function timeline(observer: TimestampObserver, progress: Progress, from: Map<number, bigint>, to: Map<number, bigint>): Array<{ second: number; records: number; worst: number }> {
  const bySecond = new Map<number, { records: number; worst: number }>();
  observer.eachCommitted(progress, from, to, (s, at) => {
    const sec = Math.floor(s.dbz / 1000);
    const b = bySecond.get(sec) ?? { records: 0, worst: 0 };
    b.records++;
    b.worst = Math.max(b.worst, at - s.dbz);
    bySecond.set(sec, b);
  });
  const secs = [...bySecond.keys()].sort((x, y) => x - y);
  return secs.map((s) => ({ second: s - secs[0]!, ...bySecond.get(s)! }));
}

/** The source written at --rate ops/s for `seconds` over 16 connections, as the bench's lag runs write it. */
async function load(tenant: Tenant, seconds: number, seed: number): ReturnType<typeof runWorkload> {
  const pool = createMariaPool(tenant.source.info, undefined, 16);
  return runWorkload(pool, tenant.source.database, { durationMs: seconds * 1000, ratePerSec: Number(a.rate), concurrency: 16, seed, retryNoChange: true }).finally(() => pool.end());
}

/** Prints the run's lag and timeline; returns the records it measured. */
async function measure(label: string, tenant: Tenant, observer: TimestampObserver, child: BenchChild): Promise<number> {
  const start = highs(await tenant.offsets());
  await child.progress.waitReached(start, WAIT, 'catch-up');
  await sleep(1000);
  const cpu = a.cpu ? sampleCpu({
    byPid: () => new Map<number, string>([[stack?.broker?.pid ?? -1, 'kafka'], [stack?.connectWorker?.pid ?? -1, 'connect'], [child.pid ?? -1, 'engine'], [process.pid, 'probe']]),
    byComm: { postgres: 'postgres', mariadbd: 'mariadb', mysqld: 'mariadb' },
  }) : null;
  const w = await load(tenant, Number(a.seconds), 12);
  const end = await stableHighs(tenant, 2000);
  await child.progress.waitReached(end, WAIT, label);
  const cores = cpu?.stop();
  const lag = observer.lag(child.progress, start, end);
  console.log(`\n${label}: ${lag.records} records, source ${Math.round(w.total / (w.elapsedMs / 1000))} ops/s; lag p50 ${lag.p50Dbz} ms, p99 ${lag.p99Dbz} ms, max ${lag.maxDbz} ms (dbz ts); from the Kafka append p50 ${lag.p50Kafka}, p99 ${lag.p99Kafka}, max ${lag.maxKafka} ms`);
  console.log(timeline(observer, child.progress, start, end).map((t) => `${String(t.second).padStart(3)} s: ${String(t.records).padStart(5)} records, worst ${t.worst} ms`).join('\n'));
  if (cores) console.log(`  cores used per second of the load (wall clock):\n${formatCpu(cores, ['connect', 'kafka', 'mariadb', 'postgres', 'engine', 'probe'])}`);
  return lag.records;
}

try {
  stack = await startStack({ connectHeapMb: 768 });
  const tables = CRM_TABLES.map((t) => t.name).filter((t) => t !== 'udcontactsmall');
  const tenant = await stack.createTenant({ seedRows: Number(a.rows), tables, snapshotTimeoutMs: WAIT });
  const h1 = await stableHighs(tenant);
  const extra: Record<string, number | boolean | string> = {};
  for (const kv of a.settings.split(',').filter(Boolean)) {
    const [k, v] = kv.split('=') as [string, string];
    extra[k] = v === 'true' || v === 'false' ? v === 'true' : Number.isNaN(Number(v)) ? v : Number(v);
  }
  let replica;
  if (a.target === 'sqlite') replica = { kind: 'sqlite', file: join(tmp, 'replica.db') };
  else {
    const db = await stack.createPostgresDatabase();
    replica = { kind: 'postgres', host: db.host, port: db.port, database: db.name, user: db.user, ssl: false };
  }
  const settings = settingsSchema.parse({ tenant: { ctx: tenant.ctx, brokers: stack.brokers }, replica, logLevel: 'warn', ...extra });
  const observer = new TimestampObserver(stack.kafka, tenant.topics.cdc);
  await observer.start(h1);
  let known = h1;
  /** Both measurements: on the engine running since the last one, then on an engine started just before. */
  const both = async (how: string): Promise<void> => {
    const first = new BenchChild(`${a.target} (running)`);
    children.push(first);
    for (const [p, o] of known) first.progress.commit(p, o, Date.now());
    await first.start('engine', settings);
    await first.progress.waitReached(await stableHighs(tenant), WAIT, 'catch-up');
    await sleep(15_000); // past the first row counts (every 10 s) of a fresh engine
    if (Number(a['warm-seconds']) > 0) {
      // The same load for a while first, caught up before the measurement: what is left is the steady state.
      await load(tenant, Number(a['warm-seconds']), 99);
      await first.progress.waitReached(await stableHighs(tenant), WAIT, 'warm-up');
      await sleep(3000);
    }
    await measure(`${a.target}${how}, engine running for a while`, tenant, observer, first);
    known = new Map(first.progress.next);
    await first.stop();
    const second = new BenchChild(`${a.target} (fresh)`);
    children.push(second);
    for (const [p, o] of known) second.progress.commit(p, o, Date.now());
    await second.start('engine', settings);
    const records = await measure(`${a.target}${how}, engine started just before (as the bench's lag runs)`, tenant, observer, second);
    known = new Map(second.progress.next);
    const r = await second.stop();
    // Its whole life: start-up and the catch-up before the load are in it too.
    if (r) console.log(`  that engine's CPU over its life: ${(r.cpuMs / 1000).toFixed(1)} s, ${(r.cpuMs / records * 1000).toFixed(0)} µs per record of the run`);
  };
  try {
    await both('');
    const rate = Number(a['load-rate']);
    if (rate > 0) {
      other = await startStack({});
      const t = await other.createTenant({ seedRows: 10_000, tables, snapshotTimeoutMs: WAIT });
      const load = backgroundWorkload(t.source, { ratePerSec: rate, concurrency: 8, sliceMs: 5000, retryNoChange: true });
      try { await both(' under load'); } finally { await load.stop(); }
    }
  } finally {
    await observer.stop();
  }
} finally {
  for (const c of children) await c.stop().catch(() => undefined);
  if (other) await stopStack(other);
  if (stack) await stopStack(stack);
  removeDir(tmp);
}
