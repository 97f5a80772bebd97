/**
 * Lag under a steady load, one consumer at a time (the 2-core machine would otherwise measure CPU
 * contention between them): start / resume it, let it catch up on what the earlier runs left in the
 * topic, run the workload at `rate` ops/s for `seconds`, wait until it committed everything, stop it.
 */
import type pg from 'pg';
import type { Settings } from '../../preload/contract/settings.ts';
import type { Tenant } from '../harness/tenant.ts';
import { createMariaPool } from '../harness/mariadb.ts';
import { sleep } from '../harness/util.ts';
import { runWorkload } from '../harness/workload.ts';
import type { JdbcSink } from './jdbc-sink.ts';
import type { LagFigures, TimestampObserver } from './lag.ts';
import type { Progress } from './progress.ts';
import { BenchChild } from './runner.ts';
import { highs, recordsBetween, stableHighs } from './topic.ts';

export interface LagRun { lag: LagFigures; records: number; sourceOpsPerSec: number; peakRssMb: number | null }

/** A PostgreSQL replica: where its tables are, for the row-commit-time lag (TimestampObserver.rowLag). */
export interface PgRows { config: pg.ClientConfig; schema: string; pks: ReadonlyMap<string, readonly string[]> }

export type LagTarget =
  | { kind: 'engine'; label: string; settings: Settings; pgRows?: PgRows }
  | { kind: 'sink'; label: string; sink: JdbcSink; pgRows: PgRows };

const SOURCE_CONNECTIONS = 16;

async function measure(tenant: Tenant, observer: TimestampObserver, progress: Progress, seconds: number, rate: number, pgRows?: PgRows): Promise<Omit<LagRun, 'peakRssMb'>> {
  const start = highs(await tenant.offsets());
  await progress.waitReached(start, 600_000, 'catch-up before the lag run');
  await sleep(1000);
  // 16 connections: with 8, a statement's latency under the consumer's load held the source to
  // 760–1,474 of 2,000 ops/s; the pace is still set by `rate` (an operation waits for its due time).
  const pool = createMariaPool(tenant.source.info, undefined, SOURCE_CONNECTIONS);
  const w = await runWorkload(pool, tenant.source.database, { durationMs: seconds * 1000, ratePerSec: rate, concurrency: SOURCE_CONNECTIONS, seed: 12, retryNoChange: true }).finally(() => pool.end());
  const end = await stableHighs(tenant, 2000);
  await progress.waitReached(end, 600_000, 'lag run');
  const lag = observer.lag(progress, start, end);
  if (pgRows) lag.row = await observer.rowLag(pgRows.config, pgRows.schema, pgRows.pks, start, end);
  return { lag, records: recordsBetween(start, end), sourceOpsPerSec: w.total / (w.elapsedMs / 1000) };
}

/** `known`: where an engine's replica stands (its offsets from the throughput runs), until it commits more. */
export async function runLag(tenant: Tenant, observer: TimestampObserver, t: LagTarget, seconds: number, rate: number, known: Map<number, bigint>, track: BenchChild[]): Promise<LagRun> {
  if (t.kind === 'sink') {
    await t.sink.resume();
    try {
      const r = await measure(tenant, observer, t.sink.progress, seconds, rate, t.pgRows);
      return { ...r, peakRssMb: await t.sink.rssMb() };
    } finally {
      await t.sink.pause();
    }
  }
  const child = new BenchChild(t.label);
  track.push(child);
  for (const [p, o] of known) child.progress.commit(p, o, Date.now());
  await child.start('engine', t.settings);
  try {
    const r = await measure(tenant, observer, child.progress, seconds, rate, t.pgRows);
    const done = await child.stop();
    return { ...r, peakRssMb: done?.peakRssMb ?? null };
  } finally {
    await child.stop();
  }
}
