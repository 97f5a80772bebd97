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
import { createTopics } from '../harness/kafka.ts';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import { sleep, waitFor } from '../harness/util.ts';

const topic = `notification-heartbeats-${process.pid}-${Date.now()}`;
/** A short session (the harness's broker allows 1 s and up); the handling below waits more than twice as long. */
const SESSION_MS = 3_000;
const HANDLING_MS = 7_000;
let stack: Stack;

before(async () => {
  stack = await getSharedStack();
  await createTopics(stack.kafka, [{ topic }]);
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

test('heartbeats kept apart by a blocked event loop are reported (what comes before a member is dropped)', { timeout: 60_000 }, async () => {
  const session = 6_000;
  const slow: Array<{ what: string; data: Record<string, unknown>; at: number }> = [];
  const handled: string[] = [];
  let blocked: { from: number; to: number } | null = null;
  let consumer: Consumer | null = null;
  try {
    consumer = await startNotificationConsumer({
      kafka: stack.kafka, topic, groupId: `${topic}-blocked`, sessionTimeoutMs: session,
      position: () => '0',
      stopping: () => false,
      onCrash: () => undefined,
      onSlow: (what, data) => { slow.push({ what, data, at: Date.now() }); },
      onMessage: async (_partition, offset) => {
        handled.push(offset);
        // Synchronous work: no timer and no heartbeat can run meanwhile.
        if (offset === '0') {
          const from = Date.now();
          while (Date.now() < from + 3_500) { /* busy */ }
          blocked = { from, to: Date.now() };
        }
      },
    });
    await waitFor(() => handled.includes('1'), { timeoutMs: 30_000, what: 'both messages handled' });
    // The report that spans the blocked stretch (an idle reader's beats follow its 5 s fetches: gaps of their own).
    const spans = (s: { what: string; data: Record<string, unknown>; at: number }): boolean =>
      blocked !== null && s.what === 'heartbeats far apart' && s.at >= blocked.to && s.at - Number(s.data['gapMs']) <= blocked.from;
    await waitFor(() => slow.some(spans), { timeoutMs: 15_000, what: 'the gap over the blocked stretch reported' });
    const gap = slow.find(spans)!.data;
    assert.ok(Number(gap['gapMs']) >= 3_500, `gap ${String(gap['gapMs'])} ms`);
    assert.equal(gap['sessionMs'], session);
  } finally {
    await consumer?.disconnect();
  }
});
