/**
 * The fence's time rule (main/engine/snapshot/fence.ts): the connector's producer sends each partition's
 * batches in turn, so the record that reports a scan's end can overtake records sent before it to other
 * partitions (CI 2026-12-03: 1,082 rows swept before they were in the topic). A partition is settled once a
 * record sent after the end is applied there, or once it is quiet: applied to its high watermark, which has
 * was read standing for the quiet time (two reads that far apart).
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
  const time = { ts: 5_000, quietMs: 1_000, clock: ctx.fenceClock };
  assert.equal(fenceReached(fence, next([10, 10]), ctx.watermarks, time), false, 'partition 1: nothing sent after 5,000, high read once');
  observeWatermarks(ctx, marks([10, 14]), 1_600); // the backlog lands
  assert.equal(fenceReached(fence, next([10, 14]), ctx.watermarks, time), false, 'moved at the last read');
  noteAppliedTs(ctx, 1, 5_000);
  assert.equal(fenceReached(fence, next([10, 14]), ctx.watermarks, time), false, 'a record sent in the same millisecond tells nothing');
  observeWatermarks(ctx, marks([10, 14]), 2_300);
  assert.equal(fenceReached(fence, next([10, 14]), ctx.watermarks, time), false, 'read standing for 700 ms');
  observeWatermarks(ctx, marks([10, 14]), 2_700);
  assert.equal(fenceReached(fence, next([10, 13]), ctx.watermarks, time), false, 'quiet, but not applied to its high watermark');
  assert.equal(fenceReached(fence, next([10, 14]), ctx.watermarks, time), true, 'quiet and applied to it');
  assert.equal(fenceReached(fence, next([10, 9]), ctx.watermarks, time), false, 'the offsets still count');
});

it('a record sent after the end settles its partition at once, with no quiet time', () => {
  const ctx: { watermarks: Map<number, Watermark>; fenceClock?: FenceClock } = { watermarks: new Map() };
  observeWatermarks(ctx, marks([7]), 1_000);
  const time = { ts: 5_000, quietMs: 60_000, clock: ctx.fenceClock };
  noteAppliedTs(ctx, 0, 5_002);
  assert.equal(fenceReached({ 0: '7' }, next([7]), ctx.watermarks, time), true);
});

it('a high watermark read once is not quiet, however long ago that read was: the rows overtaken land after it', () => {
  // CI 2026-12-03 (b2 on PostgreSQL): the fence read at t, the sweep one second later on that read alone,
  // 124 of the scan's 6,000 rows landed after it and were deleted.
  const ctx: { watermarks: Map<number, Watermark>; fenceClock?: FenceClock } = { watermarks: new Map() };
  observeWatermarks(ctx, marks([20, 20]), 10_000);
  const time = { ts: 9_900, quietMs: 1_000, clock: ctx.fenceClock };
  assert.equal(fenceReached({ 0: '20', 1: '20' }, next([20, 20]), ctx.watermarks, time), false, 'no second read yet');
  observeWatermarks(ctx, marks([20, 31]), 10_400); // what was in flight lands: partition 1 moves
  observeWatermarks(ctx, marks([20, 31]), 11_000);
  assert.equal(fenceReached({ 0: '20', 1: '20' }, next([20, 20]), ctx.watermarks, time), false, 'partition 1 moved: not applied to its high watermark');
  assert.equal(fenceReached({ 0: '20', 1: '20' }, next([20, 31]), ctx.watermarks, time), false, 'partition 1 read standing only 600 ms');
  observeWatermarks(ctx, marks([20, 31]), 11_400);
  assert.equal(fenceReached({ 0: '20', 1: '20' }, next([20, 31]), ctx.watermarks, time), true, 'both read standing ≥ 1 s and applied');
});

it('a read counts as of when it was asked, not when its answer was handled: an answer handled late proves no quiet time', () => {
  const ctx: { watermarks: Map<number, Watermark>; fenceClock?: FenceClock } = { watermarks: new Map() };
  observeWatermarks(ctx, marks([5]), 1_000, 950); // the fence's read
  observeWatermarks(ctx, marks([5]), 4_000, 1_200); // asked 200 ms later, its answer handled 3 s after
  const time = { ts: 900, quietMs: 1_000, clock: ctx.fenceClock };
  assert.equal(fenceReached({ 0: '5' }, next([5]), ctx.watermarks, time), false, 'known to stand from 1,000 to 1,200 only');
  observeWatermarks(ctx, marks([5]), 4_100, 4_050);
  assert.equal(fenceReached({ 0: '5' }, next([5]), ctx.watermarks, time), true, 'asked at 4,050: stood 3,050 ms');
  observeWatermarks(ctx, marks([6]), 5_000, 4_900);
  assert.deepEqual(ctx.fenceClock!.high.get(0), { high: '6', since: 5_000, seen: 4_900 }, 'a new value stands from when its read returned');
});

it('a high watermark seen again unchanged keeps the time it was first seen, and the time of the last read', () => {
  const ctx: { watermarks: Map<number, Watermark>; fenceClock?: FenceClock } = { watermarks: new Map() };
  observeWatermarks(ctx, marks([3]), 100);
  observeWatermarks(ctx, marks([3]), 900);
  assert.deepEqual(ctx.fenceClock!.high.get(0), { high: '3', since: 100, seen: 900 });
  observeWatermarks(ctx, marks([4]), 1_000);
  assert.deepEqual(ctx.fenceClock!.high.get(0), { high: '4', since: 1_000, seen: 1_000 });
  noteAppliedTs(ctx, 0, 50);
  noteAppliedTs(ctx, 0, 40);
  assert.equal(ctx.fenceClock!.applied.get(0), 50, 'the newest timestamp applied is kept');
});
