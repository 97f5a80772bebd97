/**
 * Folder main/engine/source/: Kafka: the CDC and notification consumers, signals, topics, watermarks.
 *
 * The `<ctx>-cdc` consumer: reads every partition from the position the engine gives, splits each fetched
 * batch into chunks of `databaseBatchSize` and hands them to the engine (which applies them in its control
 * loop). No offsets are committed to Kafka: the replica's `_ReplicationState` is the only position.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Settings } from '../../../preload/contract/settings.ts';
import type { Logger } from '../log.ts';

export interface CdcConsumerHooks {
  /** Where a newly assigned partition starts. */
  position(partition: number): string;
  /** The next offset the replica needs on a partition (undefined: nothing applied yet). */
  expected(partition: number): bigint | undefined;
  /** A batch starts after the expected offset: purged (gap) or compacted; the engine decides. */
  onJump(partition: number, expected: bigint, first: bigint): Promise<void>;
  /** Applies a chunk; resolves once its offsets are committed in the replica. */
  onChunk(partition: number, messages: KafkaMessage[], heartbeat: () => Promise<void>): Promise<'applied' | 'stop'>;
  /** kafkajs reported a crash; `restarting`: it restarts the consumer itself (retriable errors). */
  onCrash(message: string, restarting: boolean): void;
  onBatchDone(): void;
  stopping(): boolean;
  paused(): boolean;
}

export interface CdcConsumerOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  settings: Pick<Settings, 'maxBytes' | 'maxPollTimeSeconds' | 'databaseBatchSize'>;
  log: Logger;
  hooks: CdcConsumerHooks;
}

export async function startCdcConsumer(o: CdcConsumerOptions): Promise<Consumer> {
  const s = o.settings;
  const consumer = o.kafka.consumer({
    groupId: o.groupId, sessionTimeout: 20_000, heartbeatInterval: 3_000,
    maxBytesPerPartition: Math.max(1_048_576, Math.floor(s.maxBytes / 2)), maxBytes: s.maxBytes,
    maxWaitTimeInMs: Math.round(s.maxPollTimeSeconds * 1000), minBytes: 1,
    allowAutoTopicCreation: false,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: o.topic, fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const parts = payload.memberAssignment[o.topic] ?? [];
    for (const p of parts) consumer.seek({ topic: o.topic, partition: p, offset: o.hooks.position(p) });
    o.log.debug('cdc partitions assigned', { partitions: parts });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    o.log.error('kafka consumer crashed', { error: payload.error.message, restart: payload.restart });
    o.hooks.onCrash(payload.error.message, payload.restart);
  });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: (payload) => onBatch(o, payload),
  });
  return consumer;
}

async function onBatch(o: CdcConsumerOptions, { batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
  const h = o.hooks;
  const p = batch.partition;
  const live = () => isRunning() && !isStale() && !h.stopping();
  if (!batch.messages.length || !live()) return;
  const expected = h.expected(p);
  const first = BigInt(batch.messages[0]!.offset);
  if (expected !== undefined && first > expected) await h.onJump(p, expected, first);
  const msgs = expected === undefined ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) >= expected);
  const size = o.settings.databaseBatchSize;
  for (let i = 0; i < msgs.length; i += size) {
    if (!live()) return;
    while (h.paused() && !h.stopping()) await new Promise((r) => setTimeout(r, 200));
    if (h.stopping()) return;
    const chunk = msgs.slice(i, i + size);
    if (await h.onChunk(p, chunk, heartbeat) === 'stop') return;
    resolveOffset(chunk[chunk.length - 1]!.offset);
    await heartbeat();
  }
  h.onBatchDone();
}
