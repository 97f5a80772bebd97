/**
 * Real stack: DeleteRecords (tenant.purge) moves a partition's low watermark past data a consumer
 * had consumed — "client offline longer than retention": the stored position is below the new low
 * watermark and the records in between can no longer be read.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import type { Tenant } from '../harness/tenant.ts';
import { collectTopic } from '../harness/topic-reader.ts';

let stack: Stack;
let tenant: Tenant;

before(async () => {
  stack = await getSharedStack();
  tenant = await stack.createTenant({ seedRows: 300 });
});
after(async () => {
  await tenant?.stop();
  await stopStack();
});

test('purge moves the low watermark past consumed data', async () => {
  // A consumer reads everything and remembers its position per partition.
  const first = await tenant.collect();
  await first.drain(stack.kafka);
  const consumed = new Map<number, bigint>();
  for (const m of first.messages) consumed.set(m.partition, BigInt(m.offset) > (consumed.get(m.partition) ?? -1n) ? BigInt(m.offset) : consumed.get(m.partition)!);
  await first.stop();
  assert.equal(consumed.size, 3);

  // While it is "offline", more changes arrive …
  const w = await tenant.source.workload({ ops: 150, mix: { insert: 1 }, seed: 11 });
  assert.equal(w.inserts, 150);
  await tenant.source.workload({ ops: 50, mix: { update: 1 }, seed: 12 });
  const before = await tenant.offsets();
  const target = before.reduce((max, p) => (p.high - (consumed.get(p.partition) ?? 0n) > max.high - (consumed.get(max.partition) ?? 0n) ? p : max));
  assert.ok(target.high > consumed.get(target.partition)! + 1n, 'new records after the consumed position');

  // … and retention removes them (and everything consumed) from one partition.
  const after = await tenant.purge(target.partition, target.high);
  const p = after.find((x) => x.partition === target.partition)!;
  assert.equal(p.low, target.high, 'low watermark moved to the old high watermark');
  assert.ok(consumed.get(target.partition)! + 1n < p.low, 'stored position + 1 < low watermark: a gap the client must detect');
  for (const o of after.filter((x) => x.partition !== target.partition)) {
    assert.equal(o.low, 0n, 'other partitions untouched');
  }

  // Records in the gap are gone: a reader from the beginning starts that partition at the new low watermark.
  await tenant.source.query(`INSERT INTO ${tenant.source.qt('contact')} (name) VALUES ('after purge')`);
  const again = await collectTopic(stack.kafka, tenant.topics.cdc);
  try {
    await again.drain(stack.kafka);
    const inPart = again.messages.filter((m) => m.partition === target.partition).map((m) => BigInt(m.offset));
    assert.ok(inPart.every((o) => o >= p.low), 'nothing below the low watermark is readable');
    const others = again.messages.filter((m) => m.partition !== target.partition);
    assert.ok(others.some((m) => m.offset === '0'), 'other partitions still readable from offset 0');
  } finally {
    await again.stop();
  }
});
