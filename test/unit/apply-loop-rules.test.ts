/**
 * The apply loop's and the snapshot control plane's rules, as a table: each rule is a script of change
 * events (recorded MariaDB envelopes with their key, marker and attempt changed), notifications and
 * fence checks, run through the real processor, snapshot modules and an in-memory SQLite replica. The
 * expected rows are read back with plain SQL, not the product's reader.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processMessages } from '../../main/engine/apply/processor.ts';
import { addEntry } from '../../main/engine/schema/history-log.ts';
import type { EngineContext } from '../../main/engine/context.ts';
import { checkFences } from '../../main/engine/snapshot/check.ts';
import { fenceClock, observeWatermarks } from '../../main/engine/snapshot/fence.ts';
import { handleNotification } from '../../main/engine/snapshot/notifications.ts';
import { markResync, requestResync, resendStalledSignals, signalResync } from '../../main/engine/snapshot/resync.ts';
import { reconcileSweeps } from '../../main/engine/snapshot/sweep.ts';
import { recordGap } from '../../main/engine/snapshot/gaps.ts';
import { markStalledSnapshot } from '../../main/engine/snapshot/stall.ts';
import { recentWrites } from '../../main/engine/apply/recent-writes.ts';
import { loadReplicaState } from '../../main/engine/state/load-state.ts';
import { forgetReplicaState } from '../../main/engine/state/memory-reset.ts';
import { makeContext, Topic } from '../doubles/engine-context.ts';
import type { Step } from '../doubles/engine-context.ts';

type Action =
  | { events: Step[] }
  | { resync: string[] }
  /** Offsets moved on past unread records (reset-offsets): every named table resynced with a new seen set. */
  | { resyncFresh: string[] }
  /** `signal`: the id of the n-th signal the engine sent (else `id`, else the newest sweep's). */
  | { notify: { agg: 'Incremental Snapshot' | 'Initial Snapshot'; type: string; data?: Record<string, string>; id?: string; at?: string; signal?: number; sentAt?: number; timestamp?: number } }
  | { poison: string }
  /** A snapshot record whose row cannot be decoded (its JSON is intact). */
  | { poisonSnap: Step }
  /** The process stops and a new one starts: memory gone, state read back from the replica. */
  | { restart: true }
  /** This many records of partition 0 purged unread (offline longer than retention): the engine records the gap. */
  | { gap: number }
  /** Engine state changed by hand between steps. */
  | { tweak: (ctx: EngineContext, t: Topic) => void }
  /**
   * The stall checks run this many seconds from now (resync.ts resendStalledSignals, stall.ts
   * markStalledSnapshot); `behind`: the engine has records older than a minute unread.
   */
  | { stallCheckIn: number; behind?: boolean };

/**
 * `busy`: the topic's high watermark is seen to move when records are added (else it is as if every
 * partition had stood still for long: quiet, for the fence's time rule, snapshot/fence.ts).
 */
interface Rule { name: string; script: Action[]; rows: Record<string, number[]>; states?: Record<string, string>; check?: (ctx: EngineContext, t: Topic) => void | Promise<void>; setup?: (ctx: EngineContext) => void; busy?: boolean }

const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);
const snap = (table: Step['table'], list: number[], attempt: number, opts: { first?: boolean; last?: boolean; ts?: number } = {}): Step[] =>
  list.map((id, i) => ({ table, id, attempt, ts: opts.ts, snapshot: i === 0 && opts.first ? 'first' : i === list.length - 1 && opts.last ? 'last' : 'true' }));
/** An initial snapshot (attempt 1) of sale 1..5 and contact 1..5, complete. */
const initial: Action = { events: [...snap('sale', ids(5), 1, { first: true, ts: 100 }), ...snap('contact', ids(5), 1, { last: true, ts: 100 })] };
const incremental = (table: Step['table'], list: number[]): Action => ({ events: list.map((id) => ({ table, id, snapshot: 'incremental' })) });
const scanOf = (table: string, rows: number, status = 'SUCCEEDED') => ({ agg: 'Incremental Snapshot' as const, type: 'TABLE_SCAN_COMPLETED', data: { scanned_collection: `crm_fixture.${table}`, status, total_rows_scanned: String(rows) } });
const scan = (table: string, status: string, rows: number): Action => ({ notify: scanOf(table, rows, status) });
/** The wait of a failed scan for the history's DROP (SweepRecord.failing) is over. */
const graceOver: Action = { tweak: (ctx) => { for (const r of ctx.registry.all()) if (r.sweep?.failing) r.sweep.failing.dueAt = 0; } };
/** `<ctx>-notifications` (one partition) ends at `high` from now on: where signals sent from now are counted from. */
const notificationsEndAt = (high: number): Action => ({
  tweak: (ctx, t) => {
    (ctx.admin as unknown as { fetchTopicOffsets: (x: string) => Promise<unknown> }).fetchTopicOffsets = async (x) =>
      [{ partition: 0, low: '0', high: x === ctx.topics.notifications ? String(high) : x === ctx.topics.cdc ? t.offset.toString() : '0', offset: '0' }];
  },
});
/**
 * "Initial Snapshot" notifications: an attempt STARTED, then each table's scan SUCCEEDED with this many
 * rows. `timestamp`: Debezium's clock when it sent them (by default before the attempts' records of these rules).
 */
const scansReported = (rows: Record<string, number>, timestamp = 350): Action[] => [{ notify: { agg: 'Initial Snapshot', type: 'STARTED', timestamp } },
  ...Object.entries(rows).map(([table, n]): Action => ({ notify: { agg: 'Initial Snapshot', type: 'TABLE_SCAN_COMPLETED', data: { scanned_collection: `crm_fixture.${table}`, status: 'SUCCEEDED', total_rows_scanned: String(n) }, timestamp } }))];

