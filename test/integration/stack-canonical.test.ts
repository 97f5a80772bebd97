/**
 * Real stack, end to end: snapshot + a mixed workload, folded by key into an in-memory "replica"
 * (upsert on c/r/u, delete on d), decoded with the reference decoder, equals the source tables'
 * canonical rows — same checksum per table. Proves the canonical form (source-db.ts) is exactly what
 * the events carry, for every column type of the CRM schema.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import type { Tenant } from '../harness/tenant.ts';
import { parseJson, type RawMessage } from '../harness/topic-reader.ts';
import { CRM_TABLES } from '../harness/crm-schema.ts';
import { sleep } from '../harness/util.ts';
import { decodeRow, type FieldSchema } from '../harness/debezium-decode.ts';
import { checksumRows, rowText } from '../harness/source-db.ts';
import type { Row } from '../../main/engine/schema/table-model.ts';

let stack: Stack;
let tenant: Tenant;

before(async () => {
  stack = await getSharedStack();
  tenant = await stack.createTenant({ seedRows: 3000, seed: 5 });
});
after(async () => {
  await tenant?.stop();
  await stopStack();
});

test('snapshot + streaming, folded by key, equals the source in canonical form', async () => {
  const cdc = await tenant.collect();
  try {
    await cdc.drain(stack.kafka);
    const w = await tenant.source.workload({ ops: 800, seed: 99 });
    assert.ok(w.inserts > 0 && w.updates > 0 && w.deletes > 0);
    // c/u → 1 record, d → d + tombstone
    const expected = 3000 + w.inserts + w.updates + 2 * w.deletes;
    await cdc.waitForCount(expected, () => true, { timeoutMs: 120_000 });

    const replica = new Map<string, Map<string, Row>>();
    for (const m of cdc.messages) {
      if (m.value === null) continue; // tombstone: the preceding d already deleted
      const v = parseJson(m.value) as { schema: FieldSchema; payload: { op: string; source: { table: string }; after: Record<string, unknown> | null } };
      const table = v.payload.source.table;
      const rows = replica.get(table) ?? new Map<string, Row>();
      replica.set(table, rows);
      const key = JSON.stringify((parseJson(m.key!) as { payload: unknown }).payload, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
      if (v.payload.op === 'd') rows.delete(key);
      else rows.set(key, decodeRow(v.schema, 'after', v.payload.after)!);
    }
    // per-partition order is all that matters: each key lives in one partition, and the collector
    // appends each partition's messages in offset order.
    for (const table of await tenant.source.tables()) {
      const pk = await tenant.source.primaryKey(table);
      const src = await tenant.source.readRows(table);
      const rep = [...(replica.get(table)?.values() ?? [])];
      const a = checksumRows(src, pk);
      const b = checksumRows(rep, pk);
      if (a.sha256 !== b.sha256) {
        const repByText = new Set(rep.map(rowText));
        const diff = src.find((r) => !repByText.has(rowText(r)));
        const twin = diff && rep.find((r) => pk.every((k) => String(r[k]) === String(diff[k])));
        const cols = diff && twin ? Object.keys(diff).filter((k) => rowText({ [k]: diff[k] ?? null }) !== rowText({ [k]: twin[k] ?? null })) : [];
        assert.fail(`${table}: source ${a.rows} rows vs replica ${b.rows}; first differing row ${diff ? rowText(diff) : '-'}; columns ${cols.map((c) => `${c}: ${rowText({ [c]: diff![c] ?? null })} vs ${rowText({ [c]: twin![c] ?? null })}`).join('; ')}`);
      }
      assert.equal(b.rows, a.rows);
    }
  } finally {
    await cdc.stop();
  }
});

test('the source reader reads DOUBLE and FLOAT exactly (values the driver\'s own float parser gets an ulp wrong)', async () => {
  // 16–17 significant digits whose digit string is odd beyond 2^53: each is the shortest text of its
  // double, so Number(text) is the value MariaDB holds. mysql2's text-protocol parser accumulates the
  // digits in a double and read the first as 945.0991563803104 (c1 failed on it; the replica was right).
  const doubles = ['945.0991563803105', '90.39309501697669', '909085.8452148447', '9583.255592347157', '931047.2333984381', '9.361052781799449',
    '0.30000000000000004', '5e-324', '-1.7976931348623157e308', '2.2250738585072014e-308', '123456789.12345679', '9007199254740992'];
  const floats = ['-198837.25', '0.1', '3.4028234663852886e38', '1.1754943508222875e-38', '123456.789'];
  const table = 'exact_float_read';
  await tenant.source.query(`CREATE TABLE ${tenant.source.qt(table)} (id INT PRIMARY KEY, d DOUBLE NULL, f FLOAT NULL)`);
  try {
    const n = Math.max(doubles.length, floats.length);
    const values = Array.from({ length: n }, (_, i) => `(${i}, ${doubles[i] !== undefined ? (doubles[i].includes('e') ? doubles[i] : `${doubles[i]}e0`) : 'NULL'}, ${floats[i] ?? 'NULL'})`);
    await tenant.source.query(`INSERT INTO ${tenant.source.qt(table)} (id, d, f) VALUES ${values.join(', ')}`);
    const rows = await tenant.source.readRows(table);
    assert.equal(rows.length, n);
    for (const r of rows) {
      const i = Number(r.id);
      assert.equal(r.d, doubles[i] === undefined ? null : Number(doubles[i]), `DOUBLE ${doubles[i]} read exactly`);
      assert.equal(r.f, floats[i] === undefined ? null : Math.fround(Number(floats[i])), `FLOAT ${floats[i]} read as its exact float32`);
    }
  } finally {
    await tenant.source.query(`DROP TABLE ${tenant.source.qt(table)}`);
  }
});

test('a paced workload with retryNoChange (the bench\'s lag runs) changes a row in every slot, and each change is one event', async () => {
  const cdc = await tenant.collect();
  try {
    await cdc.drain(stack.kafka);
    const from = cdc.messages.length;
    // Mostly updates: 1–3 random columns set to random values (a flag, a NULL) leave a row as it was
    // often enough that, without the retry, a run of 300 slots changes fewer rows.
    const w = await tenant.source.workload({ ops: 300, ratePerSec: 600, concurrency: 4, mix: { insert: 0.2, update: 0.7, delete: 0.1 }, seed: 41, retryNoChange: true });
    assert.equal(w.total, 300, `${w.total} of 300 slots changed a row`);
    // c/u → 1 record, d → d + tombstone: exactly these, no more. Only the CRM tables' events count: the
    // test before created, filled and dropped a table of its own, and its events may still be arriving.
    const crm = new Set(CRM_TABLES.map((t) => t.name));
    const opOf = (m: RawMessage): string | null => {
      if (m.value === null) return 't';
      const p = (parseJson(m.value) as { payload: { op: string; source: { table: string } } }).payload;
      return crm.has(p.source.table) ? p.op : null;
    };
    const expected = w.inserts + w.updates + 2 * w.deletes;
    await cdc.waitForCount(expected, (m) => opOf(m) !== null, { from, timeoutMs: 120_000 });
    await sleep(1500);
    const ops = cdc.messages.slice(from).map(opOf).filter((o) => o !== null);
    assert.equal(ops.length, expected, 'no event beyond the changes counted');
    assert.deepEqual(
      { c: ops.filter((o) => o === 'c').length, u: ops.filter((o) => o === 'u').length, d: ops.filter((o) => o === 'd').length, t: ops.filter((o) => o === 't').length },
      { c: w.inserts, u: w.updates, d: w.deletes, t: w.deletes });
  } finally {
    await cdc.stop();
  }
});
