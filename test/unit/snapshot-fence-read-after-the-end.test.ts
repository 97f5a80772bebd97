/**
 * A full snapshot's `last` record, and a resync's scan end, do not hold the apply loop for the fence delay
 * (full-snapshot.ts fullSnapshotEnd / takeDueFence, notifications.ts and check.ts for resyncs): its transaction stores the end without a fence, the records after it
 * are applied at once, and the fence is read once the delay has passed, by the control loop. A kill in
 * between leaves the end stored without a fence: the next process reads it and the sweep runs as before.
 * Real processor, snapshot modules and an in-memory SQLite replica; rows read back with plain SQL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processMessages } from '../../main/engine/apply/processor.ts';
import type { EngineContext } from '../../main/engine/context.ts';
import { checkFences } from '../../main/engine/snapshot/check.ts';
import { fenceClock, observeWatermarks } from '../../main/engine/snapshot/fence.ts';
import { handleNotification } from '../../main/engine/snapshot/notifications.ts';
import { requestResync } from '../../main/engine/snapshot/resync.ts';
import { reconcileSweeps } from '../../main/engine/snapshot/sweep.ts';
import { loadReplicaState } from '../../main/engine/state/load-state.ts';
import { forgetReplicaState } from '../../main/engine/state/memory-reset.ts';
import { makeContext, Topic } from '../doubles/engine-context.ts';
import type { Step } from '../doubles/engine-context.ts';

const hb = async (): Promise<void> => undefined;
const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const snap = (table: Step['table'], list: number[], attempt: number, opts: { first?: boolean; last?: boolean; ts?: number } = {}): Step[] =>
  list.map((id, i) => ({ table, id, attempt, ts: opts.ts, snapshot: i === 0 && opts.first ? 'first' : i === list.length - 1 && opts.last ? 'last' : 'true' }));
const rowsOf = (ctx: EngineContext, table: string): number[] => {
  const db = (ctx.replica as unknown as { db: { prepare(sql: string): { all(): Array<Record<string, bigint | number>> } } }).db;
  return db.prepare(`SELECT CAST(${table}_id AS INTEGER) AS k FROM "${table}" ORDER BY 1`).all().map((r) => Number(r.k));
};
const storedEpisode = async (ctx: EngineContext): Promise<{ lastSeen?: boolean; fence?: unknown } | null> => {
  const row = (await ctx.replica.readState()).find((r) => r.id === 'fullsnapshot');
  return row ? JSON.parse(row.value) as { lastSeen?: boolean; fence?: unknown } : null;
};
const DELAY = 600_000;

/** The fence checks as the tick runs them, with every partition long quiet (the fence's time rule met). */
async function settle(ctx: EngineContext, topic: Topic): Promise<void> {
  observeWatermarks(ctx, new Map([[0, { partition: 0, low: '0', high: topic.offset.toString() }]]));
  for (const h of fenceClock(ctx).high.values()) h.since = 0;
  await checkFences(ctx);
}

/** A replica loaded by a first snapshot (sale 1–5, contact 1–5), then a blocking snapshot of sale with rows 1–2 only, its end applied with the fence delay long. */
async function endApplied(topic: Topic): Promise<{ ctx: EngineContext; ms: number }> {
  const ctx = await makeContext(topic);
  await processMessages(ctx, 0, [...snap('sale', ids(5), 1, { first: true, ts: 100 }), ...snap('contact', ids(5), 1, { last: true, ts: 100 })].map((s) => topic.message(s)), hb);
  await settle(ctx, topic);
  assert.equal(ctx.fullSnapshot, null, 'the first snapshot completed (no delay then)');
  ctx.settings.snapshotFenceDelayMs = DELAY;
  const t0 = Date.now();
  await processMessages(ctx, 0, [...snap('sale', [1, 2], 2, { first: true, last: true, ts: 200 }), { table: 'contact', id: 9, op: 'c', ts: 300 } as Step].map((s) => topic.message(s)), hb);
  return { ctx, ms: Date.now() - t0 };
}

