/**
 * Real stack: every fetch of a tenant's `<ctx>-cdc` topic — the record batches Kafka Connect's producer
 * wrote for Debezium, snapshot and a mixed workload with deletes and tombstones — decoded by the engine's
 * pass (main/engine/source/record-batches.ts) and by kafkajs's own decoder from the same bytes gives the
 * same records, field for field, headers included, and leaves the response at the same position; and
 * the pass decoded every one of Connect's batches itself (none handed to kafkajs). The comparison sits
 * where the pass is installed, in front of every fetch this process makes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import type { Tenant } from '../harness/tenant.ts';
import { fastDecodeMessages, handedOver, KAFKAJS_DECODE_MESSAGES, kafkajsDecoders } from '../../main/engine/source/record-batches.ts';
import type { KafkajsDecoders } from '../../main/engine/source/record-batches.ts';

const require = createRequire(import.meta.url);
const k = kafkajsDecoders();
const path = require.resolve(KAFKAJS_DECODE_MESSAGES);
const original = require(path) as (d: unknown) => Promise<unknown[]>;
const fast = fastDecodeMessages(k);
const seen = { fetches: 0, records: 0, withHeaders: 0, differences: [] as string[] };
const plain = (rs: unknown[]): unknown[] => rs.map((r) => ({ ...(r as object), headers: (r as { headers: unknown }).headers }));

// In front of kafkajs's fetch response decoders, before this process's first fetch loads them.
require.cache[path]!.exports = async (decoder: InstanceType<KafkajsDecoders['Decoder']>): Promise<unknown[]> => {
  const copy = new k.Decoder(decoder.buffer);
  copy.offset = decoder.offset;
  const want = await original(copy);
  const got = await fast(decoder);
  seen.fetches++;
  seen.records += got.length;
  seen.withHeaders += got.filter((r) => Object.keys((r as { headers: object }).headers).length > 0).length;
  try {
    assert.deepStrictEqual(plain(got), plain(want));
    assert.equal(decoder.offset, copy.offset, 'the response read to the same position');
  } catch (err) {
    seen.differences.push((err as Error).message.slice(0, 2000));
  }
  return got;
};

let stack: Stack;
let tenant: Tenant;

before(async () => {
  stack = await getSharedStack();
  tenant = await stack.createTenant({ seedRows: 2000, seed: 11 });
});
after(async () => {
  await tenant?.stop();
  await stopStack();
});

test('Connect\'s record batches: the pass gives kafkajs\'s records from the same bytes, and decodes every batch itself', async () => {
  const cdc = await tenant.collect();
  try {
    await cdc.drain(stack.kafka);
    const w = await tenant.source.workload({ ops: 600, seed: 12 });
    assert.ok(w.deletes > 0, 'deletes, so tombstones');
    const expected = 2000 + w.inserts + w.updates + 2 * w.deletes;
    await cdc.waitForCount(expected, () => true, { timeoutMs: 120_000 });
  } finally {
    await cdc.stop();
  }
  assert.deepEqual(seen.differences, [], 'the pass and kafkajs disagree');
  assert.ok(seen.records >= 2600 && seen.fetches > 0, `${seen.records} records compared in ${seen.fetches} fetches`);
  assert.ok(seen.withHeaders >= 2600, `Debezium's context headers compared (${seen.withHeaders} records with headers)`);
  assert.equal(handedOver.batches, 0, 'every batch Connect wrote decoded by the pass');
});
