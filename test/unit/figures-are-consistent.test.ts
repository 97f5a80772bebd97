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
import { TableRegistry } from '../../main/engine/tables.ts';
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

test('row counts: counted once, then moved by what each commit inserted and deleted; unknown (and counted again) after a change not counted', () => {
  const reg = new TableRegistry();
  const rec = (name: string) => ({ id: `crm.${name}`, schema: 'crm', name }) as Parameters<TableRegistry['put']>[0];
  reg.put(rec('a'));
  reg.put(rec('b'));
  assert.deepEqual(reg.uncounted(), ['crm.a', 'crm.b'], 'every table is counted first');
  reg.rowsChanged('crm.a', 5, 0, 1);
  assert.equal(reg.counter('crm.a').rows, null, 'a commit does not make an unknown count known');
  Object.assign(reg.counter('crm.a'), { rows: 10, rowsAt: 2 });
  Object.assign(reg.counter('crm.b'), { rows: 0, rowsAt: 2 });
  assert.deepEqual(reg.uncounted(), []);
  reg.rowsChanged('crm.a', 3, 1, 3);
  assert.deepEqual([reg.counter('crm.a').rows, reg.counter('crm.a').rowsAt], [12, 3], '10 + 3 inserted - 1 deleted, as of the commit');
  reg.rowsChanged('crm.a', 0, 0, 4);
  assert.equal(reg.counter('crm.a').rowsAt, 3, 'a commit of updates only leaves the count and its time');
  reg.rowsUnknown('crm.b');
  assert.deepEqual([reg.counter('crm.b').rows, reg.uncounted()], [null, ['crm.b']], 'a sweep or rebuild: unknown until counted again');
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
