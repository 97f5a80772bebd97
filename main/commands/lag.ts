/**
 * Lag as `info` reports it, per partition and overall, from one set of numbers: the stored next offset,
 * the partition's low and high watermarks, and the Kafka timestamp of the first unapplied record.
 * Never negative: a stored offset above the high watermark counts 0 and is flagged (the topic was
 * recreated or the replica comes from elsewhere: the engine halts with OFFSET_AHEAD there).
 */
export interface PartitionInput { partition: number; next: bigint | null; low: bigint; high: bigint }

export interface PartitionLag {
  partition: number;
  /** Stored next offset (null: nothing applied yet on this partition). */
  next: string | null;
  low: string;
  high: string;
  /** Where reading resumes: the stored offset, or the low watermark when it is below it (a gap). */
  position: string;
  lagEvents: number;
  /** Age of the first unapplied record; 0 when none waits; null when its timestamp is unknown. */
  lagSeconds: number | null;
  /** Why the figures need a word: offset above the high watermark, or a gap below the low one. */
  note: string | null;
}

export interface LagReport { lagEvents: number; lagSeconds: number | null; partitions: PartitionLag[] }

/** Where reading resumes on a partition (the engine's rule): max(stored next, low watermark). */
export function resumePosition(p: PartitionInput): bigint {
  return p.next !== null && p.next > p.low ? p.next : p.low;
}

export function computeLag(parts: readonly PartitionInput[], firstUnappliedTs: ReadonlyMap<number, number>, now: number): LagReport {
  const partitions = [...parts].sort((a, b) => a.partition - b.partition).map((p): PartitionLag => {
    const position = resumePosition(p);
    const raw = p.high - position;
    const lagEvents = raw > 0n ? Number(raw) : 0;
    let note: string | null = null;
    if (raw < 0n) note = `stored next offset ${position} is ${-raw} above the high watermark ${p.high} (topic recreated, or a replica from another environment): lag shown as 0; \`reset-offsets\` recovers`;
    else if (p.next !== null && p.next < p.low) note = `gap: events ${p.next}–${p.low - 1n} were purged before they were applied (lag counted from the low watermark ${p.low})`;
    const ts = firstUnappliedTs.get(p.partition);
    const lagSeconds = lagEvents === 0 ? 0 : ts === undefined ? null : Math.max(0, (now - ts) / 1000);
    return { partition: p.partition, next: p.next === null ? null : p.next.toString(), low: p.low.toString(), high: p.high.toString(), position: position.toString(), lagEvents, lagSeconds, note };
  });
  const lagEvents = partitions.reduce((n, p) => n + p.lagEvents, 0);
  const lagSeconds = partitions.some((p) => p.lagSeconds === null) ? null : partitions.reduce((m, p) => Math.max(m, p.lagSeconds ?? 0), 0);
  return { lagEvents, lagSeconds, partitions };
}

export interface LagVerdict { behind: boolean; reasons: string[] }

/** Is the replica behind beyond the thresholds? Unknown lag counts as behind (it cannot be vouched for). */
export function lagVerdict(lag: LagReport | null, max: { events: number; seconds: number }): LagVerdict {
  if (!lag) return { behind: true, reasons: ['lag unknown: Kafka was not reachable'] };
  const reasons: string[] = [];
  if (lag.lagEvents > max.events) reasons.push(`${lag.lagEvents} events wait to be applied (more than --max-lag-events ${max.events})`);
  if (lag.lagSeconds === null && lag.lagEvents > 0) reasons.push('lag in seconds unknown: the first unapplied record could not be read');
  else if (lag.lagSeconds !== null && lag.lagSeconds > max.seconds) reasons.push(`the oldest unapplied event is ${lag.lagSeconds.toFixed(1)} s old (more than --max-lag-seconds ${max.seconds})`);
  return { behind: reasons.length > 0, reasons };
}
