/**
 * A kill can come between any two writes of `_ReplicationState`. A table that is (re)created empty and
 * needs a resnapshot to be filled must never be stored without that resync: stored alone, a restart finds
 * it 'ok', empty, and nothing refills it (CI 2026-12-01: a rebuild killed between its two writes left
 * contact with 4 of 859 rows, state ok). Each write of these steps is checked as a restart would read it:
 * every stored record of the table either still has its old definition (a restart rebuilds again) or has
 * the new one with a resync recorded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processMessages } from '../../main/engine/apply/processor.ts';
import type { EngineContext } from '../../main/engine/context.ts';
import { applySchemaChange } from '../../main/engine/schema-sync.ts';
import { tableHash } from '../../main/engine/schema/table-hash.ts';
import type { TableRecord } from '../../main/engine/state/records.ts';
import { makeContext, Topic } from '../doubles/engine-context.ts';
import { requestResync } from '../../main/engine/snapshot/resync.ts';

const requestResyncOf = (ctx: EngineContext, r: TableRecord) => requestResync(ctx, [r.id]);

const CONTACT = 'crm_fixture.contact';

/** Every stored record of `id`, as read back after each write. */
function watchWrites(ctx: EngineContext, id: string): TableRecord[] {
  const seen: TableRecord[] = [];
  const persist = ctx.persist.bind(ctx);
  ctx.persist = async (rows, remove) => {
    await persist(rows, remove);
    const row = (await ctx.replica.readState('table')).find((r) => r.id === `table:${id}`);
    if (row) seen.push(JSON.parse(row.value) as TableRecord);
  };
  return seen;
}

const restartable = (r: TableRecord, newHash: string): string =>
  r.hash !== newHash ? 'old definition' : r.sweep?.kind === 'incremental' && r.state === 'resyncing' ? 'new definition + resync' : `new definition, state ${r.state}, sweep ${r.sweep?.kind ?? 'none'}`;

describe('a table change that empties a table is stored with its resync', () => {
  it('an incompatible change (a column dropped): every write leaves the old definition, or the new one with its resync', async () => {
    const t = new Topic();
    const ctx = await makeContext(t);
    await processMessages(ctx, 0, [1, 2, 3].map((id) => t.message({ table: 'contact', id, snapshot: id === 3 ? 'last' : id === 1 ? 'first' : 'true' })), async () => undefined);
    const rec = ctx.registry.get(CONTACT)!;
    assert.ok(rec, 'contact was created by the snapshot');
    const keep = rec.def.columns.filter((c) => rec.def.primaryKey.includes(c.name) || c === rec.def.columns.at(-1));
    assert.ok(keep.length < rec.def.columns.length, 'the new definition drops a column');
    const def = { ...rec.def, columns: keep };
    const hash = tableHash(def);
    const writes = watchWrites(ctx, CONTACT);
    await applySchemaChange(ctx, rec, def, hash);
    assert.ok(writes.length > 0, 'the rebuild wrote the record');
    assert.deepEqual(writes.map((w) => restartable(w, hash)).filter((k) => k !== 'old definition' && k !== 'new definition + resync'), [],
      `each write a restart could read (${writes.map((w) => restartable(w, hash)).join(' | ')})`);
    assert.equal(writes.at(-1)!.hash, hash, 'the new definition is stored in the end');
    assert.equal(t.sent.filter((s) => s.topic === ctx.topics.signal).length, 1, 'the resnapshot signal was sent');
  });

  it('a column added with values only the source has: added in place, the rows kept, every write with its resync', async () => {
    const t = new Topic();
    const ctx = await makeContext(t);
    await processMessages(ctx, 0, [1, 2, 3].map((id) => t.message({ table: 'contact', id, snapshot: id === 3 ? 'last' : id === 1 ? 'first' : 'true' })), async () => undefined);
    const rec = ctx.registry.get(CONTACT)!;
    await requestResyncOf(ctx, rec); // a resync running: its scan read rows before the change, so it is not joined
    const running = ctx.registry.get(CONTACT)!.sweep!;
    const def = { ...rec.def, columns: [...rec.def.columns, { name: 'made', type: { kind: 'timestamp' as const, precision: 0 }, nullable: true, fillUnknown: true }] };
    const hash = tableHash(def);
    const writes = watchWrites(ctx, CONTACT);
    const out = await applySchemaChange(ctx, ctx.registry.get(CONTACT)!, def, hash);
    assert.deepEqual(writes.map((w) => restartable(w, hash)).filter((k) => k !== 'old definition' && k !== 'new definition + resync'), [],
      `each write a restart could read (${writes.map((w) => restartable(w, hash)).join(' | ')})`);
    assert.equal(writes.at(-1)!.hash, hash, 'the new definition is stored in the end');
    assert.equal((await ctx.replica.readRows(out.def)).length, 3, 'the rows are kept while they are refilled');
    assert.deepEqual(running.scansBefore, []);
    assert.deepEqual(out.sweep!.scansBefore, [running.signalId], 'a new sweep: the running scan\'s end is not the refill\'s');
    assert.match(out.staleReason ?? '', /made added with a value in existing rows that only the source has/);
    assert.equal(t.sent.filter((s) => s.topic === ctx.topics.signal).length, 2, 'the refill asked for its own scan');
  });

  it('a table seen first in the stream: its record is stored with the resync that fills it', async () => {
    const t = new Topic();
    const ctx = await makeContext(t);
    const writes = watchWrites(ctx, CONTACT);
    await processMessages(ctx, 0, [t.message({ table: 'contact', id: 7, op: 'c' })], async () => undefined);
    const rec = ctx.registry.get(CONTACT)!;
    assert.ok(writes.length > 0, 'the record was written');
    assert.deepEqual(writes.map((w) => restartable(w, rec.hash)), writes.map(() => 'new definition + resync'), 'every write of the new table carries its resync');
    const rows = await ctx.replica.readRows(rec.def);
    assert.equal(rows.length, 1, 'the event itself is applied');
  });
});
