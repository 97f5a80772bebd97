/**
 * The apply feed (main/engine/source/apply-feed.ts): batches fetched ahead are applied strictly in order,
 * in chunks, each from the replica's expected offset; what was read ahead never outlives its reading
 * (reset, close, a chunk that ends processing); the queue is bounded by bytes; a failure is handed to the
 * engine, not retried by refetching. Driven with plain messages and a fake apply that records offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KafkaMessage } from 'kafkajs';
import { ApplyFeed } from '../../main/engine/source/apply-feed.ts';
import type { FeedHooks } from '../../main/engine/source/apply-feed.ts';
import { createLogger } from '../../main/engine/log.ts';

const msgs = (from: number, n: number, size = 10): KafkaMessage[] =>
  Array.from({ length: n }, (_, i) => ({ offset: String(from + i), key: Buffer.from('k'), value: Buffer.alloc(size), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage);

interface Fake { hooks: FeedHooks; applied: string[][]; next: Map<number, bigint>; jumps: string[]; failed: unknown[]; gate: { hold: Promise<void> | null; open(): void }; result: 'applied' | 'stop'; throwAt: string | null }

function fake(): Fake {
  let release: () => void = () => undefined;
  const f: Fake = {
    applied: [], next: new Map(), jumps: [], failed: [], result: 'applied', throwAt: null,
    gate: { hold: null, open: () => release() },
    hooks: {
      expected: (p) => f.next.get(p),
      onJump: async (p, e, first) => { f.jumps.push(`${p}:${e}->${first}`); },
      onChunk: async (p, chunk) => {
        if (f.gate.hold) await f.gate.hold;
        if (f.throwAt !== null && chunk.some((m) => m.offset === f.throwAt)) throw new Error('control step failed for good');
        f.applied.push(chunk.map((m) => `${p}:${m.offset}`));
        f.next.set(p, BigInt(chunk[chunk.length - 1]!.offset) + 1n);
        return f.result;
      },
      onFailed: (err) => { f.failed.push(err); },
      onBatchDone: () => undefined,
      stopping: () => false,
      paused: () => false,
    },
  };
  f.gate.hold = null;
  const hold = (): void => { f.gate.hold = new Promise<void>((r) => { release = () => { f.gate.hold = null; r(); }; }); };
  (f as Fake & { holdNext: () => void }).holdNext = hold;
  return f;
}
const holdNext = (f: Fake): void => (f as Fake & { holdNext: () => void }).holdNext();
const settle = async (): Promise<void> => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); };
const drained = async (feed: ApplyFeed): Promise<void> => { for (let i = 0; i < 200 && feed.held() > 0; i++) await settle(); };
const live = (): boolean => true;
const hb = async (): Promise<void> => undefined;
const log = createLogger('error', () => undefined);

test('batches queued ahead are applied in order, in chunks, skipping offsets the replica already holds', async () => {
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 1_000_000, 3, log);
  f.next.set(0, 2n);
  assert.equal(await feed.push(0, msgs(0, 5), hb, live), true);
  assert.equal(await feed.push(0, msgs(5, 4), hb, live), true);
  assert.equal(await feed.push(1, msgs(0, 2), hb, live), true);
  await drained(feed);
  await feed.close();
  assert.deepEqual(f.applied, [['0:2', '0:3', '0:4'], ['0:5', '0:6', '0:7'], ['0:8'], ['1:0', '1:1']]);
  assert.deepEqual(f.jumps, []);
});

test('a batch that starts past the replica\'s next offset is told to the engine as a jump (gap or compaction) before it is applied', async () => {
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 1_000_000, 10, log);
  f.next.set(0, 3n);
  await feed.push(0, msgs(7, 2), hb, live);
  await drained(feed);
  await feed.close();
  assert.deepEqual(f.jumps, ['0:3->7']);
  assert.deepEqual(f.applied, [['0:7', '0:8']]);
});

test('reset (a rebalance or seek) drops what was read ahead; the chunk in flight finishes, nothing after it from the old reading', async () => {
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 1_000_000, 2, log);
  holdNext(f);
  await feed.push(0, msgs(0, 4), hb, live);
  await feed.push(0, msgs(4, 2), hb, live);
  await settle();
  feed.reset();
  f.gate.open();
  await settle();
  assert.deepEqual(f.applied, [['0:0', '0:1']], 'the in-flight chunk only: its batch\'s second chunk and the queued batch were dropped');
  // kafkajs reads again from the replica's position: the overlap is filtered, the rest applied once.
  await feed.push(0, msgs(1, 5), hb, live);
  await drained(feed);
  await feed.close();
  assert.deepEqual(f.applied.flat(), ['0:0', '0:1', '0:2', '0:3', '0:4', '0:5']);
});

test('a chunk that ends processing (lease lost, replica went back) closes the feed for good: nothing queued is applied, nothing more is accepted', async () => {
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 1_000_000, 2, log);
  f.result = 'stop';
  holdNext(f);
  await feed.push(0, msgs(0, 2), hb, live);
  await feed.push(0, msgs(2, 2), hb, live);
  f.gate.open();
  await settle();
  assert.equal(await feed.push(0, msgs(4, 2), hb, live), false);
  await feed.close();
  assert.deepEqual(f.applied, [['0:0', '0:1']]);
});

test('an apply that fails for good is handed to the engine once (it reads again), and the queue is dropped', async () => {
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 1_000_000, 2, log);
  f.throwAt = '2';
  await feed.push(0, msgs(0, 4), hb, live);
  await feed.push(0, msgs(4, 2), hb, live);
  await settle();
  assert.equal(f.failed.length, 1);
  assert.deepEqual(f.applied, [['0:0', '0:1']]);
  await feed.close();
  assert.deepEqual(f.applied, [['0:0', '0:1']]);
});

test('the queue is bounded by bytes: a push waits while the feed is full and goes in once there is room', async () => {
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 2_000, 100, log);
  holdNext(f);
  await feed.push(0, msgs(0, 10, 100), hb, live); // ~1,640 bytes in flight
  await settle();
  let second = false;
  const p = feed.push(0, msgs(10, 10, 100), hb, live).then((ok) => { second = ok; });
  await settle();
  assert.equal(second, false, 'waits while the in-flight batch holds the room');
  assert.ok(feed.held() <= 2_000);
  f.gate.open();
  await p;
  assert.equal(second, true);
  await drained(feed);
  await feed.close();
  assert.equal(f.applied.flat().length, 20);
});

test('a push whose reading went stale while it waited is not queued', async () => {
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 100, 100, log);
  holdNext(f);
  await feed.push(0, msgs(0, 2, 100), hb, live);
  await settle();
  let stale = false;
  const p = feed.push(0, msgs(2, 2, 100), hb, () => !stale);
  stale = true;
  feed.reset();
  assert.equal(await p, false);
  f.gate.open();
  await feed.close();
  assert.deepEqual(f.applied, [['0:0', '0:1']]);
});

test('close (stopping) applies nothing more that was queued: the next start reads it again from the replica\'s position', async () => {
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 1_000_000, 2, log);
  holdNext(f);
  await feed.push(0, msgs(0, 2), hb, live);
  await feed.push(0, msgs(2, 2), hb, live);
  await settle();
  const closing = feed.close();
  f.gate.open();
  await closing;
  assert.deepEqual(f.applied, [['0:0', '0:1']]);
  assert.equal(feed.held(), 0);
});

test('a batch pushed just as the drain finds the queue empty is still applied (no stranded batch, no stall)', async () => {
  // The push lands in the microtask right after the drain's last look at the queue, before its promise
  // settles: the old code saw a drain "running", started none, and the batch waited for another push
  // (which, with the feed full, never came: the engine stalled with maxBytes 1 MiB, found in a memory probe).
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 1_000, 10, log);
  let pushedLate: Promise<boolean> | null = null;
  f.hooks.onBatchDone = () => {
    if (pushedLate) return;
    queueMicrotask(() => { pushedLate = feed.push(0, msgs(3, 2), hb, live); });
  };
  await feed.push(0, msgs(0, 3), hb, live);
  await settle();
  assert.ok(pushedLate, 'the late push happened');
  assert.equal(await pushedLate, true);
  await drained(feed);
  assert.deepEqual(f.applied, [['0:0', '0:1', '0:2'], ['0:3', '0:4']], 'the late batch was applied');
  assert.equal(feed.held(), 0);
  // And the feed keeps going: a batch too big to share the feed with the late one goes in after it.
  assert.equal(await feed.push(0, msgs(5, 20, 40), hb, live), true);
  await drained(feed);
  assert.equal(f.applied.at(-1)?.at(-1), '0:24');
  await feed.close();
});

test('batches of one partition that follow each other are applied as one chunk (up to the chunk size); a gap is not merged over', async () => {
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 1_000_000, 10, log);
  holdNext(f);
  await feed.push(0, msgs(0, 2), hb, live); // in flight, held
  await settle();
  await feed.push(1, msgs(0, 3), hb, live);
  await feed.push(0, msgs(2, 3), hb, live);
  await feed.push(1, msgs(3, 3), hb, live);
  await feed.push(0, msgs(5, 4), hb, live);
  await feed.push(0, msgs(20, 2), hb, live); // starts past 8: a gap, its own turn
  await feed.push(0, msgs(22, 5), hb, live);
  await feed.push(1, msgs(6, 8), hb, live); // 6 + 8 > 10: not merged with the ones before
  f.gate.open();
  await drained(feed);
  await feed.close();
  const range = (p: number, from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `${p}:${from + i}`);
  assert.deepEqual(f.applied, [range(0, 0, 2), range(1, 0, 6), range(0, 2, 7), range(0, 20, 7), range(1, 6, 8)]);
  assert.deepEqual(f.jumps, ['0:9->20']);
});

test('a push compacts the batch before its bytes are counted', async () => {
  const f = fake();
  const seen: number[] = [];
  f.hooks.compact = (ms) => { for (const m of ms) m.value = Buffer.alloc(1); seen.push(ms.length); };
  const feed = new ApplyFeed(f.hooks, 1000, 100, log);
  holdNext(f);
  await feed.push(0, msgs(0, 5, 400), hb, live);
  await settle();
  // 5 × (1 + 1 + 64) bytes held: room for another batch whose raw size alone is beyond the limit.
  assert.equal(feed.held(), 5 * 66);
  assert.equal(await feed.push(0, msgs(5, 5, 400), hb, live), true);
  f.gate.open();
  await drained(feed);
  await feed.close();
  assert.deepEqual(seen, [5, 5]);
  assert.equal(f.applied.flat().length, 10);
});

test('a merged chunk that fails is applied not at all, nothing queued after it is applied, and a new reading from the replica\'s offset applies it once', async () => {
  const range = (p: number, from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `${p}:${from + i}`);
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 1_000_000, 10, log);
  holdNext(f);
  await feed.push(0, msgs(0, 2), hb, live);
  await settle();
  for (const [from, n] of [[2, 3], [5, 3], [8, 2]] as const) await feed.push(0, msgs(from, n), hb, live); // one chunk: 2..9
  await feed.push(0, msgs(10, 4), hb, live); // over the chunk size: the next turn
  f.throwAt = '6'; // the merged transaction fails (rolled back: nothing of it recorded)
  f.gate.open();
  await drained(feed);
  assert.deepEqual(f.applied, [range(0, 0, 2)]);
  assert.equal(f.failed.length, 1);
  assert.equal(f.next.get(0), 2n);
  await feed.close();
  // The engine reads again from what the replica holds, with a new feed.
  f.throwAt = null;
  const again = new ApplyFeed(f.hooks, 1_000_000, 10, log);
  for (const [from, n] of [[2, 3], [5, 3], [8, 2], [10, 4]] as const) await again.push(0, msgs(from, n), hb, live);
  await drained(again);
  await again.close();
  assert.deepEqual(f.applied.flat(), range(0, 0, 14)); // each offset once, in order
});

test('a merged chunk that ends processing (lease lost) is the last one applied from its feed', async () => {
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 1_000_000, 10, log);
  holdNext(f);
  await feed.push(0, msgs(0, 2), hb, live);
  await settle();
  for (const [from, n] of [[2, 3], [5, 3]] as const) await feed.push(0, msgs(from, n), hb, live);
  await feed.push(1, msgs(0, 3), hb, live);
  const chunk = f.hooks.onChunk;
  f.hooks.onChunk = async (p, ms, h) => { const r = await chunk(p, ms, h); return ms.length > 2 ? 'stop' : r; };
  f.gate.open();
  await drained(feed);
  const merged = ['0:2', '0:3', '0:4', '0:5', '0:6', '0:7'];
  assert.deepEqual(f.applied, [['0:0', '0:1'], merged]);
  assert.equal(await feed.push(0, msgs(8, 1), hb, live), false);
  await feed.close();
  assert.deepEqual(f.applied, [['0:0', '0:1'], merged]);
  assert.equal(f.failed.length, 0);
});

test('batches pushed while earlier pushes wait for room are queued in the order they were pushed', async () => {
  // The fetch thread sends batches without waiting for each to be taken, so several pushes wait for room
  // at once; woken together (or by their own timers), they went in swapped in a memory probe, and the
  // later batch, seen first, was taken for a jump: offsets 66008–66625 of a partition were skipped.
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 100, 100, log);
  holdNext(f);
  await feed.push(0, msgs(0, 1, 30), hb, live); // in flight, held: the feed is full
  await settle();
  const pushes = [feed.push(0, msgs(1, 1, 30), hb, live), feed.push(0, msgs(2, 1, 30), hb, live), feed.push(0, msgs(3, 1, 30), hb, live)];
  // A heartbeat that takes longer for the first waiter: without the order kept, a later one went in first.
  let beats = 0;
  const slowFirst = async (): Promise<void> => { if (beats++ === 0) await new Promise((r) => setTimeout(r, 50)); };
  pushes.push(feed.push(0, msgs(4, 1, 30), slowFirst, live), feed.push(0, msgs(5, 1, 30), hb, live));
  f.gate.open();
  assert.deepEqual(await Promise.all(pushes), [true, true, true, true, true]);
  await drained(feed);
  await feed.close();
  assert.deepEqual(f.applied.flat(), ['0:0', '0:1', '0:2', '0:3', '0:4', '0:5']);
  assert.deepEqual(f.jumps, [], 'no batch seen past the replica\'s next offset');
});

test('after a chunk fails, a batch pushed from the same reading is refused: nothing is applied past the failed one', async () => {
  const f = fake();
  const feed = new ApplyFeed(f.hooks, 1_000_000, 2, log);
  f.throwAt = '2';
  await feed.push(0, msgs(0, 4), hb, live);
  await drained(feed);
  assert.equal(f.failed.length, 1);
  // kafkajs (or the fetch thread) fetched on past the failed batch before the engine closed the reader.
  assert.equal(await feed.push(0, msgs(4, 2), hb, live), false);
  await settle();
  assert.deepEqual(f.applied, [['0:0', '0:1']]);
  assert.deepEqual(f.jumps, []);
  await feed.close();
});
