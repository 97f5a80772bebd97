/**
 * The one engine-event emitter: the engine's (a throwing listener reaches the emitting step, as with
 * node's EventEmitter) and the hosts' (engine proxy, engine slot: a throwing subscriber is skipped and
 * the others still hear the event).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineEmitter } from '../../main/engine/events.ts';

test('listeners hear their event in order; off removes one registration', () => {
  const e = new EngineEmitter();
  const heard: string[] = [];
  const offA = e.on('table-recovered', (p) => heard.push(`a:${p.table}`));
  e.on('table-recovered', (p) => heard.push(`b:${p.table}`));
  e.on('lag', (p) => heard.push(`lag:${p.seconds}`));
  e.emit('table-recovered', { table: 'crm.account' });
  offA();
  offA(); // removing twice removes nothing more
  e.emit('table-recovered', { table: 'crm.contact' });
  e.emit('lag', { seconds: 3, events: 10, at: 1 });
  assert.deepEqual(heard, ['a:crm.account', 'b:crm.account', 'b:crm.contact', 'lag:3']);
});

test('the engine emitter lets a throwing listener reach the emitter; later listeners do not run', () => {
  const e = new EngineEmitter();
  const heard: string[] = [];
  e.on('table-recovered', () => { throw new Error('listener broke'); });
  e.on('table-recovered', (p) => heard.push(p.table));
  assert.throws(() => e.emit('table-recovered', { table: 'crm.account' }), /listener broke/);
  assert.deepEqual(heard, []);
});

test('a host emitter isolates a throwing listener: the others still hear the event', () => {
  const e = new EngineEmitter({ isolateListeners: true });
  const heard: string[] = [];
  e.on('table-recovered', () => { throw new Error('listener broke'); });
  e.on('table-recovered', (p) => heard.push(p.table));
  e.emit('table-recovered', { table: 'crm.account' });
  assert.deepEqual(heard, ['crm.account']);
});

test('a listener added during an emit hears the next event, not the current one', () => {
  const e = new EngineEmitter();
  const heard: string[] = [];
  e.on('table-recovered', (p) => { heard.push(`first:${p.table}`); e.on('table-recovered', (q) => heard.push(`late:${q.table}`)); });
  e.emit('table-recovered', { table: 'a' });
  assert.deepEqual(heard, ['first:a']);
  e.emit('table-recovered', { table: 'b' });
  assert.deepEqual(heard, ['first:a', 'first:b', 'late:b']);
});
