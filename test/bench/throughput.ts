/**
 * One throughput phase of one consumer (never two at once) reading `<ctx>-cdc` from `from` to `to`.
 * Start, snapshot phase: the engine's process forked; the sink's connector created (its tasks consume
 * before it is seen RUNNING). Mixed phase: the engine running (group joined); the sink resumed. The
 * ceilings: their consumer running (a ceiling is not charged for starting). End:
 *   - a PostgreSQL replica (the engine's or the JDBC sink's): the newest commit time of a row version in
 *     its data tables, read from PostgreSQL (commit-time.ts) once the consumer's offsets reached `to`;
 *     the same for both, so neither is charged for how its progress is observed;
 *   - SQLite and the ceilings: the consumer's own stamp when the last offset was committed / handled.
 * The ceilings must have counted (and, for the ceiling, parsed) every record: else the run fails.
 */
import type pg from 'pg';
import type { Settings } from '../../preload/contract/settings.ts';
import { lastCommitMs } from './commit-time.ts';
import type { JdbcSink } from './jdbc-sink.ts';
import type { MemoryAtPeak } from './child.ts';
import { BenchChild } from './runner.ts';

export interface PhaseRun { evPerSec: number; firstCommitMs: number | null; peakRssMb: number | null; atPeak?: MemoryAtPeak | undefined; cpuSec: number | null; observedEndMs: number }
export interface PgEnd { config: pg.ClientConfig; schema: string }

const TIMEOUT = 3_600_000;
const rate = (records: number, ms: number): number => records / (Math.max(1, ms) / 1000);

async function endTime(observed: number, pgEnd: PgEnd | undefined, what: string): Promise<number> {
  if (!pgEnd) return observed;
  const t = await lastCommitMs(pgEnd.config, pgEnd.schema);
  if (t === null) throw new Error(`${what}: no committed row in ${pgEnd.schema}`);
  return t;
}

export async function runChildPhase(
  label: string, mode: 'engine' | 'ceiling' | 'transport', settings: Settings, records: number,
  from: Map<number, bigint> | undefined, to: Map<number, bigint>, execArgv: string[], track: BenchChild[], pgEnd?: PgEnd, fetchMb?: number,
  /** An engine's clock: from its fork (the snapshot phase, as the sink's from its creation) or once it runs (the mixed phase, as the sink's from its resume). */
  engineClock: 'fork' | 'running' = 'fork',
): Promise<PhaseRun> {
  const child = new BenchChild(label);
  track.push(child);
  // An engine's clock starts before its process is forked in the snapshot phase: its start-up, Kafka
  // connection and group join count, as the sink's connector and task start do (runSinkPhase). In the
  // mixed phase it starts once the engine runs, as the resumed sink's does. A ceiling's starts once its
  // consumer runs: a ceiling is not charged for starting.
  const forkAt = Date.now();
  await child.start(mode, settings, execArgv, from, fetchMb);
  const readyAt = mode === 'engine' && engineClock === 'fork' ? forkAt : Date.now();
  const observed = await child.progress.waitReached(to, TIMEOUT, label);
  const r = await child.stop();
  if (mode !== 'engine') {
    const c = r?.counted;
    if (!c || c.records < records || (mode === 'ceiling' && c.parsed < records)) {
      throw new Error(`${label}: expected ${records} records, counted ${c?.records ?? '?'}, parsed ${c?.parsed ?? '?'}`);
    }
  }
  const endAt = await endTime(observed, pgEnd, label);
  const first = child.progress.firstCommitAt;
  return { evPerSec: rate(records, endAt - readyAt), firstCommitMs: first === null ? null : first - readyAt, peakRssMb: r?.peakRssMb ?? null, atPeak: r?.atPeak, cpuSec: r ? r.cpuMs / 1000 : null, observedEndMs: observed - readyAt };
}

/** First phase: creates the connector; later phases: resumes it. Leaves it paused. */
export async function runSinkPhase(sink: JdbcSink, config: Record<string, string>, first: boolean, records: number, to: Map<number, bigint>, pgEnd: PgEnd): Promise<PhaseRun> {
  const commitsBefore = sink.progress.commits.length;
  const cpuBefore = sink.cpuSec();
  // From the creation request (its tasks consume before the connector is seen RUNNING), or the resume.
  const readyAt = Date.now();
  if (first) await sink.start(config); else await sink.resume();
  const observed = await sink.progress.waitReached(to, TIMEOUT, sink.name, () => sink.assertHealthy());
  const cpuAfter = sink.cpuSec();
  await sink.pause();
  const endAt = await endTime(observed, pgEnd, sink.name);
  const firstCommit = sink.progress.commits[commitsBefore]?.at ?? null;
  return { evPerSec: rate(records, endAt - readyAt), firstCommitMs: firstCommit === null ? null : firstCommit - readyAt, peakRssMb: await sink.rssMb(), cpuSec: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null, observedEndMs: observed - readyAt };
}
