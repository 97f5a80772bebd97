/**
 * One throughput phase: each consumer in turn (never two at once) reads `<ctx>-cdc` from `from` to `to`.
 * Time = from "consuming" (child ready: engine started / ceiling consumer running; sink: connector
 * RUNNING or resumed) until its committed offsets reach `to` on every partition.
 * Engines resume from their replica's own offsets, the ceiling is told where to start, the sink resumes.
 */
import type { Settings } from '../../preload/contract/settings.ts';
import type { JdbcSink } from './jdbc-sink.ts';
import { BenchChild } from './runner.ts';

export interface PhaseRun { evPerSec: number; firstCommitMs: number | null; peakRssMb: number | null; cpuSec: number | null }

const TIMEOUT = 3_600_000;
const rate = (records: number, ms: number): number => records / (Math.max(1, ms) / 1000);

export async function runChildPhase(
  label: string, mode: 'engine' | 'ceiling', settings: Settings, records: number,
  from: Map<number, bigint> | undefined, to: Map<number, bigint>, execArgv: string[], track: BenchChild[],
): Promise<PhaseRun> {
  const child = new BenchChild(label);
  track.push(child);
  await child.start(mode, settings, execArgv, from);
  const readyAt = Date.now();
  const endAt = await child.progress.waitReached(to, TIMEOUT, label);
  const r = await child.stop();
  const first = child.progress.firstCommitAt;
  return { evPerSec: rate(records, endAt - readyAt), firstCommitMs: first === null ? null : first - readyAt, peakRssMb: r?.peakRssMb ?? null, cpuSec: r ? r.cpuMs / 1000 : null };
}

/** First phase: creates the connector; later phases: resumes it. Leaves it paused. */
export async function runSinkPhase(sink: JdbcSink, config: Record<string, string>, first: boolean, records: number, to: Map<number, bigint>): Promise<PhaseRun> {
  const commitsBefore = sink.progress.commits.length;
  let readyAt: number;
  if (first) { await sink.start(config); readyAt = Date.now(); } else { readyAt = Date.now(); await sink.resume(); }
  const endAt = await sink.progress.waitReached(to, TIMEOUT, 'jdbc sink', () => sink.assertHealthy());
  await sink.pause();
  const firstCommit = sink.progress.commits[commitsBefore]?.at ?? null;
  return { evPerSec: rate(records, endAt - readyAt), firstCommitMs: firstCommit === null ? null : firstCommit - readyAt, peakRssMb: await sink.rssMb(), cpuSec: null };
}
