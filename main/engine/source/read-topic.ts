/** Reads a (small) topic from its start to the current high watermark, without a consumer group. */
import type { Kafka } from 'kafkajs';
import { MirrorError } from '../errors.ts';
import { isTransientKafkaError } from './kafka-errors.ts';
import { fetchWatermarks } from './watermarks.ts';

export interface RawMessage { partition: number; offset: string; key: string | null; value: string | null }

/**
 * Reads `topic` to its end; a broker that cannot be reached meanwhile (or a read that times out) is
 * KAFKA_UNREACHABLE, retriable, naming the topic — not the driver's bare error, which a command that handed
 * `update-schema` to the running engine printed as INTERNAL during a broker outage (the control-plane soak).
 */
export async function readTopicToEnd(kafka: Kafka, topic: string, fromOffsets?: Map<number, string>, timeoutMs = 30_000): Promise<RawMessage[]> {
  try {
    return await readAll(kafka, topic, fromOffsets, timeoutMs);
  } catch (err) {
    if (err instanceof MirrorError || !(isTransientKafkaError(err) || (err instanceof TimedOut))) throw err;
    throw new MirrorError('KAFKA_UNREACHABLE', `Kafka cannot be reached while reading ${topic}: ${(err as Error).message}`, { retriable: true, cause: err });
  }
}

class TimedOut extends Error {}

async function readAll(kafka: Kafka, topic: string, fromOffsets: Map<number, string> | undefined, timeoutMs: number): Promise<RawMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const marks = await fetchWatermarks(admin, topic).finally(() => admin.disconnect());
  const targets = new Map<number, bigint>();
  for (const [p, w] of marks) {
    const from = BigInt(fromOffsets?.get(p) ?? w.low);
    if (BigInt(w.high) > (from > BigInt(w.low) ? from : BigInt(w.low))) targets.set(p, BigInt(w.high));
  }
  if (!targets.size) return [];
  const out: RawMessage[] = [];
  const consumer = kafka.consumer({ groupId: `tenant-mirror-reader-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimedOut(`timed out reading ${topic} after ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      consumer.on(consumer.events.GROUP_JOIN, () => {
        for (const p of targets.keys()) {
          const from = fromOffsets?.get(p) ?? marks.get(p)!.low;
          consumer.seek({ topic, partition: p, offset: BigInt(from) > BigInt(marks.get(p)!.low) ? from : marks.get(p)!.low });
        }
      });
      consumer.run({
        eachMessage: async ({ partition, message }) => {
          const target = targets.get(partition);
          if (target === undefined) return;
          const off = BigInt(message.offset);
          if (off < target) out.push({ partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? null });
          if (off + 1n >= target) targets.delete(partition);
          if (!targets.size) { clearTimeout(timer); resolve(); }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
