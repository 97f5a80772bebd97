/**
 * The `<ctx>-cdc` reader's fetches (on the fetch thread and, since 2026-12-05, on the apply thread) wait to fill (main/engine/source/kafka-client.ts,
 * `minFetchBytes` and `maxPollTimeSeconds`), on the shared stack's Kafka. Events trickling in (one every 10 ms here) came as
 * one fetch each when a fetch returned at its first byte (minBytes 1, as before): the engine then wrote a
 * transaction of a few events per fetch. With the fill, the broker holds the fetch until the bytes are
 * there or the wait is over, so the same events come in a few batches, all of them and in order.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cdcConsumerConfig } from '../../main/engine/source/kafka-client.ts';
import { createTopics } from '../harness/kafka.ts';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import { sleep, waitFor } from '../harness/util.ts';

const topic = `fetch-fill-${process.pid}-${Date.now()}`;
const MESSAGES = 100;
const VALUE = 'x'.repeat(2048);
let stack: Stack;

before(async () => {
  stack = await getSharedStack();
  await createTopics(stack.kafka, [{ topic }]);
});
after(async () => { await stopStack(); });

test('the fill never asks for more than one fetch may bring', () => {
  assert.equal(cdcConsumerConfig('g', { maxBytes: 2 * 1024 * 1024, maxPollTimeSeconds: 0.1, minFetchBytes: 1024 * 1024 }).minBytes, 1024 * 1024);
  assert.equal(cdcConsumerConfig('g', { maxBytes: 512 * 1024, maxPollTimeSeconds: 0.1, minFetchBytes: 1024 * 1024 }).minBytes, 512 * 1024);
  assert.equal(cdcConsumerConfig('g', { maxBytes: 512 * 1024, maxPollTimeSeconds: 0.25, minFetchBytes: 1 }).maxWaitTimeInMs, 250);
});

/** Batches in which `MESSAGES` messages produced one every 10 ms reach a consumer with these fetch settings. */
async function batchesOfATrickle(minFetchBytes: number, group: string): Promise<number[]> {
  const consumer = stack.kafka.consumer(cdcConsumerConfig(group, { maxBytes: 2 * 1024 * 1024, maxPollTimeSeconds: 0.3, minFetchBytes }));
  const sizes: number[] = [];
  const offsets: string[] = [];
  const producer = stack.kafka.producer();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    const joined = new Promise<void>((resolve) => { consumer.on(consumer.events.GROUP_JOIN, () => resolve()); });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        sizes.push(batch.messages.length);
        for (const m of batch.messages) offsets.push(m.offset);
      },
    });
    await joined;
    await sleep(500); // the consumer's first fetch is out: it waits at the end of the topic
    await producer.connect();
    const start = offsets.length;
    for (let i = 0; i < MESSAGES; i++) {
      await producer.send({ topic, messages: [{ value: VALUE }] });
      await sleep(10);
    }
    await waitFor(() => offsets.length - start >= MESSAGES, { timeoutMs: 20_000, what: `${MESSAGES} messages read` });
    assert.equal(offsets.length, MESSAGES, 'every message read once');
    for (let i = 1; i < offsets.length; i++) assert.equal(BigInt(offsets[i]!), BigInt(offsets[i - 1]!) + 1n, 'in order, none skipped');
    return sizes;
  } finally {
    await producer.disconnect();
    await consumer.disconnect();
  }
}

test('a trickle of events is read in a few filled fetches, every event once and in order', { timeout: 90_000 }, async (t) => {
  // 64 KiB is 32 of these messages (~0.3 s of the trickle): at most a handful of batches, each waited for.
  const filled = await batchesOfATrickle(64 * 1024, `${topic}-filled`);
  assert.ok(filled.length <= 12, `read in ${filled.length} batches (${filled.join(', ')}): the fetches did not wait to fill`);
  // The same trickle with fetches answered at their first byte: many more, smaller batches (what the fill is for).
  const unfilled = await batchesOfATrickle(1, `${topic}-unfilled`);
  t.diagnostic(`batches: filled ${filled.length} (${filled.join(', ')}), unfilled ${unfilled.length}`);
  assert.ok(unfilled.length > 2 * filled.length, `unfilled ${unfilled.length} batches vs filled ${filled.length}: the comparison shows nothing`);
});
