import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNotifyThrottle } from '../../main/app/notify-throttle.ts';
import { intentFor, wireNotifications } from '../../main/app/notifications.ts';
import type { NotificationSpec } from '../../main/app/notifications.ts';
import { FakeEngine } from '../doubles/fake-engine.ts';

const gap = { topic: 't1-cdc', partition: 0, fromOffset: '10', toOffset: '50', detectedAt: 1, tables: ['crm.account'], resolved: false };

test('a flapping table notifies once per window, and its recovery only after a shown problem', () => {
  let now = 0;
  const t = createNotifyThrottle({ perKeyMs: 60_000, maxPerWindow: 10, windowMs: 60_000, now: () => now });
  assert.deepEqual(t.admit('table:a', 'problem'), { show: true, suppressedBefore: 0 });
  now = 1000;
  assert.equal(t.admit('table:a', 'recovery').show, true);
  now = 2000;
  assert.equal(t.admit('table:a', 'problem').show, false); // flap inside perKeyMs
  now = 3000;
  assert.equal(t.admit('table:a', 'recovery').show, false); // its problem was not shown
  assert.equal(t.admit('table:b', 'recovery').show, false); // never had a problem
  now = 61_000;
  assert.deepEqual(t.admit('table:a', 'problem'), { show: true, suppressedBefore: 3 });
});

test('a global cap holds many keys at once', () => {
  let now = 0;
  const t = createNotifyThrottle({ perKeyMs: 1, maxPerWindow: 2, windowMs: 10_000, now: () => now });
  assert.equal(t.admit('a', 'problem').show, true);
  assert.equal(t.admit('b', 'problem').show, true);
  assert.equal(t.admit('c', 'problem').show, false);
  now = 10_000;
  assert.deepEqual(t.admit('d', 'problem'), { show: true, suppressedBefore: 1 });
});

test('stale gaps, halted tables and recoveries become notifications that open the right view', () => {
  const stale = intentFor('table-stale', { table: 'crm.account', reason: 'events were purged', gap });
  assert.equal(stale?.kind, 'problem');
  assert.equal(stale?.spec.view, 'tables');
  assert.match(stale?.spec.body ?? '', /10…50 on t1-cdc\[0\]/);
  assert.equal(intentFor('error', { error: { code: 'TABLE_HALTED', message: 'm', retriable: false }, table: 'crm.x' })?.spec.title, 'crm.x halted');
  assert.equal(intentFor('error', { error: { code: 'KAFKA_UNREACHABLE', message: 'm', retriable: true }, table: null }), null);
  assert.equal(intentFor('error', { error: { code: 'RESYNC_STALLED', message: 'm', retriable: true }, table: 'crm.x' })?.spec.title, 'crm.x: resync stalled');
  assert.equal(intentFor('state-changed', { state: 'streaming', previous: 'retrying', reason: null })?.kind, 'recovery');
  assert.equal(intentFor('state-changed', { state: 'streaming', previous: 'starting', reason: null }), null);
  assert.equal(intentFor('lag', { seconds: 1, events: 1, at: 1 }), null);
});

test('wired to an engine: flapping connection shows problem + recovery once, clicks open the view', () => {
  let now = 0;
  const engine = new FakeEngine();
  const shown: Array<{ spec: NotificationSpec; click: () => void }> = [];
  const opened: string[] = [];
  const off = wireNotifications(engine, {
    notifier: { show: (spec, click) => shown.push({ spec, click }) },
    throttle: createNotifyThrottle({ perKeyMs: 600_000, maxPerWindow: 5, windowMs: 600_000, now: () => now }),
    open: (view, table) => opened.push(`${view}:${table}`),
  });
  for (let i = 0; i < 20; i++) {
    now += 5000;
    engine.emit('state-changed', { state: 'error', previous: 'streaming', reason: 'broker gone' });
    engine.emit('state-changed', { state: 'streaming', previous: 'error', reason: null });
  }
  assert.deepEqual(shown.map((s) => s.spec.title), ['Replication stopped', 'Replication recovered']);
  engine.emit('table-stale', { table: 'crm.account', reason: 'gap', gap });
  shown.at(-1)?.click();
  assert.deepEqual(opened, ['tables:crm.account']);
  off();
  engine.emit('table-stale', { table: 'crm.other', reason: 'gap', gap });
  assert.equal(shown.length, 3);
});
