/**
 * The apply feed hands decoding ahead (main/engine/decode/decode-ahead.ts) the chunk that is applied next,
 * as the feed will form it: batches of a partition that continue each other are one chunk, and batches
 * that arrive while a chunk is written are given then (before, only the queue's head batch at the chunk's
 * start was: 6–19 % of the messages were decoded ahead in the memory probe).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KafkaMessage } from 'kafkajs';
import { ApplyFeed } from '../../main/engine/source/apply-feed.ts';
import type { FeedHooks } from '../../main/engine/source/apply-feed.ts';
import { createLogger } from '../../main/engine/log.ts';

const msgs = (p: number, from: number, n: number): KafkaMessage[] =>
  Array.from({ length: n }, (_, i) => ({ offset: String(from + i), key: Buffer.from(`p${p}`), value: Buffer.alloc(10), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage);
const names = (ms: KafkaMessage[]): string[] => ms.map((m) => `${m.key!.toString()}:${m.offset}`);
const settle = async (): Promise<void> => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); };
const live = (): boolean => true;
const hb = async (): Promise<void> => undefined;
const log = createLogger('error', () => undefined);

/** `aheads`: each call's messages; `pending`: what decode-ahead would hold (appended with `more`, else replaced; a message given twice fails). */
function harness(chunk: number): { feed: ApplyFeed; applied: string[][]; aheads: string[][]; pending: string[]; release: () => void } {
  let open: () => void = () => undefined;
  let held: Promise<void> | null = new Promise<void>((r) => { open = r; });
  const applied: string[][] = [];
  const aheads: string[][] = [];
  let pending: string[] = [];
  const hooks: FeedHooks = {
    expected: () => undefined,
    onJump: async () => undefined,
    onChunk: async (_p, ms) => {
      if (held) { const h = held; held = null; await h; } // the first chunk is held: the write in flight
      applied.push(names(ms));
      return 'applied';
    },
    onFailed: () => undefined,
    onBatchDone: () => undefined,
    ahead: (ms, more) => {
      aheads.push(names(ms));
      if (more) for (const n of names(ms)) { assert.ok(!pending.includes(n), `${n} given twice`); pending.push(n); }
      else pending = names(ms);
      h.pending = pending;
    },
    stopping: () => false,
    paused: () => false,
  };
  const h = { feed: new ApplyFeed(hooks, 1_000_000, chunk, log), applied, aheads, pending, release: () => open() };
  return h;
}

test('batches that arrive while a chunk is written are given to decode-ahead as the chunk they will make', async () => {
  const h = harness(10);
  await h.feed.push(0, msgs(0, 0, 3), hb, live); // applied at once, held
  await settle();
  assert.deepEqual(h.aheads, [], 'nothing queued behind the first chunk yet');
  await h.feed.push(0, msgs(0, 3, 4), hb, live);
  await h.feed.push(1, msgs(1, 0, 2), hb, live);
  await h.feed.push(0, msgs(0, 7, 7), hb, live); // 4 + 7 > 10 with the batch before: a chunk of its own
  await h.feed.push(0, msgs(0, 14, 2), hb, live);
  await settle();
  const expectNext = ['p0:3', 'p0:4', 'p0:5', 'p0:6'];
  assert.deepEqual(h.pending, expectNext, `given: ${JSON.stringify(h.aheads)}`);
  h.release();
  for (let i = 0; i < 50 && h.feed.held() > 0; i++) await settle();
  await h.feed.close();
  assert.deepEqual(h.applied[1], expectNext, 'what was decoded ahead is what was applied next');
  assert.deepEqual(h.applied, [['p0:0', 'p0:1', 'p0:2'], expectNext, ['p1:0', 'p1:1'], ['p0:7', 'p0:8', 'p0:9', 'p0:10', 'p0:11', 'p0:12', 'p0:13', 'p0:14', 'p0:15']]);
});

test('a partition\'s batches that continue each other are given as one chunk, up to the chunk size', async () => {
  const h = harness(8);
  await h.feed.push(2, msgs(2, 0, 1), hb, live);
  await settle();
  for (let from = 1; from < 20; from += 3) await h.feed.push(2, msgs(2, from, 3), hb, live);
  await settle();
  assert.deepEqual(h.pending, ['p2:1', 'p2:2', 'p2:3', 'p2:4', 'p2:5', 'p2:6'], 'two batches of 3 (a third would pass 8)');
  assert.deepEqual(h.aheads.slice(0, 2), [['p2:1', 'p2:2', 'p2:3'], ['p2:4', 'p2:5', 'p2:6']], 'each given once, as it arrived');
  const next = [...h.pending];
  h.release();
  for (let i = 0; i < 50 && h.feed.held() > 0; i++) await settle();
  await h.feed.close();
  assert.deepEqual(h.applied[1], next);
});

test('within a batch larger than a chunk, the next slice of the batch is given', async () => {
  const h = harness(4);
  await h.feed.push(0, msgs(0, 0, 10), hb, live);
  await settle();
  assert.deepEqual(h.aheads[0], ['p0:4', 'p0:5', 'p0:6', 'p0:7']);
  h.release();
  for (let i = 0; i < 50 && h.feed.held() > 0; i++) await settle();
  await h.feed.close();
  assert.deepEqual(h.aheads, [['p0:4', 'p0:5', 'p0:6', 'p0:7'], ['p0:8', 'p0:9']]);
  assert.deepEqual(h.applied, [['p0:0', 'p0:1', 'p0:2', 'p0:3'], ['p0:4', 'p0:5', 'p0:6', 'p0:7'], ['p0:8', 'p0:9']]);
});

test('a reset while a chunk is written (a rebalance, a seek) drops what was given: the new reading\'s batch replaces it', async () => {
  const h = harness(10);
  await h.feed.push(0, msgs(0, 0, 3), hb, live); // in flight, held
  await settle();
  await h.feed.push(0, msgs(0, 3, 4), hb, live);
  await settle();
  assert.deepEqual(h.pending, ['p0:3', 'p0:4', 'p0:5', 'p0:6']);
  h.feed.reset();
  await h.feed.push(0, msgs(0, 3, 2), hb, live); // read again from the replica's position
  await settle();
  assert.deepEqual(h.aheads.at(-1), ['p0:3', 'p0:4'], 'given again after the reset');
  assert.deepEqual(h.pending, ['p0:3', 'p0:4'], 'replacing, not appended to, what the dropped reading gave');
  h.release();
  for (let i = 0; i < 50 && h.feed.held() > 0; i++) await settle();
  await h.feed.close();
  assert.deepEqual(h.applied, [['p0:0', 'p0:1', 'p0:2'], ['p0:3', 'p0:4']]);
});
