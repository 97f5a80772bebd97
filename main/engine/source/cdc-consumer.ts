/**
 * Folder main/engine/source/: Kafka: the CDC and notification consumers, signals, topics, watermarks.
 *
 * The `<ctx>-cdc` consumer: reads every partition from the position the engine gives and hands each
 * fetched batch to the apply feed (apply-feed.ts), which applies it in chunks of `databaseBatchSize`
 * through the engine's control loop while kafkajs fetches the next. No offsets are committed to Kafka:
 * the replica's `_ReplicationState` is the only position.
 */
import type { EachBatchPayload, Kafka } from 'kafkajs';
import type { Settings } from '../../../preload/contract/settings.ts';
import type { Logger } from '../log.ts';
import { ApplyFeed } from './apply-feed.ts';
import type { FeedHooks } from './apply-feed.ts';
import { fetchThreadEntry, FetchThreadUnavailable, startFetchThread } from './fetch-thread.ts';
import { cdcConsumerConfig } from './kafka-client.ts';

export interface CdcConsumerHooks extends FeedHooks {
  /** Where a newly assigned partition starts. */
  position(partition: number): string;
  /** kafkajs reported a crash; `restarting`: it restarts the consumer itself (retriable errors). */
  onCrash(message: string, restarting: boolean): void;
}

export interface CdcConsumerOptions {
  kafka: Kafka;
  /** For the fetch thread, which builds its own client (fetch-thread.ts). */
  tenant: Settings['tenant'];
  /** kafkajs logged that it reset an out-of-range offset (kafka-client.ts). */
  onOutOfRange?: (extra: Record<string, unknown>) => void;
  topic: string;
  groupId: string;
  settings: Pick<Settings, 'maxBytes' | 'readAheadBytes' | 'maxPollTimeSeconds' | 'minFetchBytes' | 'databaseBatchSize' | 'fetchThread' | 'replica'>;
  log: Logger;
  hooks: CdcConsumerHooks;
}

/** The running `<ctx>-cdc` reader: its consumer and the feed of batches read ahead of apply. */
export interface CdcReader {
  pause(): void;
  resume(): void;
  /** Stops applying (the chunk in flight finishes), then disconnects the consumer. */
  close(): Promise<void>;
}

/** `fetchThread` resolved: `auto` is on for SQLite, whose writes keep the engine's thread busy. */
export function fetchesOnThread(s: Pick<Settings, 'fetchThread' | 'replica'>): boolean {
  return s.fetchThread === 'on' || (s.fetchThread === 'auto' && s.replica.kind === 'sqlite');
}

/** The reader, with its fetches on a thread of their own (`fetchThread`, fetch-thread.ts) or on this one. */
export async function startCdcConsumer(o: CdcConsumerOptions): Promise<CdcReader> {
  if (!fetchesOnThread(o.settings)) return startInThread(o);
  const entry = fetchThreadEntry();
  if (!entry) o.log.warn('the fetch thread\'s entry file is missing: fetching on the apply thread', {});
  else {
    try {
      return await startFetchThread(o, entry);
    } catch (err) {
      // A Kafka error is the reader's own (retried as without the thread); a thread that cannot run is not.
      if (!(err instanceof FetchThreadUnavailable)) throw err;
      o.log.warn('the fetch thread did not start: fetching on the apply thread', { error: err.message });
    }
  }
  return startInThread(o);
}

async function startInThread(o: CdcConsumerOptions): Promise<CdcReader> {
  const s = o.settings;
  const consumer = o.kafka.consumer(cdcConsumerConfig(o.groupId, s));
  // What is read ahead is bounded by readAheadBytes of compacted records (decode/compact.ts), the chunk being applied included.
  const feed = new ApplyFeed(o.hooks, s.readAheadBytes, s.databaseBatchSize, o.log);
  await consumer.connect();
  await consumer.subscribe({ topic: o.topic, fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    feed.reset();
    const parts = payload.memberAssignment[o.topic] ?? [];
    for (const p of parts) consumer.seek({ topic: o.topic, partition: p, offset: o.hooks.position(p) });
    o.log.debug('cdc partitions assigned', { partitions: parts });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    o.log.error('kafka consumer crashed', { error: payload.error.message, restart: payload.restart });
    if (payload.restart) feed.reset();
    o.hooks.onCrash(payload.error.message, payload.restart);
  });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: (payload) => onBatch(o, feed, payload),
  });
  return {
    pause: () => consumer.pause([{ topic: o.topic }]),
    resume: () => consumer.resume([{ topic: o.topic }]),
    close: async () => {
      await feed.close();
      await consumer.disconnect();
    },
  };
}

/** Queues the batch and returns, so kafkajs fetches on; the fetch position moves past it (in memory only). */
async function onBatch(o: CdcConsumerOptions, feed: ApplyFeed, { batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
  const live = () => isRunning() && !isStale() && !o.hooks.stopping();
  if (!batch.messages.length || !live()) return;
  if (await feed.push(batch.partition, batch.messages, heartbeat, live)) resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
}
