import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTrayStateMachine, deriveHealth } from '../../main/app/tray-state.ts';
import { buildTrayMenu } from '../../main/app/tray-menu.ts';
import { status, table } from '../doubles/fake-engine.ts';

const err = { code: 'REPLICA_WRITE_FAILED' as const, message: 'disk full', retriable: false };

test('health is derived with priority paused > error > stale > syncing > ok', () => {
  const cases: Array<[string, ReturnType<typeof status> | null, string]> = [
    ['no engine', null, 'paused'],
    ['streaming', status(), 'ok'],
    ['paused wins over a halted table', status({ state: 'paused', tables: [table('a.b', 'halted')] }), 'paused'],
    ['stopped cleanly', status({ state: 'stopped' }), 'paused'],
    ['stopped on error', status({ state: 'stopped', lastError: err }), 'error'],
    ['engine error', status({ state: 'error', lastError: err }), 'error'],
    ['halted table', status({ tables: [table('a.b', 'halted'), table('a.c', 'stale')] }), 'error'],
    ['stale table', status({ tables: [table('a.b', 'stale'), table('a.c', 'snapshotting')] }), 'stale'],
    ['open gap', status({ gaps: [{ topic: 't', partition: 0, fromOffset: '1', toOffset: '9', detectedAt: 1, tables: ['a.b'], resolved: false }] }), 'stale'],
    ['resolved gap', status({ gaps: [{ topic: 't', partition: 0, fromOffset: '1', toOffset: '9', detectedAt: 1, tables: ['a.b'], resolved: true }] }), 'ok'],
    ['snapshotting', status({ state: 'snapshotting' }), 'syncing'],
    ['retrying', status({ state: 'retrying', lastError: err }), 'syncing'],
    ['a table resyncing', status({ tables: [table('a.b', 'resyncing')] }), 'syncing'],
    ['a source table without a primary key', status({ notMirrored: [{ table: 'a.nokey', reason: 'not mirrored: no primary key', since: 1 }] }), 'stale'],
    ['a resync stalled at the source connector', status({ tables: [{ ...table('a.b', 'resyncing'), error: { code: 'RESYNC_STALLED', message: 'no progress', retriable: true } }] }), 'stale'],
  ];
  for (const [name, s, want] of cases) assert.equal(deriveHealth(s).health, want, name);
  assert.match(deriveHealth(status({ lagSeconds: 12.4 })).tooltip, /up to date, 12 s behind/);
  const resyncing = [table('a.b', 'resyncing')];
  assert.match(deriveHealth(status({ tables: resyncing, snapshot: { tables: 1, rowsSeen: 2500, rowsTotal: 10_000, percent: 25, rowsPerSecond: 100, etaSeconds: 75 } })).tooltip, /syncing 1 table\(s\) \(25%, about 1 min left\)/);
  assert.match(deriveHealth(status({ tables: resyncing, snapshot: { tables: 1, rowsSeen: 2500, rowsTotal: null, percent: null, rowsPerSecond: 100, etaSeconds: null } })).tooltip, /2,500 rows copied, total unknown/);
  assert.match(deriveHealth(status({ state: 'retrying', lastError: err })).tooltip, /retrying \(disk full\)/);
});

test('ok and syncing swap only after the dwell; problems show at once', () => {
  let now = 0;
  const m = createTrayStateMachine({ dwellMs: 3000, now: () => now });
  assert.equal(m.current().health, 'paused');
  assert.equal(m.update(status()).health, 'ok'); // from paused: immediate
  now = 1000;
  assert.equal(m.update(status({ state: 'snapshotting' })).health, 'ok'); // syncing pending
  now = 2000;
  assert.equal(m.update(status()).health, 'ok'); // back to ok: pending dropped
  now = 3000;
  assert.equal(m.update(status({ state: 'snapshotting' })).health, 'ok');
  now = 6000;
  assert.equal(m.update(status({ state: 'snapshotting' })).health, 'syncing'); // held 3 s
  assert.equal(m.update(status({ tables: [table('a.b', 'stale')] })).health, 'stale'); // immediate
  assert.equal(m.update(status({ state: 'error' })).health, 'error');
  assert.equal(m.update(status()).health, 'ok'); // leaving a problem is immediate too
  assert.equal(m.update(null).health, 'paused');
});

test('the menu offers Pause or Resume, resync only with stale tables, and always Open and Quit', () => {
  const labels = (s: Parameters<typeof buildTrayMenu>[0]) => buildTrayMenu(s).flatMap((i) => (i.kind === 'item' ? [`${i.action}:${i.enabled ? 'on' : 'off'}`] : []));
  assert.deepEqual(labels(null), ['open:on', 'pause:off', 'update-schema:off', 'resync-stale:off', 'quit:on']);
  assert.deepEqual(labels(status()), ['open:on', 'pause:on', 'update-schema:on', 'resync-stale:off', 'quit:on']);
  assert.deepEqual(labels(status({ state: 'paused' })), ['open:on', 'resume:on', 'update-schema:off', 'resync-stale:off', 'quit:on']);
  const stale = buildTrayMenu(status({ tables: [table('a.b', 'stale'), table('a.c', 'stale')] }));
  const resync = stale.find((i) => i.kind === 'item' && i.action === 'resync-stale');
  assert.deepEqual(resync, { kind: 'item', action: 'resync-stale', label: 'Resync stale tables (2)', enabled: true });
});
