import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendBatch, appendEntry, BATCH_WINDOW_MS, describeEvent } from '../../renderer/src/lib/activity.ts';
import type { ActivityEntry } from '../../renderer/src/lib/activity.ts';

const batch = (events: number, tables: string[], ms = 2) => ({ events, tables, ms, offsets: [] });

test('activity: consecutive batches within the window are summed up on one line', () => {
  let id = 1;
  const next = () => id++;
  let log: ActivityEntry[] = [];
  log = appendBatch(log, batch(1, ['crm.a']), 1000, next, 10);
  assert.equal(log[0]!.text, 'Applied 1 event to crm.a in 2 ms');
  log = appendBatch(log, batch(3, ['crm.a', 'crm.b']), 2000, next, 10);
  assert.equal(log.length, 1);
  assert.equal(log[0]!.text, 'Applied 4 events to crm.a, crm.b in 2 batches (4 ms)');
  assert.equal(log[0]!.at, 2000);
  log = appendBatch(log, batch(2, ['crm.c', 'crm.d']), 1000 + BATCH_WINDOW_MS, next, 10);
  assert.equal(log.length, 2, 'a batch after the window starts a new line');
  assert.equal(log[1]!.text, 'Applied 2 events to crm.c, crm.d in 2 ms');
});

test('activity: another entry in between ends the summing', () => {
  let id = 1;
  let log = appendBatch([], batch(1, ['crm.a']), 0, () => id++, 10);
  log = appendEntry(log, { id: id++, at: 10, ...describeEvent['table-recovered']({ table: 'crm.a' }) }, 10);
  log = appendBatch(log, batch(5, ['a.1', 'a.2', 'a.3', 'a.4']), 20, () => id++, 10);
  assert.deepEqual(log.map((e) => e.text), ['Applied 1 event to crm.a in 2 ms', 'crm.a recovered', 'Applied 5 events to 4 tables in 2 ms']);
  assert.deepEqual(log.map((e) => e.id), [1, 2, 3]);
});

test('activity: the log keeps the newest entries up to its limit', () => {
  let log: ActivityEntry[] = [];
  for (let i = 0; i < 5; i++) log = appendEntry(log, { id: i, at: i, level: 'info', text: String(i) }, 3);
  assert.deepEqual(log.map((e) => e.text), ['2', '3', '4']);
});

test('activity: stale and error lines name the table, the gap and the code', () => {
  const stale = describeEvent['table-stale']({
    table: 'crm.a', reason: 'purged', gap: { topic: 't-cdc', partition: 2, fromOffset: '5', toOffset: '9', detectedAt: 0, tables: ['crm.a'], resolved: false },
  });
  assert.deepEqual(stale, { level: 'warn', text: 'crm.a is stale: purged (offsets 5–9 of t-cdc:2)' });
  const err = describeEvent['error']({ error: { code: 'TABLE_HALTED', message: 'boom', retriable: false }, table: 'crm.b' });
  assert.deepEqual(err, { level: 'error', text: 'TABLE_HALTED on crm.b: boom' });
});

test('activity: a resync line says what it repaired, or that it failed and deleted nothing', () => {
  const base = { kind: 'incremental' as const, startedAt: 0, finishedAt: 1, rowsScanned: 15000, rowsReported: 15000, rowsDeleted: 12, reason: null };
  const ok = describeEvent['table-resynced']({ table: 'crm.contact', report: { ...base, outcome: 'repaired' } });
  assert.equal(ok.level, 'info');
  assert.match(ok.text, /crm\.contact.*15.?000 rows scanned \(source reported 15.?000\), 12 deleted by the sweep/);
  const failed = describeEvent['table-resynced']({ table: 'crm.contact', report: { ...base, outcome: 'failed', rowsDeleted: 0, reason: 'scan ended with SQL_EXCEPTION' } });
  assert.equal(failed.level, 'warn');
  assert.match(failed.text, /failed, nothing deleted: scan ended with SQL_EXCEPTION/);
});
