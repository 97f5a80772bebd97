/**
 * The engine child protocol is derived from EngineControl: `npm run typecheck` compiles this file, and
 * each `@ts-expect-error` below fails the typecheck if its line ever compiles (a misspelt method, a
 * wrong argument or a wrong result type would then cross the process boundary unnoticed). The tests
 * check at run time that the messages built here carry what they name and reach the engine method.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineEventName, EngineEvents, EngineStatus } from '../../preload/contract/status.ts';
import type { EngineControl, SchemaCheckResult } from '../../main/engine/engine-control.ts';
import { callMessage, eventMessage, invokeEngine } from '../../main/host/protocol.ts';
import type { EngineMethod, EngineResult, ToChild } from '../../main/host/protocol.ts';

/** Records every call; answers resyncTables with what it was asked. */
class RecordingEngine implements EngineControl {
  calls: Array<[string, unknown[]]> = [];
  status(): EngineStatus { throw new Error('not called across the port'); }
  async pause(): Promise<void> { this.calls.push(['pause', []]); }
  async resume(): Promise<void> { this.calls.push(['resume', []]); }
  async resyncTables(tables: string[]): Promise<{ requested: string[] }> {
    this.calls.push(['resyncTables', [tables]]);
    return { requested: tables.filter((t) => t.startsWith('crm.')) };
  }
  async updateSchema(): Promise<SchemaCheckResult> {
    this.calls.push(['updateSchema', []]);
    return { created: ['crm.new'], altered: [], recreated: [], dropped: [], snapshotsRequested: [] };
  }
  on<K extends EngineEventName>(_event: K, _listener: (payload: EngineEvents[K]) => void): () => void { return () => {}; }
  async stop(): Promise<void> { this.calls.push(['stop', []]); }
}

test('a call message names an EngineControl method and carries its arguments', () => {
  assert.deepEqual(callMessage(7, 'resyncTables', ['crm.account']), { t: 'call', id: 7, method: 'resyncTables', args: [['crm.account']] });
  assert.deepEqual(callMessage(8, 'pause'), { t: 'call', id: 8, method: 'pause', args: [] });

  // @ts-expect-error: not an EngineControl method
  const misspelt = callMessage(9, 'pauseAll');
  // @ts-expect-error: resyncTables takes string[], not a string
  const wrongArg = callMessage(10, 'resyncTables', 'crm.account');
  // @ts-expect-error: resyncTables needs its argument
  const missingArg = callMessage(11, 'resyncTables');
  // @ts-expect-error: status is pushed by the child, never called across the port
  const notCalled = callMessage(12, 'status');
  // @ts-expect-error: a hand-written message is checked too (the argument tuple of resyncTables)
  const literal: ToChild = { t: 'call', id: 13, method: 'resyncTables', args: [42] };
  // The lines above still build objects at run time; the compiler is what refuses them.
  assert.equal(misspelt.method, 'pauseAll');
  assert.deepEqual([wrongArg.args, missingArg.args, notCalled.method, literal.t], [['crm.account'], [], 'status', 'call']);
});

test('the method list and result types follow EngineControl', () => {
  // A method added to or removed from EngineControl breaks this record (missing or excess key).
  const methods: Record<EngineMethod, true> = { pause: true, resume: true, resyncTables: true, updateSchema: true, stop: true };
  assert.deepEqual(Object.keys(methods).sort(), ['pause', 'resume', 'resyncTables', 'stop', 'updateSchema']);

  const requested: EngineResult<'resyncTables'> = { requested: ['crm.account'] };
  // @ts-expect-error: updateSchema resolves to a SchemaCheckResult, not resyncTables' result
  const wrongResult: EngineResult<'updateSchema'> = { requested: ['crm.account'] };
  assert.notDeepEqual(requested, { created: [] });
  assert.equal('created' in wrongResult, false);
});

test('an event message carries the payload of the event it names', () => {
  assert.deepEqual(eventMessage('table-recovered', { table: 'crm.account' }), { t: 'event', name: 'table-recovered', payload: { table: 'crm.account' } });
  // @ts-expect-error: lag's payload has seconds/events/at, not a table
  const wrongPayload = eventMessage('lag', { table: 'crm.account' });
  assert.equal(wrongPayload.name, 'lag');
});

test('the engine side runs the named method with the message arguments, on the engine', async () => {
  const engine = new RecordingEngine();
  const out = await invokeEngine(engine, { t: 'call', id: 1, method: 'resyncTables', args: [['crm.account', 'other.x']] });
  assert.deepEqual(out, { requested: ['crm.account'] });
  assert.deepEqual((await invokeEngine(engine, { t: 'call', id: 2, method: 'updateSchema', args: [] })).created, ['crm.new']);
  await invokeEngine(engine, { t: 'call', id: 3, method: 'pause', args: [] });
  await invokeEngine(engine, { t: 'call', id: 4, method: 'stop', args: [] });
  // `calls` is reached through `this`: the method ran bound to the engine.
  assert.deepEqual(engine.calls, [['resyncTables', [['crm.account', 'other.x']]], ['updateSchema', []], ['pause', []], ['stop', []]]);
});
