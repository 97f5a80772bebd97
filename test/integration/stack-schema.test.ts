/**
 * Real stack: a CREATE TABLE and an ALTER TABLE at the source arrive in `<ctx>-schemahistory` with
 * `tableChanges` (whole table after the change), and the next row event carries the new column; rows
 * and schema changes compare by binlog position in the order the source made them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import type { Tenant } from '../harness/tenant.ts';
import { envelopeOf, parseJson, keyOf } from '../harness/topic-reader.ts';
import { comparePositions, sourcePosition } from '../../main/engine/schema/source-position.ts';

interface Column { name: string; typeName: string; length?: number | null; scale?: number | null; optional: boolean; defaultValueExpression?: string | null; position: number }
interface Change { type: string; id: string; table: { primaryKeyColumnNames: string[]; columns: Column[] } }
interface SchemaChange { databaseName: string; ddl: string; tableChanges: Change[]; source: Record<string, unknown> }

let stack: Stack;
let tenant: Tenant;

before(async () => {
  stack = await getSharedStack();
  tenant = await stack.createTenant({ seedRows: 50, tables: ['contact', 'person'] });
});
after(async () => {
  await tenant?.stop();
  await stopStack();
});

type Collector = Awaited<ReturnType<Tenant['collect']>>;

/** Both topics collected from their current end: `s0`, `c0` are how many records each held before. */
async function fromNow(fn: (sh: Collector, cdc: Collector, s0: number, c0: number) => Promise<void>): Promise<void> {
  const sh = await tenant.collect(tenant.topics.schemaHistory);
  const cdc = await tenant.collect();
  try {
    await sh.drain(stack.kafka);
    await cdc.drain(stack.kafka);
    await fn(sh, cdc, sh.messages.length, cdc.messages.length);
  } finally {
    await sh.stop();
    await cdc.stop();
  }
}

test('CREATE TABLE and ALTER TABLE arrive in <ctx>-schemahistory with tableChanges', () => fromNow(async (sh, cdc, s0, c0) => {
  // the initial snapshot's schema events: one CREATE per table (signal table included)
  const snapCreates = sh.messages.map((m) => (parseJson(m.value!) as { payload: SchemaChange }).payload)
    .flatMap((p) => p.tableChanges.filter((c) => c.type === 'CREATE').map((c) => c.id));
  assert.deepEqual(snapCreates.sort(), [`"${tenant.database}"."contact"`, `"${tenant.database}"."debezium_signal"`, `"${tenant.database}"."person"`]);

  await tenant.source.addColumn('contact', 'vat_no', "VARCHAR(20) NULL DEFAULT 'n/a'");
  await tenant.source.addTable('invoice', { rows: 2 });
  await tenant.source.query(`INSERT INTO ${tenant.source.qt('contact')} (name, vat_no) VALUES ('after alter', 'NO123')`);

  const msgs = await sh.waitForCount(s0 + 2, () => true, { timeoutMs: 30_000 });
  const [alter, create] = msgs.slice(s0).map((m) => {
    assert.deepEqual(keyOf(m), { databaseName: tenant.database });
    return (parseJson(m.value!) as { payload: SchemaChange }).payload;
  });
  assert.ok(alter && create);
  assert.match(alter.ddl, /ALTER TABLE .*contact.* ADD COLUMN .*vat_no/);
  assert.equal(alter.databaseName, tenant.database);
  assert.equal(alter.source.snapshot, null);
  assert.equal(alter.tableChanges.length, 1);
  const ac = alter.tableChanges[0]!;
  assert.equal(ac.type, 'ALTER');
  assert.equal(ac.id, `"${tenant.database}"."contact"`);
  assert.deepEqual(ac.table.primaryKeyColumnNames, ['contact_id']);
  const vat = ac.table.columns.find((c) => c.name === 'vat_no');
  assert.ok(vat, 'ALTER carries the whole table including the new column');
  assert.equal(vat.typeName, 'VARCHAR');
  assert.equal(vat.length, 20);
  assert.equal(vat.optional, true);
  assert.equal(vat.defaultValueExpression, 'n/a');
  assert.equal(vat.position, ac.table.columns.length);
  const revenue = ac.table.columns.find((c) => c.name === 'revenue');
  assert.equal(revenue?.typeName, 'DECIMAL');
  assert.equal(revenue?.length, 18);
  assert.equal(revenue?.scale, 2);

  assert.match(create.ddl, /CREATE TABLE .*invoice/);
  const cc = create.tableChanges[0]!;
  assert.equal(cc.type, 'CREATE');
  assert.equal(cc.id, `"${tenant.database}"."invoice"`);
  assert.deepEqual(ac.table.primaryKeyColumnNames, ['contact_id']);
  assert.deepEqual(cc.table.primaryKeyColumnNames, ['id']);
  assert.deepEqual(cc.table.columns.map((c) => `${c.name}:${c.typeName}`), ['id:INT', 'label:VARCHAR', 'amount:DECIMAL', 'created:DATETIME', 'flag:BIT']);

  // rows of the new table and the altered table follow on <ctx>-cdc
  const rows = await cdc.waitForCount(c0 + 3, () => true, { timeoutMs: 30_000 });
  const news = rows.slice(c0).map((m) => envelopeOf(m)!);
  assert.deepEqual(news.map((e) => `${e.source.table}/${e.op}`).sort(), ['contact/c', 'invoice/c', 'invoice/c']);
  const contact = news.find((e) => e.source.table === 'contact')!;
  assert.equal(contact.after?.vat_no, 'NO123');
}));