const rules: Rule[] = [
  { name: 'initial snapshot on a fresh replica: every row, tables ok', script: [initial], rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'ok', contact: 'ok' } },
  {
    name: 'a table waiting for the initial snapshot (created from the history) is shown snapshotting from its first row, stored with it',
    script: [{ events: snap('sale', [1, 2], 1, { first: true, ts: 100 }) },
      { tweak: (ctx) => { const r = ctx.registry.get('crm_fixture.sale')!; r.state = 'pending'; ctx.registry.put(r); } },
      { events: snap('sale', [3], 1, { ts: 100 }) }, { restart: true },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')?.state, 'snapshotting', 'snapshotting once its rows arrive, after a restart too') },
      { events: [...snap('sale', [4, 5], 1, { ts: 100 }), ...snap('contact', ids(5), 1, { last: true, ts: 100 })] }],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'a resync whose scan shows no progress is marked RESYNC_STALLED and signalled again; the mark goes once its rows move, the resync ends ok',
    script: [initial, { resync: ['crm_fixture.sale'] }, { stallCheckIn: 30 },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.error, null, 'not stalled within resyncStallSeconds') },
      { stallCheckIn: 3600 },
      { tweak: (ctx, t) => {
        const r = ctx.registry.get('crm_fixture.sale')!;
        assert.equal(r.error?.code, 'RESYNC_STALLED', 'stalled after an hour with no progress');
        assert.equal(r.state, 'resyncing', 'still resyncing: nothing was deleted or given up');
        assert.match(r.error!.message, /no progress for 60 min/);
        assert.equal(t.sent.filter((x) => x.topic === ctx.topics.signal).length, 2, 'its signal was sent again');
      } },
      { restart: true },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.error?.code, 'RESYNC_STALLED', 'the mark is stored with the table') },
      { events: [{ table: 'sale', id: 1, snapshot: 'incremental' }] },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.error, null, 'its scan moved: no longer stalled') },
      { stallCheckIn: 3600 },
      { events: [{ table: 'sale', id: 2, snapshot: 'incremental' }] },
      { notify: scanOf('sale', 2) }, { notify: { agg: 'Incremental Snapshot', type: 'COMPLETED' } }],
    rows: { sale: [1, 2], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
    check: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.error, null, 'the ended resync carries no stall mark'),
  },
  {
    name: 'incremental snapshots paused at the source (PAUSED): the resync is marked RESYNC_PAUSED, not stalled and never signalled again while paused (after a restart too, and for a resync asked for meanwhile); RESUMED clears it, both end ok',
    script: [initial, { resync: ['crm_fixture.sale'] },
      { notify: { agg: 'Incremental Snapshot', type: 'PAUSED', data: { data_collections: 'crm_fixture.sale' } } },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.error?.code, 'RESYNC_PAUSED', 'paused, said at once') },
      { events: [{ table: 'sale', id: 1, snapshot: 'incremental' }] },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.error?.code, 'RESYNC_PAUSED', 'a row read before the pause (applied after its notification) does not end it') },
      { stallCheckIn: 3600 },
      { tweak: (ctx, t) => {
        const r = ctx.registry.get('crm_fixture.sale')!;
        assert.equal(r.error?.code, 'RESYNC_PAUSED', 'an hour paused is not a stall');
        assert.match(r.error!.message, /incremental snapshots are paused \(a pause-snapshot signal, .*No row is deleted while it waits/);
        assert.equal(t.sent.filter((x) => x.topic === ctx.topics.signal).length, 1, 'its signal was not sent again: that would queue one more whole scan');
      } },
      { restart: true },
      { tweak: (ctx) => {
        assert.ok(ctx.scansPaused, 'the pause is stored');
        assert.equal(ctx.registry.get('crm_fixture.sale')!.error?.code, 'RESYNC_PAUSED', 'and the mark with the table');
      } },
      { resync: ['crm_fixture.contact'] }, { stallCheckIn: 3600 },
      { tweak: (ctx, t) => {
        assert.equal(ctx.registry.get('crm_fixture.contact')!.error?.code, 'RESYNC_PAUSED', 'a resync asked for during the pause waits for it too');
        assert.equal(t.sent.filter((x) => x.topic === ctx.topics.signal).length, 2, 'one signal per resync, none again');
      } },
      { notify: { agg: 'Incremental Snapshot', type: 'RESUMED', data: { data_collections: 'crm_fixture.sale,crm_fixture.contact' } } },
      { restart: true },
      { tweak: (ctx) => {
        assert.equal(ctx.scansPaused, null, 'the resume is stored');
        assert.deepEqual(ctx.registry.all().map((r) => r.error?.code ?? null), [null, null], 'no mark once resumed');
      } },
      { stallCheckIn: 30 },
      { tweak: (ctx) => assert.deepEqual(ctx.registry.all().map((r) => r.error?.code ?? null), [null, null], 'the stall clock started again at the resume') },
      { events: [{ table: 'sale', id: 2, snapshot: 'incremental' }] },
      { notify: scanOf('sale', 2) },
      incremental('contact', ids(5)), { notify: scanOf('contact', 5) },
      { notify: { agg: 'Incremental Snapshot', type: 'COMPLETED' } }],
    rows: { sale: [1, 2], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'a PAUSED and its RESUMED read while the reader catches up on notifications written before it began: no resync is marked paused in between (no error said, no signal held back by the tick); read live, a PAUSED marks it at once',
    script: [initial, { resync: ['crm_fixture.sale'] },
      { tweak: (ctx) => {
        ctx.notifReplayEnd = new Map([[0, 10n]]);
        ctx.notifNext.set(0, 4n);
        said.length = 0;
        ctx.events.on('error', (x) => said.push(x.error.code));
      } },
      { notify: { agg: 'Incremental Snapshot', type: 'PAUSED', data: { data_collections: 'crm_fixture.project' } } },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.error, null, 'a pause read in the past is not put on a resync asked for now') },
      { stallCheckIn: 5 },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.error, null, 'nor by the tick while the reader is behind') },
      { notify: { agg: 'Incremental Snapshot', type: 'RESUMED', data: { data_collections: 'crm_fixture.project' } } },
      { tweak: (ctx) => { assert.deepEqual(said, [], 'no error said while catching up'); ctx.notifNext.set(0, 10n); } },
      { notify: { agg: 'Incremental Snapshot', type: 'PAUSED', data: { data_collections: 'crm_fixture.sale' } } },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.error?.code, 'RESYNC_PAUSED', 'caught up: a pause is marked at once') },
      { notify: { agg: 'Incremental Snapshot', type: 'RESUMED', data: { data_collections: 'crm_fixture.sale' } } },
      { events: [{ table: 'sale', id: 1, snapshot: 'incremental' }, { table: 'sale', id: 2, snapshot: 'incremental' }] },
      { notify: scanOf('sale', 2) }, { notify: { agg: 'Incremental Snapshot', type: 'COMPLETED' } }],
    rows: { sale: [1, 2], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    // Seen on the stack (a chaos run, 2026-12-06): a connector restart restored its queue without the scans
    // queued last; the replica's `reset-offsets` that followed let its own scans' ends pass as the lost ones'
    // and sixteen tables waited for a scan that never came.
    name: 'a connector restart lost its queue (a scan asked for never comes): STARTED of a later signal of this engine settles the lost one, so a fresh resync of the table takes its own scan\'s end, ok',
    script: [initial, { resync: ['crm_fixture.sale'] },
      { tweak: (ctx) => { queueRunning.delete(ctx); } }, // restarted: the queue is gone, no end of the first signal will come
      { resyncFresh: ['crm_fixture.sale'] }, // the connector takes it with its queue empty: STARTED
      incremental('sale', ids(5)), scan('sale', 'SUCCEEDED', 5)],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
    check: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.lastResync?.outcome, 'repaired'),
  },
  {
    name: 'a connector restart lost a resync\'s own scan: STARTED of a later signal of this engine (another table\'s) has its signal sent again; nothing swept, the table still resyncing',
    script: [initial, { resync: ['crm_fixture.sale'] },
      { tweak: (ctx) => { queueRunning.delete(ctx); } },
      { resync: ['crm_fixture.contact'] },
      { tweak: (ctx) => {
        const sale = ctx.registry.get('crm_fixture.sale')!;
        assert.equal(sale.sweep?.signalId, null, 'the lost signal is to be sent again (resendPendingSignals, at the tick)');
        assert.equal(sale.state, 'resyncing');
      } },
      incremental('contact', ids(5)), scan('contact', 'SUCCEEDED', 5)],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'resyncing', contact: 'ok' },
  },
  {
    name: 'a connector restart lost a resync\'s scan, and the queue ends on a later signal of this engine that joined another client\'s scans (no STARTED of ours): asked for again, not left stale',
    script: [initial, { resync: ['crm_fixture.sale'] },
      { tweak: (ctx) => { queueRunning.delete(ctx); } },
      { notify: { agg: 'Initial Snapshot', type: 'SKIPPED' } }, // what a task says at its start (seen on the stack at every restart)
      { tweak: (ctx) => { queueRunning.add(ctx); } }, // another client's scans running when the next signal comes: it joins them
      { resync: ['crm_fixture.contact'] }, { notify: scanOf('project', 3) }, // the other client's last scan ends: ours begins
      incremental('contact', ids(5)), scan('contact', 'SUCCEEDED', 5),
      { notify: { agg: 'Incremental Snapshot', type: 'COMPLETED', signal: 1 } },
      { tweak: (ctx) => {
        const sale = ctx.registry.get('crm_fixture.sale')!;
        assert.equal(sale.state, 'resyncing', `not failed: ${sale.staleReason}`);
        assert.equal(sale.sweep?.signalId, null, 'its signal is to be sent again (resendPendingSignals, at the tick)');
      } }],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'resyncing', contact: 'ok' },
  },
  {
    name: 'with no restart since its signal, a resync the queue\'s end leaves without its scan is stale (a stop-snapshot), nothing deleted',
    script: [initial, { tweak: (ctx) => { queueRunning.add(ctx); } }, { resync: ['crm_fixture.sale'] }, { resync: ['crm_fixture.contact'] },
      { notify: scanOf('project', 3) }, incremental('contact', ids(5)), scan('contact', 'SUCCEEDED', 5), { notify: { agg: 'Incremental Snapshot', type: 'COMPLETED', signal: 1 } }],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'stale', contact: 'ok' },
  },
  {
    name: 'another client\'s scan of the table was running when the resync\'s signal was sent (no STARTED, no scan end since): its end sweeps nothing (the rows it read before are kept); the resync ends on its own scan, begun at that end',
    script: [initial,
      { tweak: (ctx) => { queueRunning.add(ctx); } }, // the connector is scanning sale for another replica of the tenant: it says nothing on taking this signal
      { resync: ['crm_fixture.sale'] },
      incremental('sale', [3, 4, 5]), // the rest of that scan (it read 1 and 2 before this resync began)
      { notify: { ...scanOf('sale', 5), data: { ...scanOf('sale', 5).data, data_collections: 'crm_fixture.sale' } } }, // the queue named without this signal's scan: taken a moment later
      { tweak: (ctx) => {
        const r = ctx.registry.get('crm_fixture.sale')!;
        assert.equal(r.state, 'resyncing', 'not ended by the other scan');
        assert.equal(r.sweep?.scan ?? null, null, 'no scan end recorded for it');
      } },
      { tweak: (ctx) => { queueRunning.add(ctx); } }, // its own scan runs next, begun at that end: nothing said
      incremental('sale', [1, 2, 3, 4, 5]), scan('sale', 'SUCCEEDED', 5), { notify: { agg: 'Incremental Snapshot', type: 'COMPLETED' } }],
    rows: { sale: [1, 2, 3, 4, 5], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
    check: (ctx) => {
      const r = ctx.registry.get('crm_fixture.sale')!.lastResync!;
      assert.deepEqual([r.outcome, r.rowsReported, r.rowsDeleted], ['repaired', 5, 0], 'the report is the own scan\'s');
    },
  },
  {
    name: 'a scan end with another scan of the table still in the connector\'s queue behind it (a partial scan asked for by another client first): not the resync\'s end; the last one is',
    script: [initial, { resync: ['crm_fixture.sale'] },
      incremental('sale', [2]),
      { notify: { ...scanOf('sale', 1), data: { ...scanOf('sale', 1).data, data_collections: 'crm_fixture.sale,crm_fixture.sale' } } },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.sweep?.scan ?? null, null, 'the partial scan\'s end is not taken') },
      incremental('sale', [1, 2, 3]),
      { notify: { ...scanOf('sale', 3), data: { ...scanOf('sale', 3).data, data_collections: 'crm_fixture.sale' } } },
      { notify: { agg: 'Incremental Snapshot', type: 'COMPLETED' } }],
    rows: { sale: [1, 2, 3], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
    check: (ctx) => assert.deepEqual([ctx.registry.get('crm_fixture.sale')!.lastResync!.rowsReported, ctx.registry.get('crm_fixture.sale')!.lastResync!.rowsDeleted], [3, 2]),
  },
  {
    name: 'a resync stopped at the source mid-scan (stop-snapshot: COMPLETED, then ABORTED): stale with why, nothing deleted; its report gives no source figure (the running scan\'s estimate is none)',
    script: [initial, { resync: ['crm_fixture.sale'] },
      { events: [{ table: 'sale', id: 1, snapshot: 'incremental' }] },
      { notify: { agg: 'Incremental Snapshot', type: 'IN_PROGRESS', data: { data_collection: 'crm_fixture.sale', maximum_key: '[5]', last_processed_key: '[1]' } } },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.snapshot?.rowsExpected, 5, 'the progress estimate, from the scan\'s keys') },
      { notify: { agg: 'Incremental Snapshot', type: 'COMPLETED' } },
      { notify: { agg: 'Incremental Snapshot', type: 'ABORTED', id: 'stop-1', data: { data_collections: 'crm_fixture.sale' } } }],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'stale', contact: 'ok' },
    check: (ctx) => {
      const r = ctx.registry.get('crm_fixture.sale')!;
      assert.match(r.staleReason ?? '', /ended the resync without reporting a scan of crm_fixture\.sale to its end \(a stop-snapshot signal sent to it stops a resync so\)/);
      assert.equal(r.lastResync?.outcome, 'failed');
      assert.equal(r.lastResync?.rowsScanned, 1);
      assert.equal(r.lastResync?.rowsReported, null, 'no figure said to be the source\'s');
    },
  },
  {
    name: 'a resync queued behind another table\'s long scan is not stalled while that scan moves; once nothing moves, both are',
    script: [initial, { resync: ['crm_fixture.sale'] }, { resync: ['crm_fixture.contact'] },
      { tweak: (ctx) => { for (const r of ctx.registry.all()) { r.sweep!.startedAt -= 7_200_000; r.sweep!.progressAt = r.sweep!.startedAt; } } },
      { notify: { agg: 'Incremental Snapshot', type: 'IN_PROGRESS', data: { data_collection: 'crm_fixture.sale' } } },
      { stallCheckIn: 0 },
      { tweak: (ctx) => assert.deepEqual(ctx.registry.all().map((r) => r.error?.code ?? null), [null, null], 'neither stalled: sale\'s scan moves, contact waits behind it') },
      { stallCheckIn: 3600 },
      { tweak: (ctx) => assert.deepEqual(ctx.registry.all().map((r) => r.error?.code ?? null), ['RESYNC_STALLED', 'RESYNC_STALLED'], 'an hour with nothing moving: both') }],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'resyncing', contact: 'resyncing' },
  },
  {
    name: 'a full snapshot that delivers nothing for long marks the tables it owes SNAPSHOT_STALLED (not while the engine is behind); its next row clears them, it completes ok',
    script: [{ events: snap('sale', [1, 2], 1, { first: true, ts: 100 }) },
      { stallCheckIn: 3600, behind: true },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.error, null, 'not while the engine has old records unread') },
      { stallCheckIn: 3600 },
      { tweak: (ctx) => {
        const r = ctx.registry.get('crm_fixture.sale')!;
        assert.equal(r.error?.code, 'SNAPSHOT_STALLED', 'an hour without a row: stalled');
        assert.equal(r.state, 'snapshotting', 'still snapshotting');
      } },
      { restart: true },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.error?.code, 'SNAPSHOT_STALLED', 'the mark is stored') },
      { events: snap('sale', [3], 1, { ts: 100 }) },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.error, null, 'a row came: no longer stalled') },
      { events: [...snap('sale', [4, 5], 1, { ts: 100 }), ...snap('contact', ids(5), 1, { last: true, ts: 100 })] }],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
    check: (ctx) => assert.deepEqual(ctx.registry.all().map((r) => r.error), [null, null], 'no mark after the snapshot'),
  },
  {
    name: 'a full-snapshot stall stored by a process that was killed is said again, once, by the next process when it has seen the silence itself, dated from the stored start',
    script: [{ events: snap('sale', [1, 2], 1, { first: true, ts: 100 }) },
      { stallCheckIn: 3600 },
      { restart: true },
      { tweak: (ctx) => { said.length = 0; ctx.events.on('error', (x) => said.push(`${x.error.code} ${String((x.error.detail as { noRowSince?: unknown } | undefined)?.noRowSince)}`)); } },
      { stallCheckIn: 3600 },
      { tweak: () => assert.deepEqual(said, [], 'not before this process has seen the silence last the period') },
      { stallCheckIn: 7300 },
      { stallCheckIn: 11000 },
      { tweak: (ctx) => {
        assert.equal(said.length, 1, `said once: ${said.join(', ')}`);
        const stored = (ctx.registry.get('crm_fixture.sale')!.error!.detail as { noRowSince: string }).noRowSince;
        assert.equal(said[0], `SNAPSHOT_STALLED ${stored}`);
        assert.ok(Date.parse(stored) < Date.now() + 3_000_000, `dated from the first process's silence (${stored})`);
      } },
      { events: snap('sale', [3], 1, { ts: 100 }) },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.error, null, 'a row came: no longer stalled') },
      { events: [...snap('sale', [4, 5], 1, { ts: 100 }), ...snap('contact', ids(5), 1, { last: true, ts: 100 })] }],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'a resync is not marked stalled while the engine has old records unread (its rows may be among them)',
    script: [initial, { resync: ['crm_fixture.sale'] }, { stallCheckIn: 3600, behind: true },
      { tweak: (ctx, t) => {
        assert.equal(ctx.registry.get('crm_fixture.sale')!.error, null, 'not stalled');
        assert.equal(t.sent.filter((x) => x.topic === ctx.topics.signal).length, 1, 'its signal not sent again');
      } }],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'resyncing', contact: 'ok' },
  },
  {
    name: 'per key order: insert, update, delete, re-insert in one batch keep the last event',
    script: [initial, { events: [{ table: 'sale', id: 9, op: 'c' }, { table: 'sale', id: 9, op: 'u' }, { table: 'sale', id: 9, op: 'd' }, { table: 'sale', id: 2, op: 'd' }, { table: 'sale', id: 2, op: 'c' }] }],
    rows: { sale: ids(5), contact: ids(5) },
  },
  {
    name: 'a blocking snapshot of one table sweeps only that table',
    script: [initial, { events: snap('sale', [1, 2], 2, { first: true, last: true, ts: 200 }) }],
    rows: { sale: [1, 2], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
    check: (ctx) => {
      const r = ctx.registry.get('crm_fixture.sale')!.lastResync;
      assert.deepEqual([r?.rowsDeleted, r?.rowsBefore, r?.rowsAfter], [3, 5, 2], 'the report: 3 swept, 5 rows before, 2 after');
      assert.equal(ctx.registry.counter('crm_fixture.sale').rows, 2, 'the row figure is counted after the sweep, not left unknown');
    },
  },
  {
    name: 'a change produced after the snapshot began but read before its first record (another partition) is not swept',
    script: [initial, { events: [{ table: 'sale', id: 8, op: 'c', ts: 300 }, { table: 'sale', id: 9, op: 'c', ts: 500 }] },
      { events: snap('sale', [1, 2], 2, { first: true, last: true, ts: 400 }) }],
    rows: { sale: [1, 2, 9], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'a change produced before the snapshot began, read after its first record (a partition read behind), does not mark its row: its delete may never come',
    script: [initial, { events: [...snap('sale', [1, 2], 2, { first: true, ts: 400 }), { table: 'sale', id: 3, op: 'u', ts: 300 }, { table: 'sale', id: 7, op: 'c', ts: 350 },
      { table: 'sale', id: 8, op: 'c', ts: 450 }, ...snap('contact', ids(5), 2, { last: true, ts: 401 })] }],
    rows: { sale: [1, 2, 8], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'after a restart, changes produced between the two attempts do not mark (the older attempt\'s stream is not trusted)',
    script: [initial, { events: [...snap('sale', [1, 2, 3], 2, { first: true, ts: 200 }), ...snap('sale', [1], 3, { first: true, ts: 400 }),
      { table: 'sale', id: 3, op: 'u', ts: 300 }, ...snap('contact', ids(5), 3, { last: true, ts: 401 })] }],
    rows: { sale: [1], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'a change produced after the newer attempt began, applied (marked) before the restart was seen, survives the restart',
    script: [initial, { events: [...snap('sale', [1], 2, { first: true, ts: 200 }), { table: 'sale', id: 9, op: 'c', ts: 500 },
      { table: 'sale', id: 3, op: 'c', ts: 505 }, { table: 'sale', id: 3, op: 'd', ts: 510 }] },
      { events: snap('sale', [2, 6], 3, { first: true, last: true, ts: 400 }) }],
    rows: { sale: [2, 6, 9], contact: ids(5) },
  },
  {
    name: 'a snapshot started over after more rows were written ahead of it than the engine remembers: the table is not swept, it is stale with the retry command',
    setup: (ctx) => { recentWrites(ctx, 3); },
    script: [initial, { events: [...snap('sale', [1], 2, { first: true, ts: 200 }), ...[9, 10, 11, 12].map((id, i): Step => ({ table: 'sale', id, op: 'c', ts: 500 + i }))] },
      { events: snap('sale', [2, 6], 3, { first: true, last: true, ts: 400 }) }],
    rows: { sale: [1, 2, 3, 4, 5, 6, 9, 10, 11, 12], contact: ids(5) }, states: { sale: 'stale', contact: 'ok' },
    check: (ctx) => assert.match(ctx.registry.get('crm_fixture.sale')!.staleReason ?? '', /cannot all be known: more than the 3 the engine remembers.*no row was deleted.*resync-tables crm_fixture\.sale/),
  },
  {
    name: 'the same, with every one of those rows remembered: the sweep keeps them and the table is ok',
    script: [initial, { events: [...snap('sale', [1], 2, { first: true, ts: 200 }), ...[9, 10, 11, 12].map((id, i): Step => ({ table: 'sale', id, op: 'c', ts: 500 + i }))] },
      { events: snap('sale', [2, 6], 3, { first: true, last: true, ts: 400 }) }],
    rows: { sale: [2, 6, 9, 10, 11, 12], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'a ring that forgot only rows older than the attempt sweeps as before',
    setup: (ctx) => { recentWrites(ctx, 3); },
    script: [initial, { events: [...snap('sale', [1], 2, { first: true, ts: 200 }), { table: 'sale', id: 9, op: 'c', ts: 500 }] },
      { events: snap('sale', [2, 6], 3, { first: true, last: true, ts: 400 }) }],
    rows: { sale: [2, 6, 9], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'a row written ahead of the attempt by a process that then stopped: the next process does not sweep the table',
    script: [initial, { events: [...snap('sale', [1], 2, { first: true, ts: 200 }), { table: 'sale', id: 9, op: 'c', ts: 500 }] }, { restart: true },
      { events: snap('sale', [2, 6], 3, { first: true, last: true, ts: 400 }) }],
    rows: { sale: [1, 2, 3, 4, 5, 6, 9], contact: ids(5) }, states: { sale: 'stale', contact: 'ok' },
    check: (ctx) => assert.match(ctx.registry.get('crm_fixture.sale')!.staleReason ?? '', /written before the engine last started.*no row was deleted/),
  },
  {
    name: 'a process restarted before an attempt, having written nothing newer than it, sweeps as before',
    script: [initial, { events: snap('sale', [1, 2, 3], 2, { first: true, ts: 200 }) }, { restart: true },
      { events: [...snap('sale', [1], 3, { first: true, ts: 400 }), ...snap('contact', ids(5), 3, { last: true, ts: 401 })] }],
    rows: { sale: [1], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'a snapshot Debezium starts over: the newer attempt decides, late records of the older one never mark',
    script: [initial, { events: [...snap('sale', [1, 2, 3, 4], 2, { first: true, ts: 200 }), ...snap('sale', [1, 2], 3, { first: true, ts: 300 }), ...snap('sale', [5], 2, { ts: 201 }), ...snap('contact', ids(5), 3, { last: true, ts: 301 })] }],
    rows: { sale: [1, 2], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'interleaved attempts (records of two attempts alternate): exactly the rows of the newer attempt remain',
    script: [initial, { events: [
      ...snap('sale', [1], 2, { first: true, ts: 200 }), ...snap('sale', [1], 3, { first: true, ts: 300 }), ...snap('sale', [2], 2, { ts: 201 }),
      ...snap('sale', [2, 3], 3, { ts: 301 }), ...snap('sale', [4], 2, { ts: 202 }), ...snap('contact', [1, 2, 3], 3, { last: true, ts: 302 }),
    ] }],
    rows: { sale: [1, 2, 3], contact: [1, 2, 3] }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'a resync whose scan fails deletes nothing and leaves the table stale',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]), scan('sale', 'SQL_EXCEPTION', 2), graceOver],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'stale', contact: 'ok' },
    check: (ctx) => {
      const r = ctx.registry.get('crm_fixture.sale')!;
      assert.match(r.staleReason ?? '', /SQL_EXCEPTION.*no row was deleted.*resync-tables crm_fixture\.sale/);
      assert.equal(r.lastResync?.outcome, 'failed');
    },
  },
  {
    // A DROP at the source while the resync scans: the scan's next chunk fails (SQL_EXCEPTION, or
    // UNKNOWN_SCHEMA) often before the connector's log reader reaches the DROP. Told at once, the table was
    // stale (resync-tables exit 5) until the DROP was read a moment later.
    name: 'a scan failure a DROP would explain is not told before the schema history had time to show one: still resyncing, nothing deleted',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]), scan('sale', 'UNKNOWN_SCHEMA', 2), { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: ids(5), contact: ids(6) }, states: { sale: 'resyncing' },
    check: (ctx) => {
      const r = ctx.registry.get('crm_fixture.sale')!;
      assert.match(r.sweep?.failing?.why ?? '', /UNKNOWN_SCHEMA \(the connector no longer knows the table/);
      assert.ok((r.sweep?.failing?.dueAt ?? 0) > Date.now(), 'failed later');
    },
  },
  {
    name: 'the same once the grace is over: stale with why, nothing deleted',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]), scan('sale', 'UNKNOWN_SCHEMA', 2), graceOver, { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: ids(5), contact: ids(6) }, states: { sale: 'stale' },
    check: (ctx) => assert.match(ctx.registry.get('crm_fixture.sale')!.staleReason ?? '', /UNKNOWN_SCHEMA.*no row was deleted/),
  },
  {
    name: 'a scan failure no DROP explains (NO_PRIMARY_KEY) is told at once: stale, nothing deleted',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]), scan('sale', 'NO_PRIMARY_KEY', 2)],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'stale' },
    check: (ctx) => assert.match(ctx.registry.get('crm_fixture.sale')!.staleReason ?? '', /NO_PRIMARY_KEY.*no row was deleted/),
  },
  {
    name: 'a failed resync, retried: the retry sweeps and the table is ok again',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1]), scan('sale', 'SQL_EXCEPTION', 1),
      { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2, 4]), scan('sale', 'SUCCEEDED', 3), { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: [1, 2, 4], contact: ids(6) }, states: { sale: 'ok' },
    check: (ctx) => { const r = ctx.registry.get('crm_fixture.sale')!; assert.equal(r.staleReason, null); assert.equal(r.lastResync?.rowsDeleted, 2); },
  },
  {
    name: 'a resync that succeeds sweeps what the scan did not deliver and reports it',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2, 3]), scan('sale', 'SUCCEEDED', 3), { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: [1, 2, 3], contact: ids(6) }, states: { sale: 'ok' },
    check: (ctx) => assert.deepEqual({ ...ctx.registry.get('crm_fixture.sale')!.lastResync, startedAt: 0, finishedAt: 0 }, { kind: 'incremental', outcome: 'repaired', startedAt: 0, finishedAt: 0, rowsScanned: 3, rowsReported: 3, rowsDeleted: 2, reason: null, rowsBefore: 5, rowsAfter: 3 }),
  },
  {
    name: 'two overlapping resyncs (Debezium reuses the newest signal id): both finish',
    script: [initial, { resync: ['crm_fixture.sale'] }, { resync: ['crm_fixture.contact'] }, incremental('sale', [1, 2]), incremental('contact', [5]),
      scan('sale', 'SUCCEEDED', 2), scan('contact', 'SUCCEEDED', 1), { events: [{ table: 'sale', id: 7, op: 'c' }] }],
    rows: { sale: [1, 2, 7], contact: [5] }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'a repeated resync of a table joins the running one (its seen set is not restarted)',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]), { resync: ['crm_fixture.sale'] }, incremental('sale', [3]), scan('sale', 'SUCCEEDED', 3), { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: [1, 2, 3], contact: ids(6) }, states: { sale: 'ok' },
  },
  {
    // Debezium queues a table once per signal naming it (no dedup) and scans in turn; its notifications carry
    // the newest signal's id, so the end of the repeated scan can only be told by counting.
    name: 'a resync begun while an earlier repeated scan still runs: that scan\'s end does not sweep it (rows it read before are kept)',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]), { resync: ['crm_fixture.sale'] }, incremental('sale', [3]),
      scan('sale', 'SUCCEEDED', 3), { events: [{ table: 'contact', id: 6, op: 'c' }] },
      incremental('sale', [1, 2]), { resync: ['crm_fixture.sale'] }, incremental('sale', [3]), scan('sale', 'SUCCEEDED', 3), { events: [{ table: 'contact', id: 7, op: 'c' }] }],
    rows: { sale: [1, 2, 3], contact: ids(7) }, states: { sale: 'resyncing' },
    check: (ctx) => {
      const r = ctx.registry.get('crm_fixture.sale')!;
      assert.equal(r.sweep?.fence, null, 'not fenced by the earlier scan');
      assert.deepEqual(r.sweep?.scansBefore, [], 'no earlier scan left');
      assert.deepEqual(r.scanSignals?.map((x) => x.id), [r.sweep?.signalId], 'its own scan is still to end');
    },
  },
  {
    // Seen on the stack (2026-12-06): two replicas of one tenant resynced the same tables; the second read
    // the first one's scan ends from `<ctx>-notifications` and took them for its own: "repaired: 60 snapshot
    // rows applied (source reported 100)", its sweep run on a scan that had not begun.
    name: 'a scan end stored in the notifications topic before the resync was asked for (another replica\'s resync) does not end it: nothing swept, still resyncing',
    script: [initial, notificationsEndAt(10), { resync: ['crm_fixture.sale'] }, incremental('sale', [1]),
      { notify: { ...scanOf('sale', 5), id: 'another-replica', at: '0:4' } }, { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: ids(5), contact: ids(6) }, states: { sale: 'resyncing' },
    check: (ctx) => {
      const r = ctx.registry.get('crm_fixture.sale')!;
      assert.deepEqual([r.sweep?.scan, r.sweep?.fence], [null, null], 'no scan end taken, no fence');
      assert.deepEqual(r.scanSignals?.map((x) => [x.id, x.after]), [[r.sweep?.signalId, { 0: '10' }]], 'its own scan still to end, counted with where the topic ended');
    },
  },
  {
    name: 'the same, then its own scan\'s end (stored after the signal): it sweeps what that scan did not deliver, and reports that scan\'s count',
    script: [initial, notificationsEndAt(10), { resync: ['crm_fixture.sale'] }, incremental('sale', [1]),
      { notify: { ...scanOf('sale', 5), id: 'another-replica', at: '0:4' } }, incremental('sale', [3]),
      { notify: { ...scanOf('sale', 2), at: '0:10' } }, { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: [1, 3], contact: ids(6) }, states: { sale: 'ok' },
    check: (ctx) => {
      const r = ctx.registry.get('crm_fixture.sale')!;
      assert.deepEqual([r.lastResync?.rowsScanned, r.lastResync?.rowsReported, r.lastResync?.rowsDeleted], [2, 2, 3]);
      assert.deepEqual(r.scanSignals, [], 'every scan asked for ended');
    },
  },
  {
    name: 'the same, then its own scan: it sweeps exactly what that scan did not deliver',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]), { resync: ['crm_fixture.sale'] }, incremental('sale', [3]),
      scan('sale', 'SUCCEEDED', 3), { events: [{ table: 'contact', id: 6, op: 'c' }] },
      incremental('sale', [1, 2]), { resync: ['crm_fixture.sale'] }, incremental('sale', [3]), scan('sale', 'SUCCEEDED', 3),
      incremental('sale', [1, 3]), scan('sale', 'SUCCEEDED', 2), { events: [{ table: 'contact', id: 7, op: 'c' }] }],
    rows: { sale: [1, 3], contact: ids(7) }, states: { sale: 'ok' },
    check: (ctx) => assert.deepEqual(ctx.registry.get('crm_fixture.sale')!.scanSignals, [], 'every scan asked for ended'),
  },
  {
    // Seen on the stack (CI, scenario d2): a table rebuilt twice in 56 ms; the first rebuild's scan ended and
    // Debezium reported its queue empty before it had taken the second rebuild's signal.
    name: 'the connector\'s queue empties before it took the resync\'s own signal (an older id): no signal sent again, its own scan ends it',
    script: [initial, { resync: ['crm_fixture.sale'] }, { tweak: (ctx) => { ctx.registry.get('crm_fixture.sale')!.sweep = null; } }, { resync: ['crm_fixture.sale'] },
      scan('sale', 'SUCCEEDED', 5), { notify: { agg: 'Incremental Snapshot', type: 'COMPLETED', signal: 0 } },
      { tweak: (ctx) => assert.notEqual(ctx.registry.get('crm_fixture.sale')!.sweep?.signalId ?? null, null, 'its signal is not to be sent again') },
      incremental('sale', [2, 3]), scan('sale', 'SUCCEEDED', 2), { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: [2, 3], contact: ids(6) }, states: { sale: 'ok' },
  },
  {
    // CI 2026-12-03 (scenario b2, SQLite): Debezium finished the first scan and reported its queue empty
    // (COMPLETED naming the first signal) before it took the second; counted as "nothing outstanding", the
    // third resync's sweep took the second scan's end and deleted 115 rows of 12,000.
    name: 'the queue emptied before the connector took a repeated signal: that signal\'s scan is still counted, its end does not sweep a later resync',
    script: [initial, { resync: ['crm_fixture.sale'] }, { resync: ['crm_fixture.sale'] }, incremental('sale', ids(5)), scan('sale', 'SUCCEEDED', 5),
      { notify: { agg: 'Incremental Snapshot', type: 'COMPLETED', signal: 0 } }, { events: [{ table: 'contact', id: 6, op: 'c' }] },
      incremental('sale', [1, 2]), { resync: ['crm_fixture.sale'] }, incremental('sale', [3, 4, 5]), scan('sale', 'SUCCEEDED', 5), { events: [{ table: 'contact', id: 7, op: 'c' }] }],
    rows: { sale: ids(5), contact: ids(7) }, states: { sale: 'resyncing' },
  },
  {
    // CI 2026-12-03 (scenario b2, SQLite): the scan's end overtook its last 1,082 rows in the connector's
    // producer; the fence, read 500 ms later, was reached before they were in the topic, and they were swept.
    name: 'a scan end read before its last rows are in the topic: not swept until a record sent after the end is applied',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]),
      { notify: { ...scanOf('sale', 3), sentAt: 5_000_000 } },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.state, 'resyncing', 'not swept at the fence alone') },
      { events: [{ table: 'sale', id: 3, snapshot: 'incremental', ts: 4_999_000 }] },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.state, 'resyncing', 'not swept by a record sent before the end') },
      { events: [{ table: 'contact', id: 6, op: 'c', ts: 5_000_001 }] }],
    rows: { sale: [1, 2, 3], contact: ids(6) }, states: { sale: 'ok' }, busy: true,
  },
  {
    name: 'a scan end handled twice (read again after a kill, or retried) is counted once',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]), { resync: ['crm_fixture.sale'] }, incremental('sale', [3]),
      { notify: { ...scanOf('sale', 3), at: '0:7' } }, { events: [{ table: 'contact', id: 6, op: 'c' }] },
      { resync: ['crm_fixture.sale'] }, { restart: true }, { notify: { ...scanOf('sale', 3), at: '0:8' } }, { notify: { ...scanOf('sale', 3), at: '0:8' } },
      { events: [{ table: 'contact', id: 7, op: 'c' }] }],
    rows: { sale: [1, 2, 3], contact: ids(7) }, states: { sale: 'resyncing' },
    check: (ctx) => {
      const r = ctx.registry.get('crm_fixture.sale')!;
      assert.deepEqual([r.scanSignals?.length, r.sweep?.scansBefore, r.sweep?.fence], [1, [], null], 'its own scan is still to end, and will end it');
    },
  },
  {
    name: 'an earlier scan that fails after a resync began does not fail it',
    script: [initial, { resync: ['crm_fixture.sale'] }, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2, 3, 4, 5]), scan('sale', 'SUCCEEDED', 5),
      { events: [{ table: 'contact', id: 6, op: 'c' }] }, { resync: ['crm_fixture.sale'] }, scan('sale', 'SQL_EXCEPTION', 0),
      incremental('sale', [2, 4]), scan('sale', 'SUCCEEDED', 2), { events: [{ table: 'contact', id: 7, op: 'c' }] }],
    rows: { sale: [2, 4], contact: ids(7) }, states: { sale: 'ok' },
    check: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.lastResync?.outcome, 'repaired'),
  },
  {
    name: 'a signal the broker took but whose send failed (or was cut by a kill) is counted: its scan\'s end does not sweep a later resync',
    // Counted only after the send returned, such a signal's scan went uncounted: its end was taken for the
    // next signal's, and a resync begun while the next scan ran was swept on that scan's end (rows 1 and 2
    // read before its seen set began, deleted).
    script: [initial, { tweak: (_, t) => { t.failAfterWrite = 1; } }, { resync: ['crm_fixture.sale'] }, { resync: ['crm_fixture.sale'] },
      incremental('sale', ids(5)), scan('sale', 'SUCCEEDED', 5), { events: [{ table: 'contact', id: 6, op: 'c' }] },
      { tweak: (ctx, t) => {
        assert.equal(t.sent.filter((x) => x.value.includes('crm_fixture.sale')).length, 2, 'two signals in the topic (the first one\'s send failed)');
        assert.equal(ctx.registry.get('crm_fixture.sale')!.state, 'ok', 'the first scan ended the resync');
      } },
      incremental('sale', [1, 2]), { resync: ['crm_fixture.sale'] }, incremental('sale', [3, 4, 5]), scan('sale', 'SUCCEEDED', 5), { events: [{ table: 'contact', id: 7, op: 'c' }] },
      { tweak: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.state, 'resyncing', 'the second scan\'s end let pass') },
      incremental('sale', ids(5)), scan('sale', 'SUCCEEDED', 5), { events: [{ table: 'contact', id: 8, op: 'c' }] }],
    rows: { sale: ids(5), contact: ids(8) }, states: { sale: 'ok' },
    check: (ctx) => assert.deepEqual(ctx.registry.get('crm_fixture.sale')!.scanSignals, [], 'every scan counted ended'),
  },
  {
    name: 'a resync that let an end pass as an earlier scan\'s, then the connector\'s queue empties: its scan is asked for again, nothing is deleted on a guess',
    // A scan counted that the connector never ran (a signal sent again over a stalled scan that was lost).
    // The connector busy with another client's scans when the resync's signal came: no STARTED (which would
    // say the lost scan was over: a connector restart lost its queue, below).
    script: [initial, { tweak: (ctx) => { ctx.registry.get('crm_fixture.sale')!.scanSignals = [{ id: 'lost', seq: 1 }]; queueRunning.add(ctx); } }, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]), scan('sale', 'SUCCEEDED', 2),
      { notify: { agg: 'Incremental Snapshot', type: 'COMPLETED' } }, { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: ids(5), contact: ids(6) }, states: { sale: 'resyncing' },
    check: (ctx, t) => {
      const r = ctx.registry.get('crm_fixture.sale')!;
      assert.equal(r.sweep?.signalId, null, 'its signal is to be sent again (by the tick)');
      assert.deepEqual(r.sweep?.scansBefore, []);
      assert.deepEqual(r.scanSignals, [], 'nothing counted any more');
      assert.equal(t.sent.filter((x) => x.value.includes('crm_fixture.sale')).length, 1, 'one signal so far');
    },
  },
  {
    name: 'TRUNCATE at the source empties the replica table; later inserts stay; the table is resynced, then ok',
    script: [initial, { events: [{ table: 'sale', id: 7, op: 'c' }, { table: 'sale', id: 0, op: 't' }, { table: 'sale', id: 9, op: 'c' }] },
      incremental('sale', [9]), scan('sale', 'SUCCEEDED', 1), { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: [9], contact: ids(6) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    // A truncate record has no key, so Debezium's producer puts it on any partition: records of the same
    // table produced before it can be read after it (a partition read behind), and records produced after
    // it can be read before it (a partition read ahead). Read order here: 9 (after), the truncate, 7
    // (before), 8 (same millisecond as the truncate: order unknown).
    name: 'a TRUNCATE read out of order with other partitions: nothing from before it comes back, the resync restores what came after',
    script: [initial, { events: [{ table: 'sale', id: 9, op: 'c', ts: 300 }, { table: 'sale', id: 0, op: 't', ts: 200 }, { table: 'sale', id: 7, op: 'c', ts: 150 },
      { table: 'sale', id: 3, op: 'u', ts: 120 }, { table: 'sale', id: 8, op: 'c', ts: 200 }] }],
    rows: { sale: [], contact: ids(5) }, states: { sale: 'resyncing', contact: 'ok' },
    check: (ctx, t) => {
      assert.match(ctx.registry.get('crm_fixture.sale')!.staleReason ?? '', /TRUNCATE/, 'the resync says why');
      assert.ok(t.sent.some((x) => x.value.includes('crm_fixture.sale')), 'a snapshot signal for sale was sent');
    },
  },
  {
    name: 'a TRUNCATE read out of order, then its resync: exactly the rows the source has after it',
    script: [initial, { events: [{ table: 'sale', id: 9, op: 'c', ts: 300 }, { table: 'sale', id: 0, op: 't', ts: 200 }, { table: 'sale', id: 7, op: 'c', ts: 150 },
      { table: 'sale', id: 8, op: 'c', ts: 200 }, { table: 'sale', id: 10, op: 'c', ts: 400 }] },
      incremental('sale', [8, 9]), scan('sale', 'SUCCEEDED', 2), { events: [{ table: 'contact', id: 6, op: 'c', ts: 500 }, { table: 'sale', id: 6, op: 'c', ts: 100 }] }],
    rows: { sale: [8, 9, 10], contact: ids(6) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'the snapshot\'s last record in a table not mirrored still ends the snapshot (tables ok, not snapshotting forever)',
    setup: (ctx) => { ctx.filter = (_schema, name) => (name === 'contact' ? 'excluded' : 'mirror'); },
    script: [{ events: [...snap('sale', ids(3), 1, { first: true, ts: 100 }), ...snap('contact', [1], 1, { last: true, ts: 100 })] },
      { events: [...snap('sale', [1, 2], 2, { first: true, ts: 200 }), ...snap('contact', [1], 2, { last: true, ts: 201 })] }],
    rows: { sale: [1, 2] }, states: { sale: 'ok' },
    check: (ctx) => assert.equal(ctx.fullSnapshot, null, 'the episode ended'),
  },
  {
    name: 'the snapshot\'s last record in a halted table still ends the snapshot; the other tables are swept',
    script: [initial, { poison: 'contact' }, { events: [...snap('sale', [1, 2], 2, { first: true, ts: 200 }), ...snap('contact', [1], 2, { last: true, ts: 201 })] }],
    rows: { sale: [1, 2], contact: ids(5) }, states: { sale: 'ok', contact: 'halted' },
    check: (ctx) => assert.equal(ctx.fullSnapshot, null, 'the episode ended'),
  },
  {
    // The table's later records are skipped once it is halted, so they mark nothing. Before: the sweep ran
    // on the halted table at the episode's end and deleted rows 3, 4 and 5, which the source still has.
    name: 'a table halted by a poison record in the middle of a full snapshot is not swept at its end: nothing deleted, still halted',
    script: [initial, ...scansReported({ sale: 4, contact: 5 }), { events: snap('sale', [1, 2], 2, { first: true, ts: 400 }) },
      { poisonSnap: { table: 'sale', id: 3, attempt: 2, ts: 400 } }, { events: [...snap('sale', [4], 2, { ts: 400 }), ...snap('contact', ids(5), 2, { last: true, ts: 401 })] }],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'halted', contact: 'ok' },
    check: (ctx) => assert.deepEqual([ctx.registry.get('crm_fixture.sale')!.lastResync?.outcome, ctx.registry.get('crm_fixture.sale')!.lastResync?.rowsDeleted], ['failed', 0]),
  },
  {
    name: 'a table halted by a poison event while its resync scans is not swept at the scan\'s end: nothing deleted, still halted',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]), { poison: 'sale' }, incremental('sale', [3, 4]), scan('sale', 'SUCCEEDED', 4)],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'halted', contact: 'ok' },
    check: (ctx) => assert.deepEqual([ctx.registry.get('crm_fixture.sale')!.lastResync?.outcome, ctx.registry.get('crm_fixture.sale')!.lastResync?.rowsDeleted], ['failed', 0]),
  },
  {
    name: 'a poison last record of the snapshot still ends it: kept as poison, its table halted, the other tables swept',
    script: [initial, { events: snap('sale', [1, 2], 2, { first: true, ts: 200 }) }, { poisonSnap: { table: 'contact', id: 1, attempt: 2, snapshot: 'last', ts: 201 } }],
    rows: { sale: [1, 2], contact: ids(5) }, states: { sale: 'ok', contact: 'halted' },
    check: (ctx) => assert.equal(ctx.fullSnapshot, null, 'the episode ended'),
  },
  {
    name: 'events of a table the history says was dropped since (read from a partition behind) do not bring it back',
    setup: (ctx) => {
      const def = { schema: 'crm_fixture', name: 'sale', columns: [], primaryKey: ['sale_id'] };
      ctx.schemaLog!.set('crm_fixture.sale', [{ pos: 1n, hash: 'h1', def, collection: 'crm_fixture.sale' }, { pos: 2n, hash: null, def: null, collection: 'crm_fixture.sale' }]);
    },
    script: [{ events: [...snap('contact', ids(5), 1, { first: true, last: true, ts: 100 }), { table: 'sale', id: 7, op: 'c' }, { table: 'sale', id: 8, op: 'u' }, { table: 'contact', id: 6, op: 'c' }] }],
    rows: { contact: ids(6) }, states: { contact: 'ok' },
    check: (ctx) => {
      assert.equal(ctx.registry.get('crm_fixture.sale'), undefined, 'no record for the dropped table');
      const db = (ctx.replica as unknown as { db: { prepare(sql: string): { all(): unknown[] } } }).db;
      assert.equal(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sale'`).all().length, 0, 'no replica table');
    },
  },
  {
    // The tenant resumed or the source restored while a table's resync scanned (offsets reset: Debezium's
    // incremental scan is lost with them). Row 1, marked by the scan, is gone at the source with no delete
    // event; the full snapshot that follows is the only witness. Before: the table was left out of the
    // full snapshot's sweep ("its own resync runs"), kept row 1 and stayed resyncing until its scan stalled.
    name: 'a full snapshot begun while a table\'s resync scans ends that resync: rows the scan marked before the attempt and the attempt did not deliver are swept',
    script: [initial, { resync: ['crm_fixture.sale'] }, { events: [1, 2].map((id): Step => ({ table: 'sale', id, snapshot: 'incremental', ts: 300 })) },
      { events: [...snap('sale', [2, 3], 2, { first: true, ts: 400 }), ...snap('contact', ids(5), 2, { last: true, ts: 401 })] }],
    rows: { sale: [2, 3], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
    check: (ctx) => {
      const r = ctx.registry.get('crm_fixture.sale')!;
      assert.equal(r.sweep, null, 'no sweep left running');
      assert.deepEqual([r.lastResync?.outcome, r.lastResync?.rowsDeleted, r.lastResync?.rowsBefore], ['repaired', 3, 5], 'the report: 3 swept, 5 rows when the resync began');
    },
  },
  {
    // A blocking snapshot of another table while a table's resync scans: the attempt does not stand for
    // the resynced table, whose seen set the episode replaced; so its resync starts over (a new seen set,
    // a new signal). The old scan's end passes (it was read in part before the new seen set began).
    name: 'a blocking snapshot of another table while a table\'s resync scans: that resync starts over, and only its new scan\'s end sweeps',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]),
      { events: snap('contact', [1, 2, 3], 2, { first: true, last: true, ts: 400 }) },
      incremental('sale', [4]), scan('sale', 'SUCCEEDED', 3),
      incremental('sale', [1, 4]), scan('sale', 'SUCCEEDED', 2), { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: [1, 4], contact: [1, 2, 3, 6] }, states: { sale: 'ok', contact: 'ok' },
    check: (ctx, t) => {
      assert.equal(t.sent.filter((x) => x.topic === ctx.topics.signal).length, 2, 'the resync\'s signal was sent again');
      assert.equal(ctx.registry.get('crm_fixture.sale')!.lastResync?.rowsDeleted, 3, 'the new scan\'s end swept 2, 3 and 5');
    },
  },
  {
    name: 'the same, ended before the new scan reported: the table is still resyncing, nothing swept on the old scan\'s end',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]),
      { events: snap('contact', [1, 2, 3], 2, { first: true, last: true, ts: 400 }) },
      incremental('sale', [4]), scan('sale', 'SUCCEEDED', 3), { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: ids(5), contact: [1, 2, 3, 6] }, states: { sale: 'resyncing', contact: 'ok' },
  },
  {
    // The scan's rows 3–5 were purged unread; its end came after (the notifications topic kept it). Before:
    // the sweep deleted 3, 4 and 5 and called the table ok (on the stack: all 3,000 rows of a table, scenario n).
    name: 'a resync whose scan records were purged unread (a gap) deletes nothing on its end: the table is stale',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]), { gap: 3 }, scan('sale', 'SUCCEEDED', 5)],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'stale', contact: 'stale' },
    check: (ctx) => {
      const r = ctx.registry.get('crm_fixture.sale')!;
      assert.equal(r.sweep, null, 'the resync ended');
      assert.deepEqual([r.lastResync?.outcome, r.lastResync?.rowsDeleted], ['failed', 0], 'reported failed, nothing deleted');
      assert.match(r.lastResync?.reason ?? '', /purged.*no row was deleted.*resync-tables crm_fixture\.sale/);
    },
  },
  {
    name: 'a full snapshot running when records are purged unread (a gap) sweeps nothing at its end: its tables are stale',
    script: [initial, { events: snap('sale', [1, 2], 2, { first: true, ts: 400 }) }, { gap: 3 }, { events: snap('contact', [1, 2], 2, { last: true, ts: 410 }) }],
    rows: { sale: ids(5), contact: ids(5) }, states: { sale: 'stale', contact: 'stale' },
    check: (ctx) => {
      assert.equal(ctx.fullSnapshot, null, 'the episode ended');
      assert.match(ctx.registry.get('crm_fixture.contact')!.lastResync?.reason ?? '', /may have been purged.*no row was deleted/);
    },
  },
  {
    // Offsets reset (or a tenant resumed) with nothing written at the source since the last snapshot: the
    // new attempt has the completed one's identity (same binlog position). Before: its records were taken
    // for late records of the completed attempt, applied as plain upserts, and nothing was swept.
    name: 'a snapshot repeated at the completed one\'s source position (produced after its last record) is a new attempt: it sweeps',
    script: [initial, { events: [...snap('sale', [1, 2], 1, { first: true, ts: 200 }), ...snap('contact', [1, 2, 3], 1, { last: true, ts: 201 })] }],
    rows: { sale: [1, 2], contact: [1, 2, 3] }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'a record of the completed attempt produced no later than its last record is a straggler: applied, nothing swept',
    script: [initial, { events: snap('sale', [9], 1, { ts: 100 }) }],
    rows: { sale: [...ids(5), 9], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    // Offline longer than retention while a full snapshot ran (source restored: sale holds 1, 2, 3, 6; 4
    // and 5 deleted with no event). Its records were purged on one partition, sale 1 and 3 among them,
    // while its first record kept on another starts the episode after the gap was recorded. Before: sale
    // was swept to 2 and 6 and called ok, rows 1 and 3 silently gone.
    name: 'a gap before a full snapshot whose records straddle the purge: a table short of the rows the source reported scanning is not swept (stale, nothing deleted); a table delivered whole is',
    script: [initial, { events: [{ table: 'sale', id: 6, op: 'c' }] }, { gap: 2 }, ...scansReported({ sale: 4, contact: 3 }),
      { events: [...snap('sale', [2, 6], 2, { ts: 400 }), ...snap('contact', [1, 2, 3], 2, { last: true, ts: 401 })] }],
    rows: { sale: [...ids(5), 6], contact: [1, 2, 3] }, states: { sale: 'stale', contact: 'ok' },
    check: (ctx) => {
      const r = ctx.registry.get('crm_fixture.sale')!;
      assert.deepEqual([r.lastResync?.outcome, r.lastResync?.rowsDeleted], ['failed', 0], 'reported failed, nothing deleted');
      assert.match(r.staleReason ?? '', /delivered 2 of the 4 rows the source reported scanning.*purged.*no row was deleted.*resync-tables crm_fixture\.sale/);
    },
  },
  {
    name: 'the same with no row counts reported (no notifications read) while the gap is unresolved: no table is swept',
    script: [initial, { events: [{ table: 'sale', id: 6, op: 'c' }] }, { gap: 2 },
      { events: [...snap('sale', [2, 6], 2, { ts: 400 }), ...snap('contact', [1, 2, 3], 2, { last: true, ts: 401 })] }],
    rows: { sale: [...ids(5), 6], contact: ids(5) }, states: { sale: 'stale', contact: 'stale' },
    check: (ctx) => assert.match(ctx.registry.get('crm_fixture.contact')!.staleReason ?? '', /purged unread and the source reported no row count.*no row was deleted/),
  },
  {
    name: 'a full snapshot after a gap that delivered every row the source reported scanning sweeps as usual',
    script: [initial, { events: [{ table: 'sale', id: 6, op: 'c' }] }, { gap: 2 }, ...scansReported({ sale: 2, contact: 3 }),
      { events: [...snap('sale', [2, 6], 2, { first: true, ts: 400 }), ...snap('contact', [1, 2, 3], 2, { last: true, ts: 401 })] }],
    rows: { sale: [2, 6], contact: [1, 2, 3] }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    // Two full snapshots back to back (offsets reset twice while the engine was away): the notification
    // reader, on its own, has read the second attempt's STARTED and a scan of 9 rows before the first
    // attempt's end is applied. The first is judged by its own reports (sale 3 rows).
    name: 'the next attempt\'s reports read before the running attempt ends do not judge it: it is held to its own',
    script: [initial, ...scansReported({ sale: 3, contact: 5 }, 350), ...scansReported({ sale: 9 }, 500),
      { events: [...snap('sale', [1, 2, 3], 2, { first: true, ts: 400 }), ...snap('contact', ids(5), 2, { last: true, ts: 401 })] }],
    rows: { sale: [1, 2, 3], contact: ids(5) }, states: { sale: 'ok', contact: 'ok' },
    check: (ctx) => assert.equal(ctx.registry.get('crm_fixture.sale')!.lastResync?.rowsReported, 3, 'the report is the attempt\'s own'),
  },
  {
    // autoResyncOnGap: the gap's resync is taken over by the full snapshot; the attempt came short for
    // sale, so its resync starts over (a new seen set, a new signal) and only its new scan's end sweeps.
    name: 'a resync taken over by a full snapshot that came short for its table starts over; its new scan sweeps',
    script: [initial, { gap: 2 }, { resync: ['crm_fixture.sale'] }, ...scansReported({ sale: 4, contact: 3 }),
      { events: [...snap('sale', [2], 2, { ts: 400 }), ...snap('contact', [1, 2, 3], 2, { last: true, ts: 401 })] },
      scan('sale', 'SUCCEEDED', 5), incremental('sale', [1, 2, 3, 6]), scan('sale', 'SUCCEEDED', 4), { events: [{ table: 'contact', id: 7, op: 'c' }] }],
    rows: { sale: [1, 2, 3, 6], contact: [1, 2, 3, 7] }, states: { sale: 'ok', contact: 'ok' },
    check: (ctx, t) => assert.equal(t.sent.filter((x) => x.topic === ctx.topics.signal).length, 2, 'the resync\'s signal was sent again'),
  },
  {
    name: 'a gap, then a resync: its new scan\'s end sweeps as usual (the old scan\'s end passes)',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]), { gap: 3 }, { resync: ['crm_fixture.sale'] }, scan('sale', 'SUCCEEDED', 5),
      incremental('sale', [1, 2, 4]), scan('sale', 'SUCCEEDED', 3), { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: [1, 2, 4], contact: [...ids(5), 6] }, states: { sale: 'ok', contact: 'stale' },
  },
  {
    // reset-offsets while a resync scans: records between the old position and the end are never applied,
    // so the running seen set misses their marks. Joined (before), the old scan's end swept 3, 4 and 5.
    name: 'offsets reset while a resync scans: the resync begins a new seen set; the old scan\'s end passes, the new one sweeps',
    script: [initial, { resync: ['crm_fixture.sale'] }, incremental('sale', [1, 2]), { resyncFresh: ['crm_fixture.sale'] }, scan('sale', 'SUCCEEDED', 5),
      incremental('sale', [1, 3]), scan('sale', 'SUCCEEDED', 2), { events: [{ table: 'contact', id: 6, op: 'c' }] }],
    rows: { sale: [1, 3], contact: [...ids(5), 6] }, states: { sale: 'ok', contact: 'ok' },
  },
  {
    name: 'a poison event halts only its table, is kept, and the offset moves past it',
    script: [initial, { poison: 'contact' }, { events: [{ table: 'sale', id: 8, op: 'c' }] }],
    rows: { sale: [...ids(5), 8], contact: ids(5) }, states: { sale: 'ok', contact: 'halted' },
    check: (ctx, t) => assert.equal(ctx.nextOffsets.get(0), t.offset, 'offset past the last event'),
  },
  {
    // Seen on the stack (2026-12-06): `info` went on saying "2 poison event(s) kept" after the resync that
    // repaired the tables they had halted.
    name: 'a table halted by a poison event and repaired by a resync: its poison rows go with the resync; another table\'s stay',
    script: [initial, { poison: 'contact' }, { poison: 'sale' }, { resync: ['crm_fixture.contact'] }, incremental('contact', [1, 2, 3]), scan('contact', 'SUCCEEDED', 3),
      { events: [{ table: 'sale', id: 9, op: 'c' }] }],
    rows: { sale: ids(5), contact: [1, 2, 3] }, states: { sale: 'halted', contact: 'ok' },
    check: async (ctx) => {
      const left = (await ctx.replica.readState('poison')).map((r) => r.id).sort();
      assert.deepEqual(left, [`poison-summary:crm_fixture.sale`, `poison:${ctx.topics.cdc}:0:11`], 'only the halted table\'s poison rows are left');
    },
  },
];

