/**
 * `sync --until-caught-up` / `provision`: caught up with the topic is not caught up with the source while
 * the connector is still publishing (commands/caught-up.ts). A fake engine whose newest streamed change
 * moves on a script; short times so the rules run in milliseconds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineStatus } from '../../preload/contract/status.ts';
import { waitCaughtUp } from '../../main/commands/caught-up.ts';
import { noteStreamed, type StreamedChange } from '../../main/engine/source/connector-behind.ts';

const T = { settleMs: 40, quietMs: 120, lookMs: 3000, backlogMs: 30_000 };

/** A fake engine: `script(elapsedMs)` gives the newest streamed change at that moment; always caught up with the topic. */
function fake(script: (elapsed: number) => StreamedChange | null) {
  const t0 = Date.now();
  let applied = 0;
  let last: StreamedChange | null = null;
  const now = (): StreamedChange | null => {
    const n = script(Date.now() - t0);
    if (n && n.kafkaTs !== last?.kafkaTs) applied++;
    last = n;
    return n;
  };
  const status = (): EngineStatus => ({ state: 'streaming', lagEvents: 0, eventsApplied: applied, tables: [] } as unknown as EngineStatus);
  return {
    waitFor: async (pred: (s: EngineStatus) => boolean) => { now(); const s = status(); assert.ok(pred(s)); return s; },
    status: () => { now(); return status(); },
    newestStreamed: () => now(),
  };
}

async function run(script: (elapsed: number) => StreamedChange | null, timeoutMs = 5000) {
  const lines: string[] = [];
  const t0 = Date.now();
  await waitCaughtUp(fake(script), () => true, timeoutMs, { say: (l) => lines.push(l), json: false }, T);
  return { ms: Date.now() - t0, lines };
}

test('nothing streamed, or the newest change produced long ago: caught up at once', async () => {
  assert.ok((await run(() => null)).ms < T.settleMs);
  const old = Date.now() - 60_000;
  const r = await run(() => ({ kafkaTs: old, sourceTs: old - 500, behindMs: 500 }));
  assert.ok(r.ms < T.settleMs, `${r.ms} ms`);
  assert.deepEqual(r.lines, []);
});

test('a change produced a moment ago and nothing after it: one look after the settle time, no line', async () => {
  const k = Date.now();
  const r = await run(() => ({ kafkaTs: k, sourceTs: k - 800, behindMs: 800 }));
  assert.ok(r.ms >= T.settleMs && r.ms < T.quietMs, `${r.ms} ms`);
  assert.deepEqual(r.lines, []);
});

test('a steady stream from a current connector (newer commits after the look): caught up after one look', async () => {
  const k = Date.now();
  const r = await run((ms) => ({ kafkaTs: k + ms, sourceTs: k + ms - 700, behindMs: 700 }));
  assert.ok(r.ms >= T.settleMs && r.ms < T.quietMs, `${r.ms} ms`);
  assert.deepEqual(r.lines, []);
});

test('a large transaction still being published (more changes of one commit): waits until none comes for the quiet time', async () => {
  const k = Date.now();
  // Changes of the commit at k - 1000 keep coming for 300 ms, then none.
  const r = await run((ms) => { const at = k + Math.min(ms, 300); return { kafkaTs: at, sourceTs: k - 1000, behindMs: at - (k - 1000) }; });
  assert.ok(r.ms >= 300 + T.quietMs, `${r.ms} ms: returned while the transaction was being published`);
  assert.match(r.lines[0] ?? '', /still publishing: more changes of one source commit keep coming \(a large transaction\)/);
  assert.match(r.lines.at(-1) ?? '', /no change came for 0\.1 s: caught up with what the connector published/);
});

test('a connector behind (its change written seconds after the commit) that pauses longer than the settle time between batches: looked at again after the quiet time', async () => {
  const k = Date.now() - 5000; // the newest change read was produced 5 s ago, 5.8 s after its commit
  // Seen on the stack: a 60,000-row INSERT published in batches with a 2.5 s pause; here the next batch comes
  // 80 ms (2 × the settle time) after the first look, and the last 250 ms after it.
  const r = await run((ms) => { const at = ms < 80 ? k : k + 5000 + Math.min(ms, 250); return { kafkaTs: at, sourceTs: k - 5800, behindMs: at - (k - 5800) }; });
  assert.ok(r.ms >= 250 + T.quietMs, `${r.ms} ms: said caught up during the connector's pause`);
  assert.match(r.lines[0] ?? '', /a large transaction/);
});

test('a backlog (changes written long after their commit): waits until none comes, though each is a newer commit', async () => {
  const k = Date.now();
  const r = await run((ms) => { const at = k + Math.min(ms, 250); return { kafkaTs: at, sourceTs: at - 45_000, behindMs: 45_000 }; });
  assert.ok(r.ms >= 250 + T.quietMs, `${r.ms} ms`);
  assert.match(r.lines[0] ?? '', /wrote its newest change 45\.0 s after the source committed it \(a backlog\)/);
});

test('still publishing at the timeout: SNAPSHOT_TIMEOUT, not "caught up"', async () => {
  const k = Date.now();
  await assert.rejects(run((ms) => ({ kafkaTs: k + ms, sourceTs: k - 1000, behindMs: ms + 1000 }), 400), /SNAPSHOT_TIMEOUT|still publishing/);
});

test('no time left for a look while nothing is seen publishing: caught up with the topic, not a timeout', async () => {
  const k = Date.now();
  const r = await run(() => ({ kafkaTs: k, sourceTs: k - 500, behindMs: 500 }), 20);
  assert.ok(r.ms < T.settleMs, `${r.ms} ms`);
  assert.deepEqual(r.lines, []);
});

test('noteStreamed keeps the newest change by Kafka time, and skips unknown times', () => {
  const ctx: { newestStreamed?: StreamedChange } = {};
  noteStreamed(ctx, 2000, 1500);
  noteStreamed(ctx, 1000, 900); // read later from another partition, produced earlier
  noteStreamed(ctx, 3000, 0); // no source time
  assert.deepEqual(ctx.newestStreamed, { kafkaTs: 2000, sourceTs: 1500, behindMs: 500 });
  const kept = ctx.newestStreamed;
  noteStreamed(ctx, 2500, 2600); // the clocks a little apart: never negative
  assert.deepEqual(ctx.newestStreamed, { kafkaTs: 2500, sourceTs: 2600, behindMs: 0 });
  assert.equal(ctx.newestStreamed, kept, 'updated in place: no object per event');
});
