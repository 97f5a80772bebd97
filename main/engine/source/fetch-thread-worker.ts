/**
 * The fetch thread's entry (fetch-thread.ts starts it): the `<ctx>-cdc` kafkajs consumer, its fetches,
 * record decoding and the split of each value from its schema, on a thread of its own; each batch goes to
 * the apply thread packed in one transferred buffer (packed-batch.ts). The apply thread decides what is
 * applied: fetching waits while more than a window of sent bytes is not yet taken by its feed, and where a
 * partition starts is asked of it, synchronously, when partitions are assigned.
 */
import '../../no-timeout-negative-warning.ts'; // a thread has its own `process`: kafkajs's warning is dropped here too
import { parentPort, workerData } from 'node:worker_threads';
import type { EachBatchPayload } from 'kafkajs';
import { MirrorError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { SchemaInterner } from '../decode/compact.ts';
import { cdcConsumerConfig, createKafka } from './kafka-client.ts';
import { BatchPacker } from './packed-batch.ts';
import type { FetchThreadData, FromFetch, ToFetch } from './fetch-thread.ts';

const port = parentPort!;
const d = workerData as FetchThreadData;
const send = (m: FromFetch, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);
const logAt = (level: 'error' | 'warn' | 'info' | 'debug') => (msg: string, data?: Record<string, unknown>): void => send({ t: 'log', level, msg, data });
const log: Logger = { error: logAt('error'), warn: logAt('warn'), info: logAt('info'), debug: logAt('debug') };
/** How long partitions wait for the apply thread to say where they start before they are read from the earliest. */
const POSITION_WAIT_MS = 60_000;

/** Packed bytes sent and not yet taken by the apply feed, and who waits for them to be taken. */
let unacked = 0;
let waiting: (() => void) | null = null;
let heartbeat: (() => Promise<void>) | null = null;
let closing = false;

async function main(): Promise<void> {
  const kafka = createKafka(d.tenant, log, (extra) => send({ t: 'outOfRange', extra }));
  const consumer = kafka.consumer(cdcConsumerConfig(d.groupId, d.settings));
  const packer = new BatchPacker(new SchemaInterner());
  port.on('message', (m: ToFetch) => {
    if (m.t === 'ack') { unacked -= m.bytes; waiting?.(); }
    else if (m.t === 'heartbeat') void heartbeat?.().catch(() => undefined);
    else if (m.t === 'pause') consumer.pause([{ topic: d.topic }]);
    else if (m.t === 'resume') consumer.resume([{ topic: d.topic }]);
    else if (m.t === 'close') void close(consumer);
  });
  await consumer.connect();
  await consumer.subscribe({ topic: d.topic, fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const parts = payload.memberAssignment[d.topic] ?? [];
    const shared = new SharedArrayBuffer(8 + 8 * parts.length);
    send({ t: 'joined', partitions: parts, shared });
    // kafkajs fetches once this handler returns: the positions must be set before, so the thread waits here.
    if (Atomics.wait(new Int32Array(shared, 0, 1), 0, 0, POSITION_WAIT_MS) === 'timed-out') {
      log.warn('the apply thread did not say where the assigned partitions start: reading them from the earliest offset', { partitions: parts });
      return;
    }
    const at = new BigInt64Array(shared, 8, parts.length);
    parts.forEach((p, i) => consumer.seek({ topic: d.topic, partition: p, offset: at[i]!.toString() }));
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => send({ t: 'crash', message: payload.error.message, restart: payload.restart }));
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, heartbeat: hb, isRunning, isStale, resolveOffset }: EachBatchPayload) => {
      heartbeat = hb;
      const live = (): boolean => isRunning() && !isStale() && !closing;
      if (!batch.messages.length || !live()) return;
      const packed = packer.pack(batch.partition, batch.messages);
      unacked += packed.bytes.byteLength;
      send({ t: 'batch', batch: packed }, [packed.bytes]);
      // The fetch position moves on (in memory only): what the feed drops is read again after a seek or by a new reader.
      resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
      while (unacked > d.windowBytes && live()) {
        await new Promise<void>((resolve) => { waiting = resolve; setTimeout(resolve, 1000); });
        await hb().catch(() => undefined); // the group keeps this member while the apply thread writes
      }
      waiting = null;
    },
  });
  send({ t: 'ready' });
}

async function close(consumer: { disconnect(): Promise<void> }): Promise<void> {
  closing = true;
  waiting?.();
  await consumer.disconnect().catch((err: unknown) => log.warn('the fetch thread\'s consumer did not disconnect cleanly', { error: (err as Error).message }));
  send({ t: 'closed' });
  port.close();
}

main().catch((err: unknown) => {
  const e = err as Error & { retriable?: boolean };
  send(err instanceof MirrorError ? { t: 'failed', mirror: err.toData() } : { t: 'failed', name: e?.name ?? 'Error', message: e?.message ?? String(err), retriable: e?.retriable });
});