/** Contexts whose fake connector has an incremental snapshot running (its queue not empty). */
const queueRunning = new WeakSet<EngineContext>();
/** Signals the fake connector has taken, per context (a COMPLETED naming the n-th leaves those after it untaken). */
const signalsTaken = new WeakMap<EngineContext, number>();

/**
 * The connector takes the signals not taken yet, in order: with its queue empty the first starts an
 * incremental snapshot and it says STARTED naming that signal (the boundary a resync's own scan begins
 * at, and the end of every scan asked for before: notifications.ts); the rest, or all of them with a scan
 * running, join its queue and nothing is said.
 */
async function connectorTakes(ctx: EngineContext, topic: Topic): Promise<void> {
  const sent = topic.sent.filter((x) => x.topic === ctx.topics.signal).map((x) => (JSON.parse(x.value) as { id: string }).id);
  const taken = signalsTaken.get(ctx) ?? 0;
  if (sent.length <= taken) return;
  signalsTaken.set(ctx, sent.length);
  if (queueRunning.has(ctx)) return;
  queueRunning.add(ctx);
  await handleNotification(ctx, { id: sent[taken]!, aggregateType: 'Incremental Snapshot', type: 'STARTED', data: {}, timestamp: Date.now() });
}

/** Stall events said in a rule (the full-snapshot stall rule). */
const said: string[] = [];

