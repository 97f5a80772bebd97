/**
 * Real stack: where MariaDB's connector says a schema change and a row event happened
 * (schema/source-position.ts) orders them as the source did. Rows written before an ALTER sit before its
 * `<ctx>-schemahistory` record, rows written after it at or after it, whatever cdc partition they land
 * in; a column added and then dropped gives the first and the third definition the same hash, so the
 * position is what tells their events apart.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import type { Tenant } from '../harness/tenant.ts';
import { envelopeOf, parseJson } from '../harness/topic-reader.ts';
import { comparePositions, sourcePosition } from '../../main/engine/schema/source-position.ts';

let stack: Stack;
let tenant: Tenant;

before(async () => {
  stack = await getSharedStack();
  tenant = await stack.createTenant({ seedRows: 5, tables: ['contact'] });
});
after(async () => {
  await tenant?.stop();
  await stopStack();
});

test('row events and schema changes compare by binlog position in the order the source made them', async () => {
  const sh = await tenant.collect(tenant.topics.schemaHistory);
  const cdc = await tenant.collect();
  try {
    await sh.drain(stack.kafka);
    await cdc.drain(stack.kafka);
    const s0 = sh.messages.length;
    const c0 = cdc.messages.length;
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
  } finally {
    await sh.stop();
    await cdc.stop();
  }
});
