/**
 * The sweep fence: the high watermark of every partition of `<ctx>-cdc`, read after the snapshot said it
 * was done. Debezium hands its records and its notifications to one producer in the order it made them,
 * so every record of a finished scan was sent before the record or notification that reports the end; the
 * short delay before reading the watermarks covers sends still in flight to other partitions
 * (docs/snapshots.md). Sweeping waits until every partition's next offset reaches the fence.
 */
import type { Admin } from 'kafkajs';
import { sleep } from '../context.ts';
import { fetchWatermarks } from '../source/watermarks.ts';
import type { Watermark } from '../source/watermarks.ts';

export type Fence = Record<string, string>;

export async function takeFence(admin: Admin, topic: string, delayMs: number): Promise<Fence> {
  await sleep(delayMs);
  const marks = await fetchWatermarks(admin, topic);
  const fence: Fence = {};
  for (const [p, w] of marks) fence[String(p)] = w.high;
  return fence;
}

/** Every partition's next offset (or its low watermark, when nothing was applied there) is at the fence. */
export function fenceReached(fence: Fence, next: Map<number, bigint>, marks: Map<number, Watermark>): boolean {
  for (const [p, off] of Object.entries(fence)) {
    const have = next.get(Number(p));
    const low = marks.get(Number(p))?.low;
    if ((have ?? (low === undefined ? 0n : BigInt(low))) < BigInt(off)) return false;
  }
  return true;
}