async function run(rule: Rule): Promise<{ ctx: EngineContext; topic: Topic }> {
  const topic = new Topic();
  const ctx = await makeContext(topic);
  rule.setup?.(ctx);
  const hb = async () => undefined;
  for (const a of rule.script) {
    if ('events' in a) await processMessages(ctx, 0, a.events.map((s) => topic.message(s)), hb);
    else if ('resync' in a) await requestResync(ctx, a.resync);
    else if ('resyncFresh' in a) { const recs = await markResync(ctx, a.resyncFresh, null, { fresh: true }); await ctx.persist(ctx.registry.takeDirty()); await signalResync(ctx, recs); }
    else if ('tweak' in a) a.tweak(ctx, topic);
    else if ('stallCheckIn' in a) {
      const lag = a.behind ? { lagEvents: 500, lagSeconds: 120 } : { lagEvents: 0, lagSeconds: 0 };
      await resendStalledSignals(ctx, Date.now() + a.stallCheckIn * 1000, lag);
      await markStalledSnapshot(ctx, Date.now() + a.stallCheckIn * 1000, lag);
    }
    else if ('gap' in a) { const from = topic.offset; topic.offset += BigInt(a.gap); await recordGap(ctx, 0, from, topic.offset); }
    else if ('restart' in a) {
      forgetReplicaState(ctx);
      await loadReplicaState(ctx);
      await reconcileSweeps(ctx, Boolean(ctx.fullSnapshot?.fence));
    }
    else if ('poisonSnap' in a) {
      const m = topic.message(a.poisonSnap);
      const v = JSON.parse(m.value!.toString('utf8')) as { payload: { after: Record<string, unknown> } };
      v.payload.after.contact_id = 'not a number';
      m.value = Buffer.from(JSON.stringify(v));
      await processMessages(ctx, 0, [m], hb);
    }
    else if ('poison' in a) {
      const m = topic.message({ table: a.poison as Step['table'], id: 99, op: 'c' });
      m.value = Buffer.from(m.value!.toString('utf8').replace('"op":"c"', '"op":"c","after":{"contact_id":"not a number"},"x":'));
      await processMessages(ctx, 0, [m], hb);
    } else {
      const n = a.notify;
      const sent = topic.sent.filter((x) => x.topic === ctx.topics.signal).map((x) => (JSON.parse(x.value) as { id: string }).id);
      const signal = n.signal !== undefined ? sent[n.signal] : [...ctx.registry.all()].map((r) => r.sweep?.signalId).filter(Boolean).pop() ?? 'none';
      await handleNotification(ctx, { id: n.id ?? signal!, aggregateType: n.agg, type: n.type, data: n.data ?? {}, timestamp: n.timestamp ?? Date.now(), at: n.at, sentAt: n.sentAt });
      if (n.agg === 'Incremental Snapshot' && (n.type === 'COMPLETED' || n.type === 'ABORTED')) {
        queueRunning.delete(ctx);
        if (n.signal !== undefined) signalsTaken.set(ctx, n.signal + 1); // the queue emptied having taken up to that signal
      }
    }
    await connectorTakes(ctx, topic); // a signal sent in this step (a resync asked for, a TRUNCATE's)
    observeWatermarks(ctx, new Map([[0, { partition: 0, low: '0', high: topic.offset.toString() }]]));
    if (!rule.busy) for (const h of fenceClock(ctx).high.values()) h.since = 0; // every partition long quiet
    await checkFences(ctx);
  }
  return { ctx, topic };
}

