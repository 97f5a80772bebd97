/**
 * The dashboard's figures: throughput is a windowed rate that falls to 0 when idle or paused and whose
 * first reading is not diluted by start-up; partition lag is never negative and the overall lag is
 * derived from the per-partition numbers (sum of events, max of seconds); a table's lag never exceeds
 * the overall; row counts are taken once, then only for tables that changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capTableLag, lagFigures, LagReference } from '../../main/engine/figures.ts';
import { createRateWindow } from '../../main/engine/rate-window.ts';
import { createRowCountPlan } from '../../main/engine/row-counts.ts';
import { table } from '../doubles/fake-engine.ts';

test('throughput: the first reading counts from start, not over the whole window', () => {
  const r = createRateWindow(10_000);
  r.begin(0);
  r.add(500, 1000);
  r.add(500, 2000);
  assert.equal(r.perSecond(2000, false), 500, '1000 events in the 2 s since start');
  for (let t = 3000; t <= 20_000; t += 1000) r.add(100, t);
  assert.equal(r.perSecond(20_000, false), 100, 'steady 100/s over the full window');
});

test('throughput: 0 while paused, 0 after a whole idle window, and no carry-over across a resume', () => {
  const r = createRateWindow(10_000);
  r.begin(0);
  for (let t = 1000; t <= 10_000; t += 1000) r.add(50, t);
  assert.ok(r.perSecond(10_000, false) > 0);
  assert.equal(r.perSecond(10_000, true), 0, 'paused');
  assert.ok(r.perSecond(15_000, false) > 0 && r.perSecond(15_000, false) < 50, 'falling while idle');
  assert.equal(r.perSecond(20_001, false), 0, 'idle for a whole window');
  r.add(10, 21_000);
  r.begin(30_000);
  assert.equal(r.perSecond(30_500, false), 0, 'events before the pause are not counted after the resume');
  r.add(20, 30_500);
  assert.equal(r.perSecond(30_500, false), 20, 'a batch right after resume counts over at least 1 s');
});

test('lag: per partition never negative; overall = sum of events and max of seconds', () => {
  const now = 100_000;
  const f = lagFigures('acme-cdc', [
    { partition: 1, next: 150n, low: 0n, high: 120n }, // ahead of the high mark (stale watermark)
    { partition: 0, next: 100n, low: 0n, high: 130n },
    { partition: 2, next: 10n, low: 40n, high: 45n }, // gap: resumes at the low mark
  ], new Map([[0, now - 4000], [2, now - 9000], [1, now - 60_000]]), now);
  assert.deepEqual(f.partitions.map((p) => [p.partition, p.lagEvents, p.lagSeconds]), [[0, 30, 4], [1, 0, 0], [2, 5, 9]]);
  assert.equal(f.lagEvents, 35);
  assert.equal(f.lagSeconds, 9);
  assert.ok(f.partitions.every((p) => (p.lagEvents ?? 0) >= 0));
  const unknown = lagFigures('t', [{ partition: 0, next: 1n, low: 0n, high: 5n }], new Map(), now);
  assert.equal(unknown.lagSeconds, null, 'events wait and nothing says how old they are: unknown, not 0');
});

test('lag: a table is never shown further behind than the stream, and 0 when caught up', () => {
  const tables = [{ ...table('crm.a'), lagSeconds: 8 }, { ...table('crm.b'), lagSeconds: 2 }, { ...table('crm.c'), lagSeconds: null }];
  assert.deepEqual(capTableLag(tables, { lagEvents: 10, lagSeconds: 4 }).map((t) => t.lagSeconds), [4, 2, null]);
  assert.deepEqual(capTableLag(tables, { lagEvents: 0, lagSeconds: 0 }).map((t) => t.lagSeconds), [0, 0, 0]);
});

test('row counts: every table once, then only those changed, at most every interval; a resync recounts', () => {
  const plan = createRowCountPlan(30_000);
  const ids = ['crm.a', 'crm.b'];
  assert.deepEqual(plan.due(ids, 0), ids);
  for (const id of ids) plan.counted(id, 0);
  assert.equal(plan.asOf('crm.a'), 0);
  assert.deepEqual(plan.due(ids, 60_000), [], 'idle tables are not counted again');
  plan.touched(['crm.a']);
  assert.deepEqual(plan.due(ids, 10_000), [], 'not before the interval');
  assert.deepEqual(plan.due(ids, 30_000), ['crm.a']);
  plan.counted('crm.a', 30_000);
  plan.invalidate('crm.b');
  assert.deepEqual(plan.due(ids, 30_001), ['crm.b']);
  assert.equal(plan.asOf('crm.b'), 0, 'the shown count keeps the time it was taken until the recount');
  plan.counted('crm.b', 30_002);
  assert.deepEqual(plan.due(ids, 30_003), []);
});

test('lag: a partition idle for hours that gets one event reads seconds, not hours; the newest applied change counts too', () => {
  const ref = new LagReference();
  const hour = 3_600_000;
  ref.applied(0, 0); // the last change applied on partition 0, 3 h before now
  const now = 3 * hour;
  const caughtUp = lagFigures('t', [{ partition: 0, next: 10n, low: 0n, high: 10n }], ref.times(), now - 2000);
  ref.observe(caughtUp.partitions, now - 2000); // seen caught up 2 s ago
  const waiting = lagFigures('t', [{ partition: 0, next: 10n, low: 0n, high: 11n }], ref.times(), now);
  assert.equal(waiting.lagSeconds, 2);
  ref.applied(0, now - 500);
  assert.equal(lagFigures('t', [{ partition: 0, next: 11n, low: 0n, high: 12n }], ref.times(), now).lagSeconds, 0.5);
});
