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

/**
 * Per partition, the time after which its first waiting event was produced: the source time of the
 * newest change applied there, or the last time the partition was seen caught up, whichever is later.
 * Lag in seconds is now − that: an upper bound that, unlike the newest change alone, does not read
 * "3 h" for a partition that was idle for 3 h and got one event a second ago.
 */
export class LagReference {
  private readonly appliedAt = new Map<number, number>();
  private readonly caughtUpAt = new Map<number, number>();
  applied(partition: number, sourceTs: number): void {
    this.appliedAt.set(partition, Math.max(this.appliedAt.get(partition) ?? 0, sourceTs));
  }
  /** Figures taken from watermarks fetched at `at`: partitions with nothing waiting were caught up then. */
  observe(partitions: readonly PartitionStatus[], at: number): void {
    for (const p of partitions) if (p.lagEvents === 0) this.caughtUpAt.set(p.partition, at);
  }
  times(): Map<number, number> {
    const out = new Map(this.appliedAt);
    for (const [p, t] of this.caughtUpAt) out.set(p, Math.max(out.get(p) ?? 0, t));
    return out;
  }
}

/** Per-table lag: 0 when caught up; never above the overall lag (a table is not behind the stream it is read from). */
export function capTableLag(tables: TableStatus[], overall: { lagEvents: number; lagSeconds: number | null }): TableStatus[] {
  return tables.map((t) => {
    if (overall.lagEvents === 0) return t.lagSeconds === 0 ? t : { ...t, lagSeconds: 0 };
    if (t.lagSeconds === null || overall.lagSeconds === null || t.lagSeconds <= overall.lagSeconds) return t;
    return { ...t, lagSeconds: overall.lagSeconds };
  });
}
