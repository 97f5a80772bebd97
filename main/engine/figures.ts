/**
 * The lag figures the status shows, from one set of per-partition numbers (the same rule as `info`,
 * main/commands/lag.ts): events = high watermark − where reading resumes, never negative; seconds = age
 * of the newest change applied on the partition when events wait there, else 0. The header's figures
 * are derived from these: the sum of events, the max of seconds (unknown if any lagging partition's
 * seconds are unknown). A table cannot be further behind than the stream: its lag is capped by it.
 */
import type { PartitionStatus, TableStatus } from '../../preload/contract/status.ts';
import { computeLag } from '../commands/lag.ts';

export interface PartitionNumbers { partition: number; next: bigint | null; low: bigint; high: bigint }

export interface LagFigures { partitions: PartitionStatus[]; lagEvents: number; lagSeconds: number | null }

export function lagFigures(topic: string, parts: readonly PartitionNumbers[], newestAppliedTs: ReadonlyMap<number, number>, now: number): LagFigures {
  const lag = computeLag(parts, newestAppliedTs, now);
  const partitions = lag.partitions.map((p): PartitionStatus => ({
    topic, partition: p.partition, nextOffset: p.next, high: p.high, low: p.low, lagEvents: p.lagEvents, lagSeconds: p.lagSeconds,
  }));
  return { partitions, lagEvents: lag.lagEvents, lagSeconds: lag.lagSeconds };
}

/** Per-table lag: 0 when caught up; never above the overall lag (a table is not behind the stream it is read from). */
export function capTableLag(tables: TableStatus[], overall: { lagEvents: number; lagSeconds: number | null }): TableStatus[] {
  return tables.map((t) => {
    if (overall.lagEvents === 0) return t.lagSeconds === 0 ? t : { ...t, lagSeconds: 0 };
    if (t.lagSeconds === null || overall.lagSeconds === null || t.lagSeconds <= overall.lagSeconds) return t;
    return { ...t, lagSeconds: overall.lagSeconds };
  });
}
