/**
 * The `<ctx>-notifications` consumer: every partition from the position the engine fixed before it sent
 * any signal; each message is handed to the engine (which handles it in its control loop and stores the
 * next offset with what it changed). No offsets are committed to Kafka.
 */
import type { Consumer, Kafka } from 'kafkajs';

export interface NotificationConsumerOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  position(partition: number): string;
  stopping(): boolean;
  onMessage(partition: number, offset: string, value: Buffer | null): Promise<void>;
  /** kafkajs reported a crash; `restarting`: it restarts the consumer itself (retriable errors). */
  onCrash(message: string, restarting: boolean): void;
  /** The group session (default 20 s): a member not heard from for this long is dropped by the coordinator. */
  sessionTimeoutMs?: number;
}

/** How often a message still being handled heartbeats (kafkajs's own interval). */
const HEARTBEAT_MS = 3_000;

export async function startNotificationConsumer(o: NotificationConsumerOptions): Promise<Consumer> {
  const consumer = o.kafka.consumer({ groupId: o.groupId, sessionTimeout: o.sessionTimeoutMs ?? 20_000, heartbeatInterval: HEARTBEAT_MS, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topic: o.topic, fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    for (const p of payload.memberAssignment[o.topic] ?? []) consumer.seek({ topic: o.topic, partition: p, offset: o.position(p) });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => o.onCrash(payload.error.message, payload.restart));
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message, heartbeat }) => {
      if (o.stopping()) return;
      // kafkajs heartbeats between messages only. A message waits for the control loop (its queue, a long
      // write, a failure retried): without beats meanwhile the coordinator drops this member, and the
      // group's rebalance stops the reading until it has joined again.
      const beat = setInterval(() => { heartbeat().catch(() => undefined); }, HEARTBEAT_MS);
      try { await o.onMessage(partition, message.offset, message.value); } finally { clearInterval(beat); }
    },
  });
  return consumer;
}
