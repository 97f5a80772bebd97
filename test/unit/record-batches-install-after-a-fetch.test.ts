/**
 * The engine's record-batch pass (main/engine/source/record-batches.ts) is put in place of kafkajs's
 * decoding also in a process whose kafkajs fetched before (a test's own topic reader, then an engine in
 * the same process): kafkajs loads the response decoder of its fetch version for every fetch request, so
 * the install drops the loaded ones from Node's module cache, and the next request's decoder reads the
 * records with the pass — the same records (kafkajs's, field for field), while a decoder already in use
 * keeps kafkajs's decoding. Before, such a process kept kafkajs's decoding with a warning.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { it } from 'node:test';
import { installRecordBatchDecoder } from '../../main/engine/source/record-batches.ts';

const require = createRequire(import.meta.url);
const base = 'kafkajs/src/protocol/';
const V11 = `${base}requests/fetch/v11/response.js`;
type Decode = (raw: Buffer) => Promise<{ responses: Array<{ partitions: Array<{ messages: Array<Record<string, unknown>> }> }> }>;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: string | number): unknown };
const { RecordBatch } = require(`${base}recordBatch/v0/index.js`) as { RecordBatch: (o: Record<string, unknown>) => Promise<{ buffer: Buffer }> };
const Record = require(`${base}recordBatch/record/v0/index.js`) as (o: Record<string, unknown>) => { buffer: Buffer };

/** A fetch v11 response: one topic, one partition, its record set `records` (Kafka's wire layout). */
function fetchV11Response(records: Buffer): Buffer {
  const topic = Buffer.from('t-cdc');
  const head = Buffer.alloc(4 + 2 + 4 + 4 + 2);
  let at = head.writeInt32BE(0, 0); // throttle_time_ms
  at = head.writeInt16BE(0, at); // error_code
  at = head.writeInt32BE(0, at); // session_id
  at = head.writeInt32BE(1, at); // one topic
  head.writeInt16BE(topic.length, at);
  const part = Buffer.alloc(4 + 4 + 2 + 8 * 3 + 4 + 4 + 4);
  let p = part.writeInt32BE(1, 0); // one partition
  p = part.writeInt32BE(2, p); // partition 2
  p = part.writeInt16BE(0, p); // error_code
  for (let i = 0; i < 3; i++) p = part.writeBigInt64BE(100n, p); // high watermark, last stable, log start
  p = part.writeInt32BE(-1, p); // aborted transactions: null
  p = part.writeInt32BE(-1, p); // preferred read replica
  part.writeInt32BE(records.length, p);
  return Buffer.concat([head, topic, part, records]);
}

async function recordSet(): Promise<Buffer> {
  const sets: Buffer[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = await RecordBatch({
      firstOffset: Long.fromValue(40 + i), firstTimestamp: 1_733_390_000_000 + i, maxTimestamp: 1_733_390_000_000 + i, lastOffsetDelta: 0,
      records: [Record({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from(`{"id":${i}}`), value: Buffer.from(`{"v":${i}}`), headers: { '__debezium.context.task': Buffer.from('0') } })],
      producerId: Long.fromValue(-1), producerEpoch: 0, firstSequence: 0, partitionLeaderEpoch: 0,
    });
    sets.push(Buffer.from(enc.buffer));
  }
  return Buffer.concat(sets);
}

const messagesOf = async (decode: Decode, raw: Buffer): Promise<Array<Record<string, unknown>>> => (await decode(raw)).responses[0]!.partitions[0]!.messages;
/** A record's fields, its headers read (the pass reads them when first asked for: an accessor). */
const plain = (r: Record<string, unknown>): Record<string, unknown> => ({ ...r, headers: r.headers });
/** kafkajs's records carry their headers as a field of their own; the pass's, through its accessor. */
const ownHeaders = (r: Record<string, unknown>): boolean => Object.getOwnPropertyDescriptor(r, 'headers') !== undefined;

it('kafkajs fetched first in this process: after the install, the next fetch\'s records are the pass\'s, and kafkajs\'s alike', async () => {
  const raw = fetchV11Response(await recordSet());
  // This process's kafkajs "fetched" already: its v11 response decoder is loaded, with kafkajs's decoding.
  const before = require(V11) as { decode: Decode };
  const kafkajs = await messagesOf(before.decode, raw);
  assert.equal(kafkajs.length, 3);
  assert.ok(kafkajs.every(ownHeaders), 'kafkajs\'s decoding before the install');

  assert.equal(installRecordBatchDecoder(), null, 'installed although a fetch was decoded before');
  const after = require(V11) as { decode: Decode };
  assert.notEqual(after, before, 'the next fetch request loads the response decoder again');
  const pass = await messagesOf(after.decode, raw);
  assert.ok(pass.every((r) => !ownHeaders(r)), 'the records come from the pass');
  assert.deepStrictEqual(pass.map(plain), kafkajs.map(plain), 'the same records as kafkajs\'s');
  // A decoder taken before the install (a fetch under way) finishes with kafkajs's decoding.
  assert.ok((await messagesOf(before.decode, raw)).every(ownHeaders));
  assert.equal(installRecordBatchDecoder(), null, 'a second install is a no-op');
  assert.equal(require(V11), after, 'and drops nothing');
});
