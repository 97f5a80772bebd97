/**
 * The `<ctx>-cdc` reader on the apply thread (fetchThread off, and PostgreSQL / SQL Server by default)
 * asks kafkajs for filled fetches, as the fetch thread does (kafka-client.ts, cdcConsumerConfig): a
 * fetch waits for `minFetchBytes` (at most `maxBytes`) or `maxPollTimeSeconds`. With `minBytes` 1 a
 * trickle of events became one small transaction per fetch and partition (docs/benchmarks.md, "Fetch fill on the
 * apply thread"). The consumer is a stand-in that records the config it is made with and refuses to
 * connect, so nothing else of the reader runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsumerConfig, Kafka } from 'kafkajs';
import { createLogger } from '../../main/engine/log.ts';
import { startCdcConsumer, type CdcConsumerOptions } from '../../main/engine/source/cdc-consumer.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';

/** The config the reader gave its consumer, for these settings (the reader then fails to connect). */
async function consumerConfigFor(replica: Record<string, unknown>, extra: Record<string, unknown>): Promise<ConsumerConfig> {
  const seen: ConsumerConfig[] = [];
  const kafka = {
    consumer: (config: ConsumerConfig) => {
      seen.push(config);
      return { connect: async () => { throw new Error('no broker in this test'); }, disconnect: async () => undefined, on: () => () => undefined };
    },
  } as unknown as Kafka;
  const settings = settingsSchema.parse({ tenant: { ctx: 't', brokers: ['127.0.0.1:1'] }, replica, ...extra });
  const hooks = {
    position: () => '0', expected: () => undefined, onJump: async () => undefined, onChunk: async () => 'applied' as const,
    onFailed: () => undefined, onBatchDone: () => undefined, onCrash: () => undefined, stopping: () => false, paused: () => false,
  };
  const o: CdcConsumerOptions = { kafka, tenant: settings.tenant, topic: 't-cdc', groupId: 'g', settings, log: createLogger('error', () => undefined), hooks };
  await assert.rejects(startCdcConsumer(o), /no broker in this test/);
  assert.equal(seen.length, 1, 'one consumer made, on the apply thread');
  return seen[0]!;
}

const postgres = { kind: 'postgres', host: '127.0.0.1', database: 'd', user: 'u' };

test('a PostgreSQL replica reads on the apply thread by default, and its fetches wait to fill', async () => {
  const c = await consumerConfigFor(postgres, {});
  assert.equal(c.minBytes, 1024 * 1024, 'minFetchBytes (1 MiB by default), not 1 byte');
  assert.equal(c.maxWaitTimeInMs, 100, 'maxPollTimeSeconds (0.1 s by default)');
});

test('the apply thread follows minFetchBytes and maxPollTimeSeconds, never asking more than one fetch may bring', async () => {
  const c = await consumerConfigFor(postgres, { minFetchBytes: 64 * 1024, maxPollTimeSeconds: 0.25 });
  assert.equal(c.minBytes, 64 * 1024);
  assert.equal(c.maxWaitTimeInMs, 250);
  const capped = await consumerConfigFor(postgres, { minFetchBytes: 4 * 1024 * 1024, maxBytes: 1024 * 1024 });
  assert.equal(capped.minBytes, 1024 * 1024, 'at most maxBytes');
});

test('a SQLite replica with the fetch thread off fills on the apply thread too', async () => {
  const c = await consumerConfigFor({ kind: 'sqlite', file: '/nonexistent/r.db' }, { fetchThread: 'off' });
  assert.equal(c.minBytes, 1024 * 1024);
});
