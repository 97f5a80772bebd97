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
  /** `timestamp`: the record's Kafka timestamp (ms). */
  onMessage(partition: number, offset: string, value: Buffer | null, timestamp: number): Promise<void>;
  /** kafkajs reported a crash; `restarting`: it restarts the consumer itself (retriable errors). */
  onCrash(message: string, restarting: boolean): void;
  /**
   * The group session: a member not heard from for this long is dropped by the coordinator. Default 45 s
   * (Kafka's own consumer default since 3.0). It was 20 s: under load the broker answered this reader's
   * empty 5 s fetch after 27.7 s, and kafkajs sends no heartbeat while its fetch is out, so the member was
   * dropped and rejoined (docs/benchmarks.md, "The run before (13:50 UTC, …)"). The group is this reader's alone (a new name each start), so
   * a longer session keeps nobody waiting.
   */
  sessionTimeoutMs?: number;
  /**
   * A request to Kafka that waited or took long, or heartbeats far apart: what comes before the coordinator
   * drops the member.
   */
  onSlow?(what: string, data: Record<string, unknown>): void;
}

/** A request (other than a fetch, which waits up to its maxWait by design) slower than this is reported. */
const SLOW_REQUEST_MS = 2_000;
/** kafkajs's default fetch wait: a fetch is reported when it takes this much longer. */
const FETCH_WAIT_MS = 5_000;

/** How often a message still being handled heartbeats (kafkajs's own interval): 3 s, or a third of a shorter session. */
const HEARTBEAT_MS = 3_000;

export async function startNotificationConsumer(o: NotificationConsumerOptions): Promise<Consumer> {
  const session = o.sessionTimeoutMs ?? 45_000;
  const beatMs = Math.min(HEARTBEAT_MS, Math.floor(session / 3));
  const consumer = o.kafka.consumer({ groupId: o.groupId, sessionTimeout: session, heartbeatInterval: beatMs, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topic: o.topic, fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    for (const p of payload.memberAssignment[o.topic] ?? []) consumer.seek({ topic: o.topic, partition: p, offset: o.position(p) });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => o.onCrash(payload.error.message, payload.restart));
  if (o.onSlow) {
    const slow = o.onSlow;
    let lastBeat = 0;
    consumer.on(consumer.events.HEARTBEAT, () => {
      const now = Date.now();
      if (lastBeat && now - lastBeat > session / 2) slow('heartbeats far apart', { gapMs: now - lastBeat, sessionMs: session });
      lastBeat = now;
    });
    consumer.on(consumer.events.GROUP_JOIN, () => { lastBeat = Date.now(); });
    consumer.on(consumer.events.REQUEST, ({ payload }) => {
      const limit = payload.apiName === 'Fetch' ? FETCH_WAIT_MS + SLOW_REQUEST_MS : SLOW_REQUEST_MS;
      if (payload.duration > limit || payload.pendingDuration > SLOW_REQUEST_MS) {
        slow(`${payload.apiName} request slow`, { durationMs: payload.duration, pendingMs: payload.pendingDuration });
      }
    });
  }
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message, heartbeat }) => {
      if (o.stopping()) return;
      // kafkajs heartbeats between messages only. A message waits for the control loop (its queue, a long
      // write, a failure retried): without beats meanwhile the coordinator drops this member, and the
      // group's rebalance stops the reading until it has joined again.
      const beat = setInterval(() => { heartbeat().catch(() => undefined); }, beatMs);
      try { await o.onMessage(partition, message.offset, message.value, Number(message.timestamp)); } finally { clearInterval(beat); }
    },
  });
  return consumer;
}