describe('the full snapshot fence is read after the end, not while its transaction waits', () => {
  it('the end is stored without a fence and the records after it are applied at once; the fence is read once due, then the sweep runs', async () => {
    const topic = new Topic();
    const { ctx, ms } = await endApplied(topic);
    assert.ok(ms < DELAY / 10, `the batch holding the end did not wait for the fence delay (${ms} ms)`);
    assert.deepEqual(rowsOf(ctx, 'contact'), [1, 2, 3, 4, 5, 9], 'the record after the end is applied');
    assert.equal(ctx.nextOffsets.get(0), topic.offset, 'the offsets moved past the end and what follows');
    const stored = await storedEpisode(ctx);
    assert.deepEqual([stored?.lastSeen, stored?.fence], [true, null], 'the end is stored, its fence not yet');
    await settle(ctx, topic);
    assert.equal(ctx.fullSnapshot?.fence, null, 'not read before it is due');
    assert.deepEqual(rowsOf(ctx, 'sale'), ids(5), 'nothing swept before the fence');
    ctx.fullSnapshot!.fenceDueAt = Date.now() - 1; // the delay has passed
    await settle(ctx, topic);
    assert.deepEqual(rowsOf(ctx, 'sale'), [1, 2], 'the fence read and reached: sale swept to the attempt\'s rows');
    assert.equal(ctx.registry.get('crm_fixture.sale')!.state, 'ok');
    assert.equal(ctx.fullSnapshot, null, 'the episode completed');
    await ctx.replica.close();
  });

  it('killed after the end and before its fence was stored: the next process reads the fence and sweeps as before', async () => {
    const topic = new Topic();
    const { ctx } = await endApplied(topic);
    const before = ctx.registry.get('crm_fixture.sale')!.state;
    assert.ok(before === 'resyncing' || before === 'snapshotting', `sale is being snapshotted (${before})`);
    // The kill: memory gone, state read back from the replica.
    forgetReplicaState(ctx);
    await loadReplicaState(ctx);
    await reconcileSweeps(ctx, Boolean(ctx.fullSnapshot?.fence));
    assert.deepEqual([ctx.fullSnapshot?.lastSeen, ctx.fullSnapshot?.fence], [true, null], 'the end stored, no fence');
    assert.equal(ctx.registry.get('crm_fixture.sale')!.state, before, 'not given up, not swept');
    assert.deepEqual(rowsOf(ctx, 'sale'), ids(5), 'nothing deleted yet');
    ctx.fullSnapshot!.fenceDueAt = Date.now() - 1;
    await processMessages(ctx, 0, [topic.message({ table: 'contact', id: 10, op: 'c', ts: 400 })], hb);
    await settle(ctx, topic);
    assert.deepEqual(rowsOf(ctx, 'sale'), [1, 2], 'swept after the restart');
    assert.deepEqual(rowsOf(ctx, 'contact'), [1, 2, 3, 4, 5, 9, 10], 'contact untouched by the blocking snapshot of sale');
    assert.equal(ctx.fullSnapshot, null);
    await ctx.replica.close();
  });

  it('a snapshot started over after the end and before the fence: the fence of the older attempt is never read', async () => {
    const topic = new Topic();
    const { ctx } = await endApplied(topic);
    await processMessages(ctx, 0, snap('sale', [1, 2, 3], 3, { first: true, ts: 500 }).map((s) => topic.message(s)), hb);
    assert.deepEqual([ctx.fullSnapshot?.lastSeen, ctx.fullSnapshot?.fence], [false, null], 'the newer attempt runs');
    ctx.fullSnapshot!.fenceDueAt = Date.now() - 1;
    await settle(ctx, topic);
    assert.equal(ctx.fullSnapshot?.fence, null, 'no fence taken for an attempt whose end was not seen');
    assert.deepEqual(rowsOf(ctx, 'sale'), ids(5), 'nothing swept');
    await processMessages(ctx, 0, snap('sale', [4], 3, { last: true, ts: 501 }).map((s) => topic.message(s)), hb);
    ctx.fullSnapshot!.fenceDueAt = Date.now() - 1;
    await settle(ctx, topic);
    assert.deepEqual(rowsOf(ctx, 'sale'), [1, 2, 3, 4], 'swept to the newer attempt\'s rows');
    await ctx.replica.close();
  });
});

