/**
 * Starting the fetch thread (main/engine/source/fetch-thread.ts) with a real worker whose entry is
 * scripted: a thread that cannot run (its file throws on load, it exits) is FetchThreadUnavailable, so
 * the reader falls back to the apply thread (cdc-consumer.ts); a Kafka failure inside a running thread
 * comes back as the error kafkajs gave (its name kept, so it is retried as without the thread); a
 * started thread's batches reach the apply feed in order, and assignments get the replica's positions.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { KafkaMessage } from 'kafkajs';
import { createLogger } from '../../main/engine/log.ts';
import type { CdcConsumerOptions } from '../../main/engine/source/cdc-consumer.ts';
import { FetchThreadUnavailable, startFetchThread } from '../../main/engine/source/fetch-thread.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'tm-fetch-thread-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const packer = pathToFileURL(join(import.meta.dirname, '../../main/engine/source/packed-batch.ts')).href;
const compact = pathToFileURL(join(import.meta.dirname, '../../main/engine/decode/compact.ts')).href;
const entry = (name: string, body: string): URL => {
  const f = join(dir, `${name}.mjs`);
  writeFileSync(f, `import { parentPort } from 'node:worker_threads';\n${body}\n`);
  return pathToFileURL(f);
};

function options(applied: string[], positions: Map<number, string>): CdcConsumerOptions {
  const settings = settingsSchema.parse({ tenant: { ctx: 't', brokers: ['127.0.0.1:1'] }, replica: { kind: 'sqlite', file: join(dir, 'r.db') } });
  const next = new Map<number, bigint>();
  return {
    kafka: null as never, tenant: settings.tenant, topic: 't-cdc', groupId: 'g', settings, log: createLogger('error', () => undefined),
    hooks: {
      position: (p) => positions.get(p) ?? '0',
      expected: (p) => next.get(p),
      onJump: async () => { applied.push('jump'); },
      onChunk: async (p, chunk: KafkaMessage[]) => {
        for (const m of chunk) applied.push(`${p}:${m.offset}:${m.value?.toString() ?? 'null'}`);
        next.set(p, BigInt(chunk[chunk.length - 1]!.offset) + 1n);
        return 'applied';
      },
      onFailed: (err) => { applied.push(`failed ${(err as Error).message}`); },
      onBatchDone: () => undefined,
      onCrash: (message) => { applied.push(`crash ${message}`); },
      stopping: () => false,
      paused: () => false,
    },
  };
}

test('a thread whose file fails to load, or that exits before it is ready, is FetchThreadUnavailable', async () => {
  await assert.rejects(startFetchThread(options([], new Map()), entry('throws', 'throw new Error("cannot load here");')), (e: unknown) => e instanceof FetchThreadUnavailable && /cannot load here/.test((e as Error).message));
  await assert.rejects(startFetchThread(options([], new Map()), entry('exits', 'process.exit(3);')), (e: unknown) => e instanceof FetchThreadUnavailable && /code 3/.test((e as Error).message));
});

test('a Kafka failure in a running thread comes back with kafkajs\'s name, not as an unavailable thread', async () => {
  const e = await startFetchThread(options([], new Map()), entry('kafka-down', `parentPort.postMessage({ t: 'failed', name: 'KafkaJSConnectionError', message: 'Connection error: ECONNREFUSED', retriable: true });`)).then(() => null, (err: unknown) => err as Error & { retriable?: boolean });
  assert.ok(e && !(e instanceof FetchThreadUnavailable));
  assert.equal(e.name, 'KafkaJSConnectionError');
  assert.equal(e.retriable, true);
});

test('a started thread: assignments get the replica\'s positions, batches are applied in order, close ends the thread', async () => {
  const applied: string[] = [];
  const script = entry('feeds', `
    import { BatchPacker } from ${JSON.stringify(packer)};
    import { SchemaInterner } from ${JSON.stringify(compact)};
    const packer = new BatchPacker(new SchemaInterner());
    const msg = (o, v) => ({ offset: String(o), timestamp: '1', key: Buffer.from('k'), value: Buffer.from(v), headers: {} });
    parentPort.on('message', (m) => { if (m.t === 'close') { parentPort.postMessage({ t: 'closed' }); parentPort.close(); } });
    const shared = new SharedArrayBuffer(8 + 16);
    parentPort.postMessage({ t: 'joined', partitions: [0, 2], shared });
    Atomics.wait(new Int32Array(shared, 0, 1), 0, 0, 5000);
    const at = new BigInt64Array(shared, 8, 2);
    parentPort.postMessage({ t: 'ready' });
    const v = (o) => '{"schema":{"type":"string"},"payload":"v' + o + '"}';
    const start = Number(at[0]);
    for (let b = 0; b < 4; b++) {
      const batch = packer.pack(0, [0, 1, 2].map((i) => msg(start + 3 * b + i, v(start + 3 * b + i))));
      parentPort.postMessage({ t: 'batch', batch }, [batch.bytes]);
    }
    parentPort.postMessage({ t: 'log', level: 'debug', msg: 'positions ' + at[0] + ',' + at[1] });
  `);
  const reader = await startFetchThread(options(applied, new Map([[0, '40'], [2, '7']])), script);
  for (let i = 0; i < 200 && applied.length < 12; i++) await new Promise((r) => setTimeout(r, 10));
  await reader.close();
  assert.deepEqual(applied, Array.from({ length: 12 }, (_, i) => `0:${40 + i}:"v${40 + i}"`), 'from the replica\'s position, in order, payloads only');
});

test('a thread that dies after it started is one consumer crash (its error and its exit told once), and close still returns', async () => {
  const applied: string[] = [];
  const script = entry('dies', `
    parentPort.postMessage({ t: 'ready' });
    setTimeout(() => { throw new Error('out of memory in the fetch thread'); }, 20);
  `);
  const reader = await startFetchThread(options(applied, new Map()), script);
  for (let i = 0; i < 200 && !applied.length; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100)); // the exit follows the error: it must not be told again
  assert.deepEqual(applied, ['crash the fetch thread failed: out of memory in the fetch thread']);
  await reader.close();
});
