/**
 * The fetch thread (main/engine/source/fetch-thread.ts, its real worker) through real rebalances on the
 * shared stack's Kafka. While it reads a 3-partition topic into a slow apply, a second member joins its
 * group (the thread loses partitions, with batches of them read ahead and queued) and later leaves (it gets
 * them back). Each assignment asks the apply thread where its partitions start, and what was read ahead
 * before it is dropped: every partition must be applied offset after offset from 0 to its end, no record
 * skipped (a jump) or applied twice, however the rebalances fall between batches.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '../../main/engine/log.ts';
import { fetchThreadEntry, startFetchThread } from '../../main/engine/source/fetch-thread.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import { sleep, waitFor } from '../harness/util.ts';

const PARTITIONS = 3;
const PER_PARTITION = 4000;
const topic = `fetch-thread-rebalance-${process.pid}-${Date.now()}`;
let stack: Stack;

before(async () => {
  stack = await getSharedStack();
  const admin = stack.kafka.admin();
  await admin.connect();
  try { await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true }); } finally { await admin.disconnect(); }
  const producer = stack.kafka.producer();
  await producer.connect();
  try {
    for (let p = 0; p < PARTITIONS; p++) {
      for (let i = 0; i < PER_PARTITION; i += 500) {
        await producer.send({ topic, messages: Array.from({ length: 500 }, (_, j) => ({ partition: p, key: `k${p}-${i + j}`, value: JSON.stringify({ p, n: i + j, pad: 'x'.repeat(300) }) })) });
      }
    }
  } finally { await producer.disconnect(); }
});
after(async () => { await stopStack(); });

test('a member joining and leaving mid-stream: every partition applied once, offset after offset', { timeout: 180_000 }, async () => {
  // Small fetches and a small feed: many batches in flight and queued when the rebalances come.
  const settings = settingsSchema.parse({ tenant: { ctx: 't', brokers: stack.brokers }, replica: { kind: 'sqlite', file: 'unused.db' }, maxBytes: 64 * 1024, readAheadBytes: 512 * 1024, databaseBatchSize: 100 });
  const groupId = `${topic}-group`;
  const next = new Map<number, bigint>();
  const applied = new Map<number, number[]>();
  const problems: string[] = [];
  let assignments = 0;
  let slow = true;
  const quiet = createLogger('error', () => undefined);
  /** Partitions the thread held after each assignment. */
  const held: number[] = [];
  const log = { ...quiet, debug: (msg: string, fields?: Record<string, unknown>) => {
    if (msg !== 'cdc partitions assigned') return;
    assignments++;
    held.push(Array.isArray(fields?.partitions) ? fields.partitions.length : -1);
  } };
  const entry = fetchThreadEntry();
  assert.ok(entry, 'the fetch thread\'s entry file is found');
  const reader = await startFetchThread({
    kafka: stack.kafka, tenant: settings.tenant, topic, groupId, settings, log,
    hooks: {
      position: (p) => (next.get(p) ?? 0n).toString(),
      expected: (p) => next.get(p),
      onJump: async (p, expected, first) => { problems.push(`partition ${p}: expected ${expected}, got ${first}`); },
      onChunk: async (p, chunk) => {
        let list = applied.get(p);
        if (!list) { list = []; applied.set(p, list); }
        for (const m of chunk) list.push(Number(m.offset));
        next.set(p, BigInt(chunk[chunk.length - 1]!.offset) + 1n);
        if (slow) await sleep(150); // ~670 records/s: the stream is still going when the rebalances come
        return 'applied';
      },
      onFailed: (err) => { problems.push(`failed: ${(err as Error).message}`); },
      onBatchDone: () => undefined,
      onCrash: (message) => { problems.push(`crash: ${message}`); },
      stopping: () => false,
      paused: () => false,
    },
  }, entry);
  const total = (): number => [...applied.values()].reduce((n, l) => n + l.length, 0);
  const other = stack.kafka.consumer({ groupId, sessionTimeout: 20_000 });
  try {
    await waitFor(() => total() >= 1000, { timeoutMs: 60_000, what: 'a first 1,000 records applied' });
    const before = assignments;
    // The second member reads nothing it keeps and commits nothing: where a partition starts stays the apply thread's.
    await other.connect();
    await other.subscribe({ topic, fromBeginning: false });
    await other.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    await waitFor(() => assignments > before, { timeoutMs: 60_000, what: 'the thread reassigned after a member joined' });
    const midway = total();
    await sleep(2000);
    await other.disconnect();
    await waitFor(() => assignments > before + 1, { timeoutMs: 60_000, what: 'the thread reassigned after the member left' });
    slow = false;
    await waitFor(() => total() >= PARTITIONS * PER_PARTITION, { timeoutMs: 90_000, what: 'every record applied' });
    await sleep(500); // nothing more may arrive
    assert.ok(midway < PARTITIONS * PER_PARTITION, `the first rebalance came mid-stream (${midway} applied)`);
    assert.deepEqual(problems, []);
    for (let p = 0; p < PARTITIONS; p++) {
      const got = applied.get(p) ?? [];
      const firstWrong = got.findIndex((o, i) => o !== i);
      assert.equal(firstWrong, -1, `partition ${p}: offset ${got[firstWrong]} applied at position ${firstWrong}`);
      assert.equal(got.length, PER_PARTITION, `partition ${p}: ${got.length} records applied`);
    }
    assert.ok(assignments >= 3, `${assignments} assignments: the start, the join, the leave`);
    assert.ok(held.some((n) => n >= 0 && n < PARTITIONS), `the thread gave partitions to the second member (held after each assignment: ${held.join(', ')})`);
    assert.equal(held.at(-1), PARTITIONS, 'and took them all back when it left');
  } finally {
    await other.disconnect().catch(() => undefined);
    await reader.close();
  }
});
