/**
 * A column added, then dropped: the first and the third definition hash alike. Placed by hash alone, an
 * event written before the ADD and read late (a partition replayed after a kill) was taken for the
 * third definition: the table was rebuilt, the event's row applied and marked seen, and the delete that
 * followed it at the source, written with the second definition, was skipped as superseded. The row
 * outlived the resync's sweep (CI 2026-12-02: contact 1031 rows of 1030, state ok). Events are placed by
 * where the source wrote them (binlog file and position: schema/source-position.ts), and every event
 * written before a rebuild's definition is left to the resync that refills the table.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import { processMessages } from '../../main/engine/apply/processor.ts';
import type { EngineContext } from '../../main/engine/context.ts';
import type { ChangeEvent } from '../../main/engine/decode/envelope.ts';
import { addEntry } from '../../main/engine/schema/history-log.ts';
import { comparePositions, sourcePosition } from '../../main/engine/schema/source-position.ts';
import { tableId } from '../../main/engine/schema/table-model.ts';
import { finishSweep } from '../../main/engine/snapshot/sweep.ts';
import { makeContext, Topic } from '../doubles/engine-context.ts';

const CONTACT = 'crm_fixture.contact';
const X1 = { type: 'string', optional: true, parameters: { '__debezium.source.column.type': 'VARCHAR', '__debezium.source.column.length': '100', '__debezium.source.column.name': 'x1' }, field: 'x1' };

interface Envelope { schema: { fields: Array<{ field: string; fields?: unknown[] }> }; payload: { source: Record<string, unknown>; after: Record<string, unknown> | null; before: Record<string, unknown> | null } }

/** A recorded contact record, written at binlog position `pos`, with column x1 when `withX1`. */
function at(t: Topic, id: number, op: 'c' | 'd' | 'u', pos: number, withX1: boolean): KafkaMessage {
  const m = t.message({ table: 'contact', id, op });
  const v = JSON.parse(m.value!.toString()) as Envelope;
  v.payload.source.pos = pos;
  if (withX1) {
    for (const f of v.schema.fields) if (f.field === 'before' || f.field === 'after') f.fields!.push(X1);
    for (const row of [v.payload.after, v.payload.before]) if (row) row.x1 = 'f1';
  }
  return { ...m, value: Buffer.from(JSON.stringify(v)) };
}

const decode = (ctx: EngineContext, m: KafkaMessage): ChangeEvent => ctx.decoder.decodeBuffers(m.key, m.value) as ChangeEvent;

/** The history: A at offset 0 (binlog 100), A + x1 at 1 (binlog 200), A again at 2 (binlog 300). */
function history(ctx: EngineContext, a: ChangeEvent, b: ChangeEvent): void {
  const src = (pos: number) => sourcePosition({ file: 'binlog.000001', pos });
  ctx.schemaLog = new Map();
  addEntry(ctx.schemaLog, CONTACT, 0n, a.def, 'crm_fixture.contact', false, src(100));
  addEntry(ctx.schemaLog, CONTACT, 1n, b.def, 'crm_fixture.contact', false, src(200));
  addEntry(ctx.schemaLog, CONTACT, 2n, a.def, 'crm_fixture.contact', false, src(300));
  ctx.historyNext = '3';
}

/** Rows 1 (A, binlog 110) and 2 (A + x1, binlog 210) applied from two partitions: the table stands at A + x1. */
async function atAPlusX1(): Promise<{ t: Topic; ctx: EngineContext }> {
  const t = new Topic();
  const ctx = await makeContext(t);
  const seedA = at(t, 1, 'c', 110, false);
  const seedB = at(t, 2, 'c', 210, true);
  history(ctx, decode(ctx, seedA), decode(ctx, seedB));
  await processMessages(ctx, 0, [seedA], async () => undefined);
  await processMessages(ctx, 1, [seedB], async () => undefined);
  return { t, ctx };
}

/** As atAPlusX1, with the resync of the table created from the stream done (nothing superseded any more). */
async function atAPlusX1ResyncDone(): Promise<{ t: Topic; ctx: EngineContext }> {
  const r = await atAPlusX1();
  await finishSweep(r.ctx, r.ctx.registry.get(CONTACT)!);
  assert.equal(r.ctx.registry.get(CONTACT)!.rebuiltSrc, null);
  return r;
}

