/**
 * The `<ctx>-notifications` consumer (main/engine/source/notification-consumer.ts) on the shared stack's
 * Kafka: a message whose handling waits longer than the group session (the control loop busy, a write
 * retried) must not get the member dropped. kafkajs heartbeats only between messages. With the consumer as
 * it was before its heartbeats during a message (before 2c80205), the member was dropped and the reader
 * stalled: the next message was still not handled 60 s later (this test then fails at its waitFor). A member
 * dropped and rejoined would show here as the partition positioned twice, or a message handled twice.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Consumer } from 'kafkajs';
import { startNotificationConsumer } from '../../main/engine/source/notification-consumer.ts';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import { sleep, waitFor } from '../harness/util.ts';

const topic = `notification-heartbeats-${process.pid}-${Date.now()}`;
/** The broker's smallest session (group.min.session.timeout.ms); the handling below waits more than twice as long. */
const SESSION_MS = 6_000;
const HANDLING_MS = 14_000;
let stack: Stack;

before(async () => {
  stack = await getSharedStack();
  const admin = stack.kafka.admin();
  await admin.connect();
  try { await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true }); } finally { await admin.disconnect(); }
  const producer = stack.kafka.producer();
  await producer.connect();
  try { await producer.send({ topic, messages: [{ value: 'slow' }, { value: 'next' }] }); } finally { await producer.disconnect(); }
});
after(async () => { await stopStack(); });

test('a message handled for longer than the session: the member stays, each message is handled once', { timeout: 90_000 }, async () => {
  const handled: string[] = [];
  const crashes: string[] = [];
  let positioned = 0;
  let consumer: Consumer | null = null;
  try {
    consumer = await startNotificationConsumer({
      kafka: stack.kafka, topic, groupId: `${topic}-group`, sessionTimeoutMs: SESSION_MS,
      position: () => { positioned++; return '0'; },
      stopping: () => false,
      onCrash: (message) => { crashes.push(message); },
      onMessage: async (_partition, offset, value) => {
        handled.push(`${offset}:${value?.toString() ?? ''}`);
        if (offset === '0') await sleep(HANDLING_MS);
      },
    });
    await waitFor(() => handled.includes('1:next'), { timeoutMs: 60_000, what: 'both messages handled' });
    // A dropped member finds out at its next heartbeat, rejoins and reads the topic again from its position.
    await sleep(SESSION_MS);
    assert.deepEqual(handled, ['0:slow', '1:next'], 'each message handled once, in order');
    assert.equal(positioned, 1, 'the partition was positioned once: the member never had to join again');
    assert.deepEqual(crashes, []);
  } finally {
    await consumer?.disconnect();
  }
});
