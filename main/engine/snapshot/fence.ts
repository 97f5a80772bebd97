/**
 * The sweep fence: the high watermark of every partition of `<ctx>-cdc`, read after the snapshot said it
 * was done, and the Kafka timestamp of the record that said so. Debezium hands its records and its
 * notifications to one producer in the order it made them, but the producer sends each partition's
 * batches in turn (one batch per partition per request): with a backlog, the record that reports the end
 * overtakes hundreds of records sent before it to other partitions (scenario b2 on a shared stack,
 * 2026-12-03: a resync's sweep ran before the scan's last 1,082 rows of 6,000 were in the topic, and
 * deleted them). The delay before
 * reading the watermarks is not enough. A partition's order is kept, though, and each record carries the
 * time it was sent: once a record sent after the end is applied in a partition, every record sent there
 * before it was applied too. A partition that gets no later record counts once it is quiet: applied to
 * its high watermark, which two reads at least the quiet time apart found unchanged (docs/snapshots.md).
 * Not moved since the last read is no evidence: the rows overtaken land right after the fence is read
 * (CI 2026-12-03, b2 on PostgreSQL: 124 of 6,000 rows swept one second after a single read).
 */
import type { Admin } from 'kafkajs';
import { fetchWatermarks } from '../source/watermarks.ts';
import type { Watermark } from '../source/watermarks.ts';

export type Fence = Record<string, string>;

/**
 * What the fence's time rule reads: per partition, the newest Kafka timestamp applied, and the high
 * watermark with when the first read that found it returned (`since`) and when the last one that found it
 * was asked (`seen`). A high watermark never goes down, so it stood at least from `since` to `seen`; a
 * read's answer is of some moment between its asking and its return (an answer handled late proves
 * nothing about the time it is handled).
 */
export interface FenceClock {
  applied: Map<number, number>;
  high: Map<number, { high: string; since: number; seen: number }>;
}

export function fenceClock(ctx: { fenceClock?: FenceClock }): FenceClock {
  ctx.fenceClock ??= { applied: new Map(), high: new Map() };
  return ctx.fenceClock;
}

/**
 * New watermarks of `<ctx>-cdc`, asked for at `asked` and returned at `now` (every reader of them goes
 * through here, so a moved high watermark is seen).
 */
export function observeWatermarks(ctx: { watermarks: Map<number, Watermark>; fenceClock?: FenceClock }, marks: Map<number, Watermark>, now = Date.now(), asked = now): Map<number, Watermark> {
  ctx.watermarks = marks;
  const clock = fenceClock(ctx);
  for (const [p, w] of marks) {
    const was = clock.high.get(p);
    if (was?.high === w.high) was.seen = Math.max(was.seen, asked);
    else clock.high.set(p, { high: w.high, since: now, seen: asked });
  }
  return marks;
}

/** Reads the watermarks of `topic` (`<ctx>-cdc`) and notes them with the times of the read. */
export async function readWatermarks(ctx: { admin: Admin; watermarks: Map<number, Watermark>; fenceClock?: FenceClock }, topic: string): Promise<Map<number, Watermark>> {
  const asked = Date.now();
  const marks = await fetchWatermarks(ctx.admin, topic);
  return observeWatermarks(ctx, marks, Date.now(), asked);
}

/** A batch applied up to a record of this Kafka timestamp on `partition`. */
export function noteAppliedTs(ctx: { fenceClock?: FenceClock }, partition: number, ts: number | undefined): void {
  if (ts === undefined || !Number.isFinite(ts)) return;
  const applied = fenceClock(ctx).applied;
  if (ts > (applied.get(partition) ?? -Infinity)) applied.set(partition, ts);
}

/** `ctx`: where the watermarks read are also noted (observeWatermarks). */
export async function takeFence(admin: Admin, topic: string, ctx?: { watermarks: Map<number, Watermark>; fenceClock?: FenceClock }): Promise<Fence> {
  const asked = Date.now();
  const marks = await fetchWatermarks(admin, topic);
  if (ctx) observeWatermarks(ctx, marks, Date.now(), asked);
  const fence: Fence = {};
  for (const [p, w] of marks) fence[String(p)] = w.high;
  return fence;
}

/** The time rule: the end's Kafka timestamp, and how long a partition's high watermark must be read standing to count as quiet. */
export interface FenceTime { ts: number; quietMs: number; clock: FenceClock | undefined }

/**
 * Every partition's next offset (or its low watermark, when nothing was applied there) is at the fence;
 * with `time`, every partition has also applied a record sent after the end, or is quiet.
 */
export function fenceReached(fence: Fence, next: Map<number, bigint>, marks: Map<number, Watermark>, time: FenceTime | null = null): boolean {
  for (const [p, off] of Object.entries(fence)) {
    const low = marks.get(Number(p))?.low;
    const have = next.get(Number(p)) ?? (low === undefined ? 0n : BigInt(low));
    if (have < BigInt(off)) return false;
    if (time && !settledAfter(Number(p), have, marks, time)) return false;
  }
  return true;
}

function settledAfter(p: number, have: bigint, marks: Map<number, Watermark>, t: FenceTime): boolean {
  if ((t.clock?.applied.get(p) ?? -Infinity) > t.ts) return true;
  const high = marks.get(p)?.high;
  const since = t.clock?.high.get(p);
  return high !== undefined && have >= BigInt(high) && since?.high === high && since.seen - since.since >= t.quietMs;
}
