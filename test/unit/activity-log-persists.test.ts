/**
 * The engine's activity log: engine events become lines an admin can act on, batches are summed up,
 * a gap is one line naming its tables, the log is kept in a size-capped rotating file with secrets
 * redacted, and a new log on the same file (a restart, a reload) starts with the old entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActivityEntry } from '../../preload/contract/activity.ts';
import { BATCH_WINDOW_MS, createActivityLog, FILE_BATCH_WINDOW_MS, redactText } from '../../main/engine/activity-log.ts';
import { createRotatingFile } from '../../main/engine/rotating-file.ts';
import { mergeEntries } from '../../renderer/src/lib/activity.ts';
import { FakeEngine } from '../doubles/fake-engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'tm-activity-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}
const gap = { topic: 'acme-cdc', partition: 1, fromOffset: '120', toOffset: '180', detectedAt: 0, tables: [], resolved: false };
const report = { kind: 'incremental' as const, outcome: 'repaired' as const, startedAt: 0, finishedAt: 4000, rowsScanned: 15000, rowsReported: 15000, rowsDeleted: 12, reason: null };

test('engine events become activity lines with a kind the UI can branch on', () => {
  const engine = new FakeEngine();
  const log = createActivityLog();
  log.attach(engine);
  engine.emit('resync-requested', { tables: ['crm.contact'], reason: null });
  engine.emit('table-resynced', { table: 'crm.contact', report });
  engine.emit('table-resynced', { table: 'crm.text', report: { ...report, rowsScanned: 4, rowsReported: 2, rowsDeleted: 0 } });
  engine.emit('table-resynced', { table: 'crm.deal', report: { ...report, outcome: 'failed', rowsDeleted: 0, reason: 'scan ended with SQL_EXCEPTION' } });
  engine.emit('schema-changed', { created: ['crm.new'], altered: ['crm.contact'], recreated: [], dropped: [] });
  engine.emit('schema-changed', { created: [], altered: [], recreated: [], dropped: [] });
  engine.set('paused');
  engine.set('streaming');
  engine.emit('error', { error: { code: 'TABLE_HALTED', message: 'boom', retriable: false }, table: 'crm.x' });
  engine.emit('error', { error: { code: 'KAFKA_UNREACHABLE', message: 'down', retriable: true }, table: null });
  const got = log.list().map((e) => [e.kind, e.level, e.text]);
  assert.deepEqual(got, [
    ['resync-requested', 'info', 'Resync requested for 1 table: crm.contact'],
    ['resync-completed', 'info', 'Resync of crm.contact completed in 4 s: 15,000 snapshot rows applied (source reported 15,000), 12 rows deleted by the sweep'],
    // More applied than reported: the topic held another scan's rows of the table, read after the resync began.
    ['resync-completed', 'info', 'Resync of crm.text completed in 4 s: 4 snapshot rows applied (source reported 2; rows of other scans of the table in the topic, such as another replica\'s resync, count too), 0 rows deleted by the sweep'],
    ['resync-failed', 'warn', 'Resync of crm.deal failed, nothing deleted: scan ended with SQL_EXCEPTION'],
    ['schema-changed', 'info', 'Schema changed: created crm.new; altered crm.contact'],
    ['paused', 'info', 'Paused: no events are applied until resumed'],
    ['resumed', 'info', 'Resumed (streaming)'],
    ['halted', 'error', 'crm.x halted: TABLE_HALTED: boom'],
    ['error', 'warn', 'KAFKA_UNREACHABLE: down'],
  ]);
  assert.deepEqual(log.list()[0]!.tables, ['crm.contact']);
  engine.emit('table-resynced', { table: 'crm.contact', report: { ...report, rowsBefore: 15_012, rowsAfter: 15_000 } });
  assert.match(log.list().at(-1)!.text, /12 rows deleted by the sweep; the table held 15,012 rows before, 15,000 after$/);
});

test('one gap is one line that names every table it made stale', () => {
  const engine = new FakeEngine();
  const pushed: ActivityEntry[] = [];
  const log = createActivityLog();
  log.onEntry((e) => pushed.push(e));
  log.attach(engine);
  for (const t of ['crm.a', 'crm.b']) engine.emit('table-stale', { table: t, reason: 'purged', gap });
  engine.emit('table-stale', { table: 'crm.c', reason: 'scan failed', gap: null });
  const lines = log.list();
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.kind, 'gap-found');
  assert.deepEqual(lines[0]!.tables, ['crm.a', 'crm.b']);
  assert.match(lines[0]!.text, /acme-cdc:1: offsets 120–180 are gone; crm\.a, crm\.b are stale/);
  assert.equal(lines[1]!.kind, 'table-stale');
  assert.deepEqual(pushed.map((e) => e.id), [lines[0]!.id, lines[0]!.id, lines[1]!.id], 'the grown gap line is pushed again under its id');
});

test('applied batches within the window are summed up on one line; another entry ends the sum', () => {
  const engine = new FakeEngine();
  const c = clock();
  const log = createActivityLog({ now: c.now });
  log.attach(engine);
  const batch = (events: number, tables: string[]) => engine.emit('batch-applied', { events, tables, ms: 2, offsets: [] });
  batch(1, ['crm.a']);
  c.advance(1000);
  batch(3, ['crm.a', 'crm.b']);
  assert.deepEqual(log.list().map((e) => e.text), ['Applied 4 events to crm.a, crm.b in 2 batches (4 ms)']);
  c.advance(BATCH_WINDOW_MS);
  batch(2, ['crm.c']);
  engine.emit('table-recovered', { table: 'crm.c' });
  batch(5, ['a.1', 'a.2', 'a.3', 'a.4']);
  assert.deepEqual(log.list().map((e) => e.text), [
    'Applied 4 events to crm.a, crm.b in 2 batches (4 ms)', 'Applied 2 events to crm.c in 2 ms', 'crm.c is up to date again', 'Applied 5 events to 4 tables in 2 ms',
  ]);
});

test('the log survives a restart: a new log on the same file starts with the old entries, ids go on', () => {
  const file = join(dir, 'restart', 'activity.log');
  const first = createActivityLog({ file: createRotatingFile(file) });
  const engine = new FakeEngine();
  first.attach(engine);
  engine.emit('resync-requested', { tables: ['crm.a', 'crm.b'], reason: 'automatic after a gap' });
  for (const t of ['crm.a', 'crm.b']) engine.emit('table-stale', { table: t, reason: 'purged', gap });
  engine.emit('batch-applied', { events: 7, tables: ['crm.a'], ms: 1, offsets: [] });
  first.flush();
  const second = createActivityLog({ file: createRotatingFile(file) });
  assert.deepEqual(second.list(), first.list());
  const e = second.record({ level: 'info', kind: 'export', text: 'Support bundle exported' });
  assert.equal(e.id, Math.max(...first.list().map((x) => x.id)) + 1);
});

test('secrets are redacted in the file and in the lines', () => {
  const file = join(dir, 'secrets', 'activity.log');
  const log = createActivityLog({ file: createRotatingFile(file) });
  const engine = new FakeEngine();
  log.attach(engine);
  engine.emit('error', { error: { code: 'REPLICA_UNREACHABLE', message: 'connect postgres://mirror:Hunter2Sentinel@db:5432/m failed; password=Hunter2Sentinel;', retriable: true }, table: null });
  log.record({ level: 'info', kind: 'export', text: 'token: Hunter2Sentinel' });
  assert.ok(!readFileSync(file, 'utf8').includes('Hunter2Sentinel'));
  assert.ok(!JSON.stringify(log.list()).includes('Hunter2Sentinel'));
  assert.equal(redactText('pwd=abc user=x'), 'pwd=*** user=x');
});

test('the file is size-capped: it rotates into one older file, and the oldest lines go', () => {
  const file = join(dir, 'rotate', 'activity.log');
  const rf = createRotatingFile(file, { maxBytes: 2000, files: 2 });
  const log = createActivityLog({ file: rf, limit: 1000 });
  for (let i = 0; i < 200; i++) log.record({ level: 'info', kind: 'export', text: `line ${i}` });
  assert.ok(existsSync(`${file}.1`));
  assert.ok(!existsSync(`${file}.2`));
  assert.ok(statSync(file).size <= 2000 && statSync(`${file}.1`).size <= 2000);
  const back = createActivityLog({ file: createRotatingFile(file, { maxBytes: 2000, files: 2 }) }).list();
  assert.equal(back.at(-1)!.text, 'line 199');
  assert.ok(back.length < 200 && back.length > 10, `kept ${back.length}`);
  assert.deepEqual(back.map((e) => e.id), [...back.map((e) => e.id)].sort((a, b) => a - b));
});

test('renderer: entries merge by id, oldest first, up to the limit', () => {
  const e = (id: number, text = String(id)): ActivityEntry => ({ id, at: id, level: 'info', kind: 'export', text, tables: [] });
  let log = mergeEntries([], [e(2), e(1)], 3);
  log = mergeEntries(log, [e(2, 'grew'), e(3), e(4)], 3);
  assert.deepEqual(log.map((x) => x.text), ['grew', '3', '4']);
});

test('a busy stream writes one batch line a minute to the file, so resyncs and gaps are not rotated out by it', () => {
  const file = join(dir, 'busy', 'activity.log');
  const c = clock();
  const log = createActivityLog({ file: createRotatingFile(file), now: c.now });
  const engine = new FakeEngine();
  log.attach(engine);
  for (let i = 0; i < 150; i++) { engine.emit('batch-applied', { events: 10, tables: ['crm.a'], ms: 1, offsets: [] }); c.advance(1000); }
  assert.ok(log.list().length >= 150 / (BATCH_WINDOW_MS / 1000) - 1, 'the screen sums up over 5 s');
  engine.emit('resync-requested', { tables: ['crm.a'], reason: null });
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ActivityEntry);
  assert.deepEqual(lines.map((e) => e.kind), ['batches', 'batches', 'batches', 'resync-requested']);
  assert.equal(lines.slice(0, 3).reduce((n, e) => n + e.batch!.events, 0), 1500, 'every applied event is counted in the file');
  assert.ok(lines[0]!.batch!.since + FILE_BATCH_WINDOW_MS <= lines[1]!.batch!.since);
});
