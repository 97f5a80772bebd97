/**
 * The fence's time rule (main/engine/snapshot/fence.ts): the connector's producer sends each partition's
 * batches in turn, so the record that reports a scan's end can overtake records sent before it to other
 * partitions (CI 2026-12-03: 1,082 rows swept before they were in the topic). A partition is settled once a
 * record sent after the end is applied there, or once it is quiet: applied to its high watermark, which has
 * stood for the quiet time.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fenceReached, noteAppliedTs, observeWatermarks } from '../../main/engine/snapshot/fence.ts';
import type { FenceClock } from '../../main/engine/snapshot/fence.ts';
import type { Watermark } from '../../main/engine/source/watermarks.ts';

const marks = (highs: number[]): Map<number, Watermark> => new Map(highs.map((h, p) => [p, { partition: p, low: '0', high: String(h) }]));
const next = (offs: number[]): Map<number, bigint> => new Map(offs.map((o, p) => [p, BigInt(o)]));

it('the offsets alone are reached, yet a partition has applied nothing sent after the end and is not quiet: not reached', () => {
  const ctx: { watermarks: Map<number, Watermark>; fenceClock?: FenceClock } = { watermarks: new Map() };
  observeWatermarks(ctx, marks([10, 10]), 1_000);
  noteAppliedTs(ctx, 0, 5_001);
  noteAppliedTs(ctx, 1, 4_990);
  const fence = { 0: '10', 1: '10' };
  assert.equal(fenceReached(fence, next([10, 10]), ctx.watermarks), true, 'without the time rule: reached');
  const time = { ts: 5_000, quietMs: 1_000, clock: ctx.fenceClock, now: 1_500 };
  assert.equal(fenceReached(fence, next([10, 10]), ctx.watermarks, time), false, 'partition 1: nothing sent after 5,000, high stood 500 ms');
  observeWatermarks(ctx, marks([10, 14]), 1_600); // the backlog lands
  assert.equal(fenceReached(fence, next([10, 14]), ctx.watermarks, { ...time, now: 2_500 }), false, 'moved 900 ms ago');
  assert.equal(fenceReached(fence, next([10, 13]), ctx.watermarks, { ...time, now: 2_700 }), false, 'quiet, but not applied to its high watermark');
  assert.equal(fenceReached(fence, next([10, 14]), ctx.watermarks, { ...time, now: 2_700 }), true, 'quiet and applied to it');
  noteAppliedTs(ctx, 1, 5_000);
  assert.equal(fenceReached(fence, next([10, 14]), ctx.watermarks, { ...time, now: 1_700 }), false, 'a record sent in the same millisecond tells nothing');
  noteAppliedTs(ctx, 1, 5_002);
  assert.equal(fenceReached(fence, next([10, 14]), ctx.watermarks, { ...time, now: 1_700 }), true, 'a record sent after the end was applied');
  assert.equal(fenceReached(fence, next([10, 9]), ctx.watermarks, { ...time, now: 1_700 }), false, 'the offsets still count');
});

it('a high watermark seen again unchanged keeps the time it was first seen', () => {
  const ctx: { watermarks: Map<number, Watermark>; fenceClock?: FenceClock } = { watermarks: new Map() };
  observeWatermarks(ctx, marks([3]), 100);
  observeWatermarks(ctx, marks([3]), 900);
  assert.deepEqual(ctx.fenceClock!.high.get(0), { high: '3', since: 100 });
  noteAppliedTs(ctx, 0, 50);
  noteAppliedTs(ctx, 0, 40);
  assert.equal(ctx.fenceClock!.applied.get(0), 50, 'the newest timestamp applied is kept');
});
