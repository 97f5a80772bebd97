/**
 * Real stack: an `execute-snapshot` signal (Kafka channel) for one table produces op=r events with
 * source.snapshot=incremental for that table only (all its rows), and a completion notification on
 * `<ctx>-notifications`; the signal table's watermark rows do not reach `<ctx>-cdc`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import type { Tenant } from '../harness/tenant.ts';
import { envelopeOf, keyOf } from '../harness/topic-reader.ts';

let stack: Stack;
let tenant: Tenant;

before(async () => {
  stack = await getSharedStack();
  tenant = await stack.createTenant({ seedRows: 5000 });
});
after(async () => {
  await tenant?.stop();
  await stopStack();
});

test('execute-snapshot signal re-reads one table and notifies completion', async () => {
  const cdc = await tenant.collect();
  try {
    await cdc.drain(stack.kafka);
    const n0 = cdc.messages.length;
    const persons = await tenant.source.readRows('person');
    assert.ok(persons.length > 1024, 'more than one incremental chunk (chunk size 1024)');
    const nn = (await tenant.notifications()).length;

    const id = await tenant.signal.executeSnapshot(['person']);
    const done = await tenant.waitForNotification((n) => n.aggregate_type === 'Incremental Snapshot' && n.type === 'COMPLETED' && n.id === id, { from: nn, timeoutMs: 120_000 });
    assert.equal(done.additional_data.connector_name, tenant.ctx);
    const notes = (await tenant.notifications()).slice(nn).filter((n) => n.id === id);
    assert.deepEqual(notes.map((n) => n.type).filter((t, i, a) => a.indexOf(t) === i), ['STARTED', 'IN_PROGRESS', 'TABLE_SCAN_COMPLETED', 'COMPLETED']);
    const scan = notes.find((n) => n.type === 'TABLE_SCAN_COMPLETED')!;
    assert.equal(scan.additional_data.scanned_collection, `${tenant.database}.person`);
    assert.equal(scan.additional_data.status, 'SUCCEEDED');
    assert.equal(Number(scan.additional_data.total_rows_scanned), persons.length);

    // COMPLETED can be readable before the last records: wait for all of them.
    const snap = await cdc.waitForCount(persons.length, (m) => envelopeOf(m)?.source.snapshot === 'incremental', { from: n0, timeoutMs: 60_000 });
    const news = cdc.messages.slice(n0);
    assert.equal(news.length, persons.length, 'nothing but the snapshot rows (no signal-table events)');
    for (const m of snap) {
      const e = envelopeOf(m)!;
      assert.equal(e.op, 'r');
      assert.equal(e.source.table, 'person');
      assert.equal(e.before, null);
    }
    const keys = snap.map((m) => Number((keyOf(m) as { person_id: number }).person_id)).sort((a, b) => a - b);
    assert.deepEqual(keys, persons.map((p) => Number(p.person_id)));
    const byId = new Map(snap.map((m) => [Number((keyOf(m) as { person_id: number }).person_id), envelopeOf(m)!.after!]));
    for (const p of persons.slice(0, 50)) assert.equal(byId.get(Number(p.person_id))?.lastname, p.lastname);
    assert.ok(!cdc.messages.some((m) => envelopeOf(m)?.source.table === 'debezium_signal'), 'signal table events are filtered out');
    // watermark rows were written at the source (the source channel is still required)
    const marks = await tenant.source.query<Array<{ type: string }>>(`SELECT type FROM ${tenant.source.qt('debezium_signal')}`);
    assert.ok(marks.some((r) => r.type === 'snapshot-window-open'));
  } finally {
    await cdc.stop();
  }
});