/** The record with x1 an INT (a definition no history entry has). */
function x1AsInt(m: KafkaMessage): KafkaMessage {
  const v = JSON.parse(m.value!.toString()) as Envelope;
  for (const f of v.schema.fields) {
    for (const c of (f.fields ?? []) as Array<{ field: string; type: string; parameters?: Record<string, string> }>) {
      if (c.field === 'x1') { c.type = 'int32'; c.parameters = { ...c.parameters, '__debezium.source.column.type': 'INT' }; }
    }
  }
  for (const row of [v.payload.after, v.payload.before]) if (row) row.x1 = 7;
  return { ...m, value: Buffer.from(JSON.stringify(v)) };
}

const ids = async (ctx: EngineContext): Promise<number[]> => {
  const rec = ctx.registry.get(CONTACT)!;
  return (await ctx.replica.readRows(rec.def)).map((r) => Number(r.contact_id)).sort((x, y) => x - y);
};

describe('schema changes placed by where the source wrote the event', () => {
  it('binlog positions compare by file number, then position; other scopes do not compare', () => {
    const p = (file: string, pos: number) => sourcePosition({ file, pos });
    assert.equal(comparePositions(p('binlog.000002', 4), p('binlog.000001', 900_000)), 1);
    assert.equal(comparePositions(p('binlog.000001', 5028), p('binlog.000001', 5028)), 0);
    assert.equal(comparePositions(p('binlog.000001', 999), p('binlog.000001', 1000)), -1);
    assert.equal(comparePositions(p('binlog.000001', 1), p('mysql-bin.000001', 1)), null);
    assert.equal(comparePositions(p('binlog.000001', 1), sourcePosition({ commit_lsn: '0000002a:00000b08:0003' })), null);
    assert.equal(comparePositions(sourcePosition({ commit_lsn: '0000002a:00000b08:0003', change_lsn: '0000002a:00000b00:0002' }), sourcePosition({ commit_lsn: '0000002a:00000b08:0004' })), -1);
    assert.equal(sourcePosition({ ts_ms: 1 }), null);
  });

  it('a row created before the ADD and deleted after it, read again after the DROP: placed as older, applied, then deleted', async () => {
    const { t, ctx } = await atAPlusX1();
    const rec = ctx.registry.get(CONTACT)!;
    assert.equal(rec.schemaPos, '1', 'the table stands at A + x1');
    assert.ok(rec.def.columns.some((c) => c.name === 'x1'));
    // Partition 2, replayed: row 3 created under A (binlog 150), deleted under A + x1 (binlog 250).
    await processMessages(ctx, 2, [at(t, 3, 'c', 150, false), at(t, 3, 'd', 250, true)], async () => undefined);
    assert.deepEqual(await ids(ctx), [1, 2], 'row 3 was created and deleted (was: created in a rebuilt table, its delete skipped)');
    assert.equal(ctx.registry.get(CONTACT)!.schemaPos, '1', 'no rebuild: nothing of the DROP was read yet');
    // The DROP's own events (binlog 310) then rebuild the table: x1 goes, the resync refills it.
    await processMessages(ctx, 0, [at(t, 4, 'c', 310, false)], async () => undefined);
    const after = ctx.registry.get(CONTACT)!;
    assert.equal(after.schemaPos, '2');
    assert.ok(!after.def.columns.some((c) => c.name === 'x1'), 'x1 dropped');
    assert.equal(after.sweep?.kind, 'incremental', 'rebuilt: a resync refills it');
    assert.equal(after.rebuiltSrc, sourcePosition({ file: 'binlog.000001', pos: 300 }));
  });

  it('one batch with an event from before the ADD and one from after the DROP (the same hash): each placed on its own', async () => {
    const { t, ctx } = await atAPlusX1();
    await processMessages(ctx, 2, [at(t, 3, 'c', 150, false), at(t, 4, 'c', 310, false)], async () => undefined);
    const rec = ctx.registry.get(CONTACT)!;
    assert.equal(rec.schemaPos, '2', 'the second event is after the DROP: the table is rebuilt (was: the first event\'s placement reused)');
    assert.deepEqual(await ids(ctx), [4], 'rebuilt empty, then the event after the DROP');
  });

  it('after the rebuild, events written before it are left to its resync, whatever their schema', async () => {
    const { t, ctx } = await atAPlusX1();
    // Partition 0 ahead: an event after the DROP rebuilds the table (empty, resync running).
    await processMessages(ctx, 0, [at(t, 5, 'c', 320, false)], async () => undefined);
    assert.deepEqual(await ids(ctx), [5]);
    // Partition 2 behind: row 6 created under A (fits the rebuilt table) and deleted under A + x1 (does
    // not): applied, the create alone would leave a row marked seen that the source no longer has.
    await processMessages(ctx, 2, [at(t, 6, 'c', 150, false), at(t, 6, 'd', 250, true), at(t, 7, 'u', 260, true)], async () => undefined);
    assert.deepEqual(await ids(ctx), [5], 'events written before the rebuild are skipped');
    // Written after the rebuild's definition: applied.
    await processMessages(ctx, 2, [at(t, 8, 'c', 330, false), at(t, 5, 'd', 340, false)], async () => undefined);
    assert.deepEqual(await ids(ctx), [8]);
    assert.equal(ctx.registry.get(tableId({ schema: 'crm_fixture', name: 'contact' }))!.state, 'resyncing');
  });

  it('a table dropped and created again: a row of the earlier incarnation, read late, is not brought back', async () => {
    const t = new Topic();
    const ctx = await makeContext(t);
    const old = at(t, 1, 'c', 150, false);
    const a = decode(ctx, old);
    const src = (pos: number) => sourcePosition({ file: 'binlog.000001', pos });
    ctx.schemaLog = new Map();
    addEntry(ctx.schemaLog, CONTACT, 0n, a.def, 'crm_fixture.contact', false, src(100));
    addEntry(ctx.schemaLog, CONTACT, 1n, null, 'crm_fixture.contact', false, src(200)); // DROP TABLE: no delete events
    addEntry(ctx.schemaLog, CONTACT, 2n, a.def, 'crm_fixture.contact', false, src(300));
    ctx.historyNext = '3';
    // The replica no longer has the table (the DROP was applied); a partition behind still holds row 1.
    await processMessages(ctx, 0, [old, at(t, 2, 'c', 310, false)], async () => undefined);
    const rec = ctx.registry.get(CONTACT)!;
    assert.equal(rec.sweep?.kind, 'incremental', 'created from the stream: a resync fills it');
    assert.deepEqual(await ids(ctx), [2], 'row 1 of the dropped incarnation is left out (it would outlive the sweep: marked seen, never deleted)');
  });

  it('a rebuild for a schema the history does not hold: events written before the event that brought it are left to its resync', async () => {
    const { t, ctx } = await atAPlusX1ResyncDone();
    // x1 becomes an int at the source, and the history read has not got it (a connector without one, or
    // a read that ended a moment before it): the table is rebuilt from the event alone.
    await processMessages(ctx, 0, [x1AsInt(at(t, 4, 'c', 410, true))], async () => undefined);
    const rec = ctx.registry.get(CONTACT)!;
    assert.equal(rec.def.columns.find((c) => c.name === 'x1')?.type.kind, 'int');
    assert.equal(rec.sweep?.kind, 'incremental', 'rebuilt: a resync refills it');
    assert.equal(rec.rebuiltSrc, sourcePosition({ file: 'binlog.000001', pos: 410 }), 'superseded up to where the event was written (was: nothing)');
    // A partition behind: row 3 created under A (fits the rebuilt table), deleted under A + x1 (does not).
    // Applied, the create was marked seen by the resync and outlived it (CI 2026-12-03: a ghost row).
    await processMessages(ctx, 1, [at(t, 3, 'c', 150, false), at(t, 3, 'd', 250, true)], async () => undefined);
    assert.deepEqual(await ids(ctx), [4], 'row 3 is left to the resync');
    await processMessages(ctx, 1, [x1AsInt(at(t, 5, 'c', 420, true))], async () => undefined);
    assert.deepEqual(await ids(ctx), [4, 5], 'written after it: applied');
  });
});