describe('apply loop and snapshot rules (table)', () => {
  for (const rule of rules) {
    it(rule.name, async () => {
      const { ctx, topic } = await run(rule);
      const db = (ctx.replica as unknown as { db: { prepare(sql: string): { all(): Array<Record<string, bigint | number>> } } }).db;
      for (const [table, want] of Object.entries(rule.rows)) {
        const col = table === 'sale' ? 'sale_id' : 'contact_id';
        const got = db.prepare(`SELECT CAST(${col} AS INTEGER) AS k FROM "${table}" ORDER BY 1`).all().map((r) => Number(r.k));
        assert.deepEqual(got, want, `${table} rows`);
      }
      for (const [table, state] of Object.entries(rule.states ?? {})) assert.equal(ctx.registry.get(`crm_fixture.${table}`)?.state, state, `${table} state`);
      const stored = (await ctx.replica.readState()).find((r) => r.id === `offset:${ctx.topics.cdc}:0`);
      assert.equal(JSON.parse(stored!.value).next, topic.offset.toString(), 'the offset written with the rows is past the last event');
      await rule.check?.(ctx, topic);
      await ctx.replica.close();
    });
  }
});

describe('poison bookkeeping is bounded', () => {
  it('a flood of bad events of one table keeps the first ones whole and counts them all', async () => {
    const topic = new Topic();
    const ctx = await makeContext(topic);
    const bad = Array.from({ length: 25 }, (_, i) => {
      const m = topic.message({ table: 'contact', id: 100 + i, op: 'c' });
      m.value = Buffer.from(m.value!.toString('utf8').replace('"op":"c"', '"op":"c","x":'));
      return m;
    });
    await processMessages(ctx, 0, bad, async () => undefined);
    const rows = await ctx.replica.readState('poison');
    const kept = rows.filter((r) => r.id.startsWith('poison:'));
    const summary = rows.filter((r) => r.id.startsWith('poison-summary:')).map((r) => JSON.parse(r.value) as { count: number; kept: number; first: string; last: string });
    assert.equal(kept.length, 20, 'the first 20 are kept whole');
    assert.equal(summary.length, 1);
    assert.deepEqual([summary[0]!.count, summary[0]!.kept, summary[0]!.first, summary[0]!.last], [25, 20, `${ctx.topics.cdc}:0:0`, `${ctx.topics.cdc}:0:24`]);
    assert.equal(ctx.nextOffsets.get(0), 25n, 'the offset moves past every bad event');
    await ctx.replica.close();
  });
});

