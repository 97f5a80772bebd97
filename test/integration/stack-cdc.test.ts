/**
 * Real stack: inserts, updates and deletes at the MariaDB source arrive in `<ctx>-cdc` with the right
 * op, key, before/after, source.table; rows spread over the 3 partitions by key; a delete is followed
 * by a tombstone in the same partition; int64 beyond 2^53 and decimals survive.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import type { Tenant } from '../harness/tenant.ts';
import { envelopeOf, keyOf, decodeDecimal, type RawMessage } from '../harness/topic-reader.ts';

let stack: Stack;
let tenant: Tenant;

before(async () => {
  stack = await getSharedStack();
  tenant = await stack.createTenant({ seedRows: 200 });
});
after(async () => {
  await tenant?.stop();
  await stopStack();
});

test('row changes arrive in <ctx>-cdc with op, key, before/after and table', async () => {
  const cdc = await tenant.collect();
  try {
    await cdc.drain(stack.kafka);
    const n0 = cdc.messages.length;
    assert.equal(n0, 200, 'initial snapshot: one op=r per seeded row');
    const db = tenant.source;
    const big = '9007199254740993'; // 2^53 + 1: not representable as a JS number
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await db.query<{ insertId: number }>(
        `INSERT INTO ${db.qt('contact')} (name, revenue, big_counter) VALUES (?, ?, ${big})`, [`it-${i}`, `${i}.5${i % 10}`]);
      ids.push(res.insertId);
    }
    for (const id of ids.slice(0, 8)) await db.query(`UPDATE ${db.qt('contact')} SET name = CONCAT(name, '-upd') WHERE contact_id = ?`, [id]);
    for (const id of ids.slice(0, 4)) await db.query(`DELETE FROM ${db.qt('contact')} WHERE contact_id = ?`, [id]);
    await db.query(`INSERT INTO ${db.qt('projectmember')} (project_id, person_id, registered) VALUES (9999, 8888, '2024-02-29 23:59:59.999999')`);
    // 40 c + 8 u + 4 d + 4 tombstones + 1 c
    const expected = 40 + 8 + 4 + 4 + 1;
    await cdc.waitForCount(n0 + expected, () => true, { timeoutMs: 60_000 });
    const news = cdc.messages.slice(n0);
    assert.equal(news.length, expected);

    const byKey = new Map<string, RawMessage[]>();
    for (const m of news) {
      assert.ok(m.key, 'every CDC message has a key');
      const k = m.key!;
      byKey.set(k, [...(byKey.get(k) ?? []), m]);
    }
    for (const [i, id] of ids.entries()) {
      const msgs = [...byKey.entries()].find(([, ms]) => (keyOf(ms[0]!) as { contact_id?: number }).contact_id === id)?.[1];
      assert.ok(msgs, `events for contact ${id}`);
      // one key → one partition, in source order
      assert.equal(new Set(msgs.map((m) => m.partition)).size, 1, `contact ${id} stays in one partition`);
      const sorted = [...msgs].sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
      const ops = sorted.map((m) => envelopeOf(m)?.op ?? 'tombstone');
      const want = i < 4 ? ['c', 'u', 'd', 'tombstone'] : i < 8 ? ['c', 'u'] : ['c'];
      assert.deepEqual(ops, want, `ops for contact ${id}`);
      const c = envelopeOf(sorted[0]!)!;
      assert.equal(c.before, null);
      assert.equal(c.after?.name, `it-${i}`);
      assert.equal(c.source.table, 'contact');
      assert.equal(c.source.db, tenant.database);
      assert.equal(c.source.snapshot, null, 'streaming events: snapshot is null with replace.null.with.default=false');
      assert.equal(c.after?.big_counter, BigInt(big), 'int64 beyond 2^53 kept exact by the lossless parser');
      assert.equal(decodeDecimal(String(c.after?.revenue), 2), `${i}.5${i % 10}`);
      if (i < 8) {
        const u = envelopeOf(sorted[1]!)!;
        assert.equal(u.before?.name, `it-${i}`);
        assert.equal(u.after?.name, `it-${i}-upd`);
      }
      if (i < 4) {
        const d = envelopeOf(sorted[2]!)!;
        assert.equal(d.after, null);
        assert.equal(d.before?.name, `it-${i}-upd`);
        assert.equal(sorted[3]!.value, null, 'tombstone has a null value');
        assert.equal(sorted[3]!.key, sorted[2]!.key, 'tombstone has the delete key');
      }
    }
    const pm = news.find((m) => envelopeOf(m)?.source.table === 'projectmember');
    assert.ok(pm, 'composite-PK insert arrives');
    assert.deepEqual(keyOf(pm), { project_id: 9999, person_id: 8888 }, 'key = composite PK');
    // Rows spread over the partitions (40 keys over 3 partitions: P(a partition unused) ≈ 2e-7).
    const parts = new Set(news.map((m) => m.partition));
    assert.equal(parts.size, 3, `partitions used: ${[...parts].join(',')}`);
    // The snapshot rows were spread too.
    const snapParts = new Set(cdc.messages.slice(0, n0).map((m) => m.partition));
    assert.equal(snapParts.size, 3);
  } finally {
    await cdc.stop();
  }
});