// Where the connector says a schema change and a row event happened (schema/source-position.ts) orders
// them as the source did: rows written before an ALTER sit before its history record, rows after it at or
// after it, whatever cdc partition they land in. A column added and then dropped gives the first and the
// third definition the same hash, so the position is what tells their events apart.
test('row events and schema changes compare by binlog position in the order the source made them', () => fromNow(async (sh, cdc, s0, c0) => {
  const insert = (name: string) => tenant.source.query(`INSERT INTO ${tenant.source.qt('contact')} (name) VALUES ('${name}')`);
  await insert('before add 1');
  await insert('before add 2');
  await tenant.source.addColumn('contact', 'x1', "VARCHAR(20) NULL DEFAULT 'n/a'");
  await insert('after add 1');
  await insert('after add 2');
  await tenant.source.dropColumn('contact', 'x1');
  await insert('after drop 1');
  await insert('after drop 2');
  const ddl = (await sh.waitForCount(s0 + 2, () => true, { timeoutMs: 30_000 })).slice(s0)
    .map((m) => (parseJson(m.value!) as { payload: { source: Record<string, unknown>; ddl: string } }).payload);
  assert.match(ddl[0]!.ddl, /ADD COLUMN/);
  assert.match(ddl[1]!.ddl, /DROP COLUMN/);
  const [add, drop] = ddl.map((d) => sourcePosition(d.source));
  assert.ok(add && drop, `the history records carry a binlog position (${ddl.map((d) => `${String(d.source.file)}:${String(d.source.pos)}`).join(", ")})`);
  const rows = (await cdc.waitForCount(c0 + 6, () => true, { timeoutMs: 30_000 })).slice(c0).map((m) => envelopeOf(m)!);
  assert.equal(rows.length, 6, 'every row written was read');
  for (const r of rows) {
    const name = String(r.after?.name);
    const at = sourcePosition(r.source);
    assert.ok(at, `${name} carries a binlog position`);
    const expect = name.startsWith('before add') ? [-1, -1] : name.startsWith('after add') ? [1, -1] : [1, 1];
    assert.deepEqual([comparePositions(at, add), comparePositions(at, drop)], expect, `${name} at ${at} against the ADD at ${add} and the DROP at ${drop}`);
    assert.equal('x1' in (r.after ?? {}), name.startsWith('after add'), `${name} has x1 exactly when written between the ADD and the DROP`);
  }
}));