describe('events of tables not mirrored', () => {
  it('are dropped before decoding: a malformed event of an excluded table halts nothing', async () => {
    const topic = new Topic();
    const ctx = await makeContext(topic);
    ctx.filter = (_schema, name) => (name === 'contact' ? 'excluded' : 'mirror');
    const bad = topic.message({ table: 'contact', id: 1, op: 'c' });
    bad.value = Buffer.from(bad.value!.toString('utf8').replace('"op":"c"', '"op":"c","x":'));
    await processMessages(ctx, 0, [bad, topic.message({ table: 'sale', id: 1, op: 'c' })], async () => undefined);
    assert.equal((await ctx.replica.readState('poison')).length, 0, 'no poison kept');
    assert.deepEqual(ctx.registry.all().map((r) => r.name), ['sale'], 'only the mirrored table exists; nothing is halted');
    assert.ok(ctx.registry.all().every((r) => r.state !== 'halted'));
    assert.equal(ctx.nextOffsets.get(0), 2n);
    await ctx.replica.close();
  });
});

describe('events of a table the history says was dropped at the source since', () => {
  it('are skipped with one write per batch, not one per event (a fresh PostgreSQL replica replayed 80,000 of them at ~700 a second)', async () => {
    const topic = new Topic();
    const ctx = await makeContext(topic);
    addEntry(ctx.schemaLog!, 'crm_fixture.contact', 0n, null, 'crm_fixture.contact'); // DROP TABLE, read from the history
    let writes = 0;
    const apply = ctx.replica.apply.bind(ctx.replica);
    ctx.replica.apply = async (unit) => { writes++; return apply(unit); };
    const batch = [...Array.from({ length: 50 }, (_, i) => topic.message({ table: 'contact', id: i + 1, op: 'c' })), topic.message({ table: 'sale', id: 1, op: 'c' })];
    await processMessages(ctx, 0, batch, async () => undefined);
    assert.ok(writes <= 2, `${writes} writes for 50 skipped events and one applied`);
    assert.deepEqual(ctx.registry.all().map((r) => r.name), ['sale'], 'no ghost of the dropped table');
    assert.equal(ctx.nextOffsets.get(0), 51n, 'the offset moves past every skipped event');
    await ctx.replica.close();
  });
});

