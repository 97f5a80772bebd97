/** Debezium's Kafka signal channel: key = topic.prefix, value = the signal JSON. */
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';

export async function sendExecuteSnapshot(producer: Producer, topic: string, topicPrefix: string, collections: string[], type: 'incremental' | 'blocking' = 'incremental', id: string = randomUUID()): Promise<string> {
  const value = JSON.stringify({ id, type: 'execute-snapshot', data: { 'data-collections': collections, type } });
  await producer.send({ topic, acks: -1, messages: [{ key: topicPrefix, value }] });
  return id;
}
