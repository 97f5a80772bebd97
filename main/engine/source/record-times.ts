/**
 * The Kafka timestamp of the record at a given offset of some partitions: the age of the first record a
 * replica has not applied yet (its lag in seconds). A throw-away consumer group reads one record per
 * partition from the given offsets and commits nothing.
 */
import type { Kafka } from 'kafkajs';

/** `exact`: a partition whose record at the offset is gone (the first one read lies beyond it) is left out. */
export async function recordTimestamps(kafka: Kafka, topic: string, at: ReadonlyMap<number, bigint>, timeoutMs = 20_000, exact = false): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (!at.size) return out;
  const wanted = new Map(at);
  const consumer = kafka.consumer({ groupId: `tenant-mirror-info-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`, allowAutoTopicCreation: false });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    // fromBeginning false: partitions not named here start at their end and fetch nothing.
    await consumer.subscribe({ topic, fromBeginning: false });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => resolve(), timeoutMs); // what was read by then is returned; the rest stays unknown
      consumer.on(consumer.events.GROUP_JOIN, () => {
        for (const [p, off] of wanted) consumer.seek({ topic, partition: p, offset: off.toString() });
      });
      consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const off = wanted.get(partition);
          if (off === undefined || BigInt(message.offset) < off) return;
          if (!exact || BigInt(message.offset) === off) out.set(partition, Number(message.timestamp));
          wanted.delete(partition);
          if (!wanted.size) resolve();
        },
      }).catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
  return out;
}