describe('a kill between a sweep and its record (reconcileSweeps on start)', () => {
  const hb = async () => undefined;
  const rowsOf = (ctx: EngineContext, table: string): number[] => {
    const db = (ctx.replica as unknown as { db: { prepare(sql: string): { all(): Array<Record<string, bigint | number>> } } }).db;
    return db.prepare(`SELECT CAST(${table}_id AS INTEGER) AS k FROM "${table}" ORDER BY 1`).all().map((r) => Number(r.k));
  };

  it('a full snapshot\'s sweep that committed before its record was written is done, not redone over a missing seen set', async () => {
    const topic = new Topic();
    const ctx = await makeContext(topic);
    await processMessages(ctx, 0, [...snap('sale', ids(5), 1, { first: true, ts: 100 }), ...snap('contact', ids(5), 1, { last: true, ts: 100 })].map((s) => topic.message(s)), hb);
    const attempt = [...snap('sale', [1, 2], 2, { first: true, ts: 200 }), ...snap('contact', ids(4), 2, { last: true, ts: 201 })].map((s) => topic.message(s));
    const later = topic.message({ table: 'contact', id: 3, op: 'u', ts: 300 }); // produced before the end was seen: inside the fence
    await processMessages(ctx, 0, attempt, hb);
    assert.ok(ctx.fullSnapshot?.fence, 'the attempt ended: fence taken, not yet reached');
    // The kill: sale's sweep committed (rows deleted, seen set dropped), its record and the rest not yet.
    assert.equal(await ctx.replica.finishSweep(ctx.registry.get('crm_fixture.sale')!.def), 3);
    await reconcileSweeps(ctx, true);
    assert.equal(ctx.registry.get('crm_fixture.sale')!.sweep, null, 'sale is recorded as swept');
    await processMessages(ctx, 0, [later], hb); // reaches the fence: the sweeps run
    assert.deepEqual(rowsOf(ctx, 'sale'), [1, 2]);
    assert.deepEqual(rowsOf(ctx, 'contact'), ids(4), 'contact is swept as before');
    assert.deepEqual(['sale', 'contact'].map((t) => ctx.registry.get(`crm_fixture.${t}`)!.state), ['ok', 'ok'], 'neither halted');
    assert.equal(ctx.fullSnapshot, null);
    await ctx.replica.close();
  });

  it('a resync whose seen set is gone before its scan ended deletes nothing: the table is stale with the retry command', async () => {
    const topic = new Topic();
    const ctx = await makeContext(topic);
    await processMessages(ctx, 0, [...snap('sale', ids(5), 1, { first: true, ts: 100 }), ...snap('contact', ids(5), 1, { last: true, ts: 100 })].map((s) => topic.message(s)), hb);
    await requestResync(ctx, ['crm_fixture.sale']);
    await processMessages(ctx, 0, [1, 2].map((id) => topic.message({ table: 'sale', id, snapshot: 'incremental' })), hb);
    await ctx.replica.cancelSweep(ctx.registry.get('crm_fixture.sale')!.def);
    await reconcileSweeps(ctx, false);
    const r = ctx.registry.get('crm_fixture.sale')!;
    assert.equal(r.state, 'stale');
    assert.match(r.staleReason ?? '', /interrupted.*no row was deleted.*resync-tables crm_fixture\.sale/);
    await processMessages(ctx, 0, [topic.message({ table: 'sale', id: 3, op: 'u' })], hb);
    assert.deepEqual(rowsOf(ctx, 'sale'), ids(5), 'nothing deleted, later writes apply (no missing seen set)');
    await ctx.replica.close();
  });
});
