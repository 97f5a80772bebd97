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
import { parseJson } from '../harness/topic-reader.ts';
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