describe('a resync\'s fence is read after its scan ended, not while the notification is handled', () => {
  /** A loaded replica (sale 1–5); sale resynced, its scan delivering rows 1–2 and ending, with the fence delay long. */
  async function scanEnded(topic: Topic): Promise<{ ctx: EngineContext; ms: number }> {
    const ctx = await makeContext(topic);
    await processMessages(ctx, 0, [...snap('sale', ids(5), 1, { first: true, ts: 100 }), ...snap('contact', ids(5), 1, { last: true, ts: 100 })].map((s) => topic.message(s)), hb);
    await settle(ctx, topic);
    ctx.settings.snapshotFenceDelayMs = DELAY;
    await requestResync(ctx, ['crm_fixture.sale']);
    const signal = ctx.registry.get('crm_fixture.sale')!.sweep!.signalId!;
    // The connector takes the signal with its queue empty: STARTED, where the resync's scan begins.
    await ctx.loop.run('notification', () => handleNotification(ctx, { id: signal, aggregateType: 'Incremental Snapshot', type: 'STARTED', data: { data_collections: 'crm_fixture.sale' }, timestamp: Date.now() }));
    await processMessages(ctx, 0, [1, 2].map((id) => topic.message({ table: 'sale', id, snapshot: 'incremental', ts: 300 })), hb);
    const t0 = Date.now();
    await ctx.loop.run('notification', () => handleNotification(ctx, { id: signal, aggregateType: 'Incremental Snapshot', type: 'TABLE_SCAN_COMPLETED', data: { scanned_collection: 'crm_fixture.sale', status: 'SUCCEEDED', total_rows_scanned: '2' }, timestamp: Date.now() }));
    return { ctx, ms: Date.now() - t0 };
  }

  it('the scan\'s end is recorded at once, changes after it are applied, and the sweep runs once the fence is due and reached', async () => {
    const topic = new Topic();
    const { ctx, ms } = await scanEnded(topic);
    assert.ok(ms < DELAY / 10, `the notification's handling did not wait for the fence delay (${ms} ms)`);
    const sweep = ctx.registry.get('crm_fixture.sale')!.sweep!;
    assert.deepEqual([sweep.scan?.rows, sweep.fence], [2, null], 'the scan ended, its fence not yet read');
    await processMessages(ctx, 0, [topic.message({ table: 'contact', id: 9, op: 'c', ts: 400 })], hb);
    await settle(ctx, topic);
    assert.deepEqual(rowsOf(ctx, 'contact'), [1, 2, 3, 4, 5, 9], 'applied meanwhile');
    assert.deepEqual(rowsOf(ctx, 'sale'), ids(5), 'nothing swept before the fence');
    ctx.registry.get('crm_fixture.sale')!.sweep!.fenceDueAt = Date.now() - 1;
    await settle(ctx, topic);
    assert.deepEqual(rowsOf(ctx, 'sale'), [1, 2], 'swept to the scan\'s rows');
    assert.equal(ctx.registry.get('crm_fixture.sale')!.state, 'ok');
    await ctx.replica.close();
  });

  it('killed after the scan\'s end and before its fence: the next process reads the fence when due and sweeps', async () => {
    const topic = new Topic();
    const { ctx } = await scanEnded(topic);
    forgetReplicaState(ctx);
    await loadReplicaState(ctx);
    await reconcileSweeps(ctx, Boolean(ctx.fullSnapshot?.fence));
    const sweep = ctx.registry.get('crm_fixture.sale')!.sweep!;
    assert.deepEqual([sweep.scan?.rows, sweep.fence, typeof sweep.fenceDueAt], [2, null, 'number'], 'the end stored with its due time, no fence');
    assert.equal(ctx.registry.get('crm_fixture.sale')!.state, 'resyncing', 'not given up');
    await settle(ctx, topic);
    assert.deepEqual(rowsOf(ctx, 'sale'), ids(5), 'not swept before it is due');
    ctx.registry.get('crm_fixture.sale')!.sweep!.fenceDueAt = Date.now() - 1;
    await settle(ctx, topic);
    assert.deepEqual(rowsOf(ctx, 'sale'), [1, 2], 'swept after the restart');
    await ctx.replica.close();
  });
});
