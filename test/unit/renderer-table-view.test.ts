import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TableStatus } from '../../preload/contract/status.ts';
import { DEFAULT_QUERY, snapshotPercent, toggleSort, viewTables } from '../../renderer/src/lib/table-view.ts';

function t(id: string, over: Partial<TableStatus> = {}): TableStatus {
  return {
    id, state: 'ok', rows: 0, snapshot: null, lastSourceTs: null, lastAppliedAt: null, eventsApplied: 0, lagSeconds: null,
    staleReason: null, error: null, schemaHash: null, ...over,
  };
}

const tables = [
  t('crm.b', { rows: 10, lagSeconds: 2, lastAppliedAt: 300 }),
  t('crm.a', { rows: null, state: 'stale', staleReason: 'gap' }),
  t('crm.c', { rows: 5, lagSeconds: 1, state: 'halted', error: { code: 'DECODE_FAILED', message: 'x', retriable: false } }),
  t('hr.d', { rows: 10, state: 'snapshotting', snapshot: { kind: 'initial', rowsSeen: 5, rowsExpected: 20, percent: null, startedAt: 0 } }),
];
const ids = (rows: TableStatus[]): string[] => rows.map((r) => r.id);

test('table view: sorts by id by default', () => {
  assert.deepEqual(ids(viewTables(tables, DEFAULT_QUERY)), ['crm.a', 'crm.b', 'crm.c', 'hr.d']);
});

test('table view: numeric sort puts nulls last in both directions and breaks ties by id', () => {
  assert.deepEqual(ids(viewTables(tables, { ...DEFAULT_QUERY, sort: 'rows', dir: 'asc' })), ['crm.c', 'crm.b', 'hr.d', 'crm.a']);
  assert.deepEqual(ids(viewTables(tables, { ...DEFAULT_QUERY, sort: 'rows', dir: 'desc' })), ['crm.b', 'hr.d', 'crm.c', 'crm.a']);
  assert.deepEqual(ids(viewTables(tables, { ...DEFAULT_QUERY, sort: 'lag', dir: 'desc' })), ['crm.b', 'crm.c', 'crm.a', 'hr.d']);
});

test('table view: state sort puts the tables needing attention first', () => {
  assert.deepEqual(ids(viewTables(tables, { ...DEFAULT_QUERY, sort: 'state' })), ['crm.c', 'crm.a', 'hr.d', 'crm.b']);
});

test('table view: filters by case-insensitive substring and by state', () => {
  assert.deepEqual(ids(viewTables(tables, { ...DEFAULT_QUERY, text: ' CRM.' })), ['crm.a', 'crm.b', 'crm.c']);
  assert.deepEqual(ids(viewTables(tables, { ...DEFAULT_QUERY, state: 'problem' })), ['crm.a', 'crm.c']);
  assert.deepEqual(ids(viewTables(tables, { ...DEFAULT_QUERY, state: 'snapshotting', text: 'hr' })), ['hr.d']);
});

test('table view: does not mutate its input', () => {
  const before = ids(tables);
  viewTables(tables, { ...DEFAULT_QUERY, sort: 'rows', dir: 'desc' });
  assert.deepEqual(ids(tables), before);
});

test('snapshot percent: reported percent wins, else rows seen over rows expected, clamped', () => {
  assert.equal(snapshotPercent(tables[3]!), 25);
  assert.equal(snapshotPercent(t('x', { snapshot: { kind: 'incremental', rowsSeen: 1, rowsExpected: null, percent: 140, startedAt: 0 } })), 100);
  assert.equal(snapshotPercent(t('x', { snapshot: { kind: 'incremental', rowsSeen: 1, rowsExpected: null, percent: null, startedAt: 0 } })), null);
  assert.equal(snapshotPercent(t('x')), null);
});

test('toggleSort: same column flips, another column starts ascending', () => {
  const q = toggleSort(DEFAULT_QUERY, 'id');
  assert.equal(q.dir, 'desc');
  assert.deepEqual(toggleSort(q, 'rows'), { ...DEFAULT_QUERY, sort: 'rows', dir: 'asc' });
});
