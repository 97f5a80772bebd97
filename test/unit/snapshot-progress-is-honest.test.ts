/**
 * Snapshot and resync progress: rows/s from the rows copied lately; a percentage and ETA only where a
 * total is reported (Debezium) or can be estimated (the row count before a resync) — unknown otherwise,
 * never 0 %; an estimate stops at 99 %; the overall figures sum the tables and are unknown if any is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSnapshotTracker } from '../../main/engine/snapshot-progress.ts';
import type { TableStatus } from '../../preload/contract/status.ts';
import { table } from '../doubles/fake-engine.ts';

const snap = (id: string, rowsSeen: number, over: Partial<TableStatus> = {}, expected: number | null = null, kind: 'initial' | 'incremental' = 'incremental'): TableStatus =>
  ({ ...table(id, kind === 'initial' ? 'snapshotting' : 'resyncing'), rows: null, ...over, snapshot: { kind, rowsSeen, rowsExpected: expected, percent: null, startedAt: 1000 } });

test('a resync of a counted table: estimated total, rising percentage, rows/s and ETA', () => {
  const tr = createSnapshotTracker();
  const before = { rows: 10_000, rowsAt: 500 };
  let r = tr.enrich([snap('crm.a', 0, before)], 1000);
  assert.equal(r.tables[0]!.snapshot!.percent, 0);
  assert.equal(r.tables[0]!.snapshot!.rowsPerSecond, null, 'no rate from one sample');
  assert.equal(r.tables[0]!.snapshot!.etaSeconds, null);
  r = tr.enrich([snap('crm.a', 2000, before)], 3000);
  const s = r.tables[0]!.snapshot!;
  assert.deepEqual(s.total, { rows: 10_000, basis: 'estimated' });
  assert.equal(s.percent, 20);
  assert.equal(s.rowsPerSecond, 1000);
  assert.equal(s.etaSeconds, 8);
  r = tr.enrich([snap('crm.a', 12_000, before)], 5000);
  assert.equal(r.tables[0]!.snapshot!.percent, 99, 'an estimate never claims 100 % before the table reports done');
  assert.deepEqual(r.tables[0]!.snapshot!.total, { rows: 12_000, basis: 'estimated' });
});

test('an initial snapshot with no total is unknown, not 0 %; a reported total gives the percentage', () => {
  const tr = createSnapshotTracker();
  tr.enrich([snap('crm.b', 0, {}, null, 'initial')], 1000);
  let r = tr.enrich([snap('crm.b', 500, { rows: 400, rowsAt: 2500 }, null, 'initial')], 3000);
  assert.equal(r.tables[0]!.snapshot!.percent, null, 'a count taken during the initial load is no total');
  assert.equal(r.tables[0]!.snapshot!.etaSeconds, null);
  assert.equal(r.tables[0]!.snapshot!.rowsPerSecond, 250);
  assert.equal(r.overall!.percent, null);
  r = tr.enrich([snap('crm.b', 1000, {}, 4000, 'initial')], 5000);
  assert.equal(r.tables[0]!.snapshot!.percent, 25);
  assert.deepEqual(r.tables[0]!.snapshot!.total, { rows: 4000, basis: 'estimated' }, 'Debezium\'s running figure is an extrapolation');
});

test('a resync takes the larger of Debezium\'s extrapolated total and the count before (the e2e saw "225 of 581" for 12,025 rows)', () => {
  const tr = createSnapshotTracker();
  const before = { rows: 12_025, rowsAt: 500 };
  const r = tr.enrich([snap('crm.f', 225, before, 581)], 2000);
  assert.deepEqual(r.tables[0]!.snapshot!.total, { rows: 12_025, basis: 'estimated' });
  assert.equal(r.tables[0]!.snapshot!.percent, 1.8);
  const bigger = tr.enrich([snap('crm.f', 6000, before, 20_000)], 4000);
  assert.deepEqual(bigger.tables[0]!.snapshot!.total, { rows: 20_000, basis: 'estimated' });
});

test('the percentage never goes back within a run when the reported total moves, and stops at 99 until done', () => {
  const tr = createSnapshotTracker();
  const seen = [[1000, 2000], [1200, 4000], [1800, 3000], [3000, 3000], [3100, 3100]].map(([rows, total], i) =>
    tr.enrich([snap('crm.e', rows!, {}, total!, 'initial')], 1000 + i * 1000).tables[0]!.snapshot!.percent);
  assert.deepEqual(seen, [50, 50, 60, 99, 99]);
  const next = tr.enrich([{ ...snap('crm.e', 10, {}, 1000, 'initial'), snapshot: { kind: 'initial', rowsSeen: 10, rowsExpected: 1000, percent: null, startedAt: 9999 } }], 9000);
  assert.equal(next.tables[0]!.snapshot!.percent, 1, 'a new run starts from its own figures');
});

test('overall: sums of the running tables; unknown when one total is unknown; none when idle', () => {
  const tr = createSnapshotTracker();
  const a = (n: number) => snap('crm.a', n, { rows: 1000, rowsAt: 0 });
  const b = (n: number) => snap('crm.b', n, {}, 3000);
  tr.enrich([a(0), b(0), table('crm.c')], 1000);
  const r = tr.enrich([a(500), b(1500), table('crm.c')], 3000);
  assert.deepEqual(r.overall, { tables: 2, rowsSeen: 2000, rowsTotal: 4000, percent: 50, rowsPerSecond: 1000, etaSeconds: 2 });
  const u = tr.enrich([a(600), snap('crm.d', 10, {}, null, 'initial')], 4000);
  assert.equal(u.overall!.rowsTotal, null);
  assert.equal(u.overall!.percent, null);
  assert.equal(tr.enrich([table('crm.a')], 5000).overall, null);
});
