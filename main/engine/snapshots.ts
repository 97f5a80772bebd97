/**
 * Resnapshots without an empty-table window: mark-and-sweep. While a table's snapshot runs, every key
 * written to it is also recorded in its seen set; when Debezium says the scan completed, we take a fence
 * (the high watermark of every `<ctx>-cdc` partition) and, once everything below the fence is applied,
 * delete the rows whose key was never seen. The same sweep runs for a full snapshot (source restored,
 * tenant resumed). Gaps (purged offsets) mark tables stale and, with autoResyncOnGap, resync them.
 */
import { MirrorError } from './errors.ts';
import type { EngineContext, FullSnapshot } from './context.ts';
import { sleep } from './context.ts';
import type { GapInfo } from '../../preload/contract/status.ts';
import { sendExecuteSnapshot } from './source/signals.ts';
import { fetchWatermarks } from './source/watermarks.ts';
import type { Notification } from './source/notifications.ts';
import { toStateJson } from './state/json.ts';
import { stateIds } from './state/records.ts';
import type { TableRecord } from './state/records.ts';
import type { StateRow } from './replica/dialect.ts';

export const FULL_SNAPSHOT_ID = 'fullsnapshot';
/** State row holding the identity of the last completed full snapshot. */
export const COMPLETED_SNAPSHOT_ID = 'fullsnapshot-completed';

/**
 * Does a record of the full snapshot `key` start a new full snapshot? Not when it belongs to the one
 * running, nor when it is a straggler of the one that just completed (a record of another partition
 * consumed after the fence); yes otherwise. Records without an identity (state written by an older
 * version) fall back to: start one when none is running.
 */
export function startsFullSnapshot(running: FullSnapshot | null, completedKey: string | null, key: string): boolean {
  if (running) return running.key !== undefined && running.key !== null && running.key !== key;
  return key !== completedKey;
}

async function takeFence(ctx: EngineContext): Promise<Record<string, string>> {
  await sleep(ctx.settings.snapshotFenceDelayMs);
  const marks = await fetchWatermarks(ctx.admin, ctx.topics.cdc);
  const fence: Record<string, string> = {};
  for (const [p, w] of marks) fence[String(p)] = w.high;
  return fence;
}

function fenceReached(ctx: EngineContext, fence: Record<string, string>): boolean {
  for (const [p, off] of Object.entries(fence)) {
    const next = ctx.nextOffsets.get(Number(p));
    const low = ctx.watermarks.get(Number(p))?.low;
    const have = next ?? (low === undefined ? 0n : BigInt(low));
    if (have < BigInt(off)) return false;
  }
  return true;
}

/** Starts a resync of the given tables (ids `schema.table`). */
export async function requestResync(ctx: EngineContext, ids: string[], why: string | null = null): Promise<string[]> {
  const recs: TableRecord[] = [];
  for (const raw of ids) {
    const id = raw.toLowerCase();
    const rec = ctx.registry.get(id) ?? ctx.registry.all().find((r) => r.name.toLowerCase() === id);
    if (!rec) throw new MirrorError('TABLE_UNKNOWN', `table ${raw} is not replicated (known: ${ctx.registry.all().map((r) => r.id).slice(0, 10).join(', ')}…)`, { detail: { table: raw } });
    recs.push(rec);
  }
  const now = Date.now();
  for (const rec of recs) {
    if (rec.state === 'halted') {
      await ctx.replica.dropTable(rec.def);
      await ctx.replica.createTable(rec.def);
    }
    if (rec.sweep) await ctx.replica.cancelSweep(rec.def);
    await ctx.replica.beginSweep(rec.def);
    rec.sweep = { kind: 'incremental', startedAt: now, signalId: null, fence: null };
    rec.snapshot = { kind: 'incremental', rowsSeen: 0, rowsExpected: null, startedAt: now };
    if (rec.state !== 'stale') rec.staleReason = why;
    rec.state = 'resyncing';
    rec.error = null;
    ctx.registry.put(rec);
  }
  await ctx.persist(ctx.registry.takeDirty());
  await sendSignals(ctx, recs);
  ctx.events.emit('progress', { tables: ctx.registry.status(Date.now(), false).filter((t) => recs.some((r) => r.id === t.id)) });
  return recs.map((r) => r.id);
}

async function sendSignals(ctx: EngineContext, recs: TableRecord[]): Promise<void> {
  if (!recs.length) return;
  const id = await sendExecuteSnapshot(ctx.producer, ctx.topics.signal, ctx.topicPrefix, recs.map((r) => r.collection));
  for (const r of recs) { r.sweep!.signalId = id; ctx.registry.put(r); }
  await ctx.persist(ctx.registry.takeDirty());
  ctx.log.info('resnapshot requested', { signal: id, tables: recs.map((r) => r.id) });
}

/** After a restart: signals that were recorded as needed but never sent. */
export async function resendPendingSignals(ctx: EngineContext): Promise<void> {
  await sendSignals(ctx, ctx.registry.all().filter((r) => r.sweep?.kind === 'incremental' && !r.sweep.signalId));
}

function recordsForCollection(ctx: EngineContext, collection: string | undefined): TableRecord[] {
  if (!collection) return [];
  const c = collection.toLowerCase();
  return ctx.registry.all().filter((r) => r.collection.toLowerCase() === c);
}

export async function handleNotification(ctx: EngineContext, n: Notification): Promise<void> {
  if (n.aggregateType !== 'Incremental Snapshot') return;
  const mine = (r: TableRecord) => r.sweep?.kind === 'incremental' && r.sweep.signalId !== null && r.sweep.signalId === n.id;
  const collection = n.data.data_collection ?? n.data.scanned_collection ?? n.data.current_collection_in_progress;
  if (n.type === 'IN_PROGRESS') {
    const max = Number(n.data.maximum_key?.replace(/[^\d.-]/g, ''));
    const last = Number(n.data.last_processed_key?.replace(/[^\d.-]/g, ''));
    for (const r of recordsForCollection(ctx, collection).filter(mine)) {
      if (r.snapshot && Number.isFinite(max) && Number.isFinite(last) && max > 0) r.snapshot.rowsExpected = Math.max(r.snapshot.rowsSeen, Math.round(r.snapshot.rowsSeen * (max / Math.max(last, 1))));
    }
    return;
  }
  let done: TableRecord[] = [];
  if (n.type === 'TABLE_SCAN_COMPLETED') {
    done = recordsForCollection(ctx, collection).filter(mine);
    const total = Number(n.data.total_rows_scanned);
    for (const r of done) if (r.snapshot && Number.isFinite(total)) r.snapshot.rowsExpected = total;
  } else if (n.type === 'COMPLETED') {
    done = ctx.registry.all().filter((r) => mine(r) && !r.sweep!.fence);
  } else if (n.type === 'ABORTED') {
    for (const r of ctx.registry.all().filter(mine)) {
      r.state = 'stale'; r.staleReason = `resnapshot aborted by the connector (${n.data.status ?? 'no status'}); run resync-tables ${r.id}`;
      ctx.registry.put(r);
      ctx.events.emit('table-stale', { table: r.id, reason: r.staleReason, gap: null });
    }
    await ctx.persist(ctx.registry.takeDirty());
    return;
  }
  if (!done.length) return;
  const fence = await takeFence(ctx);
  for (const r of done) { r.sweep!.fence = fence; ctx.registry.put(r); }
  await ctx.persist(ctx.registry.takeDirty());
  await checkFences(ctx);
}

/** A full snapshot starts (marker `first`): every existing table gets a seen set. */
export async function beginFullSnapshot(ctx: EngineContext, key: string | null): Promise<void> {
  // A replica that never applied an event has nothing to sweep (the initial load of a new tenant).
  const hadData = ctx.nextOffsets.size > 0;
  if (ctx.fullSnapshot) ctx.log.warn('a new full snapshot started before the previous one completed: starting over', {});
  ctx.fullSnapshot = { startedAt: Date.now(), hadData, fence: null, lastSeen: false, key };
  for (const r of hadData ? ctx.registry.all() : []) {
    if (r.state === 'halted') continue;
    if (r.sweep) await ctx.replica.cancelSweep(r.def);
    await ctx.replica.beginSweep(r.def);
    r.sweep = { kind: 'full', startedAt: ctx.fullSnapshot.startedAt, signalId: null, fence: null };
    r.snapshot = { kind: 'initial', rowsSeen: 0, rowsExpected: null, startedAt: ctx.fullSnapshot.startedAt };
    r.state = 'resyncing';
    ctx.registry.put(r);
  }
  await ctx.persist([...ctx.registry.takeDirty(), { id: FULL_SNAPSHOT_ID, kind: 'session', value: toStateJson(ctx.fullSnapshot) }]);
  if (hadData) ctx.log.info('a full snapshot started over a populated replica: rows not in it will be swept', {});
}

/**
 * Marker `last` (the snapshot is complete once everything before the fence is applied) as a state row for the transaction that also moves the offset past the marker (a kill
 * between two separate writes would lose the marker: the snapshot would never complete). `apply()`
 * updates the in-memory state once that transaction has committed.
 */
export async function fullSnapshotEnd(ctx: EngineContext): Promise<{ row: StateRow; apply(): void }> {
  const base = ctx.fullSnapshot ?? { startedAt: Date.now(), hadData: false, fence: null, lastSeen: false, key: null };
  const fs: FullSnapshot = { ...base, lastSeen: true, fence: await takeFence(ctx) };
  return { row: { id: FULL_SNAPSHOT_ID, kind: 'session', value: toStateJson(fs) }, apply: () => { ctx.fullSnapshot = fs; } };
}

/** Sweeps every table whose fence has been reached. Cheap when nothing is pending. */
export async function checkFences(ctx: EngineContext): Promise<void> {
  const fs = ctx.fullSnapshot;
  if (fs?.fence && fenceReached(ctx, fs.fence)) {
    for (const r of ctx.registry.all()) {
      if (r.sweep?.kind === 'full') await finish(ctx, r);
      else if (r.state === 'pending' || r.state === 'snapshotting') { r.state = 'ok'; r.snapshot = null; ctx.registry.put(r); }
    }
    ctx.completedSnapshotKey = fs.key ?? null;
    ctx.fullSnapshot = null;
    await ctx.persist([...ctx.registry.takeDirty(), { id: COMPLETED_SNAPSHOT_ID, kind: 'session', value: toStateJson({ key: ctx.completedSnapshotKey, at: Date.now() }) }], [FULL_SNAPSHOT_ID]);
    ctx.log.info('full snapshot complete', {});
  }
  for (const r of ctx.registry.all()) {
    if (r.sweep?.kind === 'incremental' && r.sweep.fence && fenceReached(ctx, r.sweep.fence)) await finish(ctx, r);
  }
  if (ctx.registry.hasDirty()) await ctx.persist(ctx.registry.takeDirty());
  await resolveGaps(ctx);
}

async function finish(ctx: EngineContext, r: TableRecord): Promise<void> {
  const wasStale = r.staleReason !== null;
  const removed = await ctx.replica.finishSweep(r.def);
  r.sweep = null;
  r.snapshot = null;
  if (r.state !== 'halted') { r.state = 'ok'; r.staleReason = null; }
  ctx.registry.put(r);
  ctx.log.info('table resynced', { table: r.id, sweptRows: removed });
  if (wasStale && r.state === 'ok') ctx.events.emit('table-recovered', { table: r.id });
}

async function resolveGaps(ctx: EngineContext): Promise<void> {
  const rows = [];
  for (const g of ctx.gaps) {
    if (g.resolved) continue;
    if (g.tables.every((t) => { const r = ctx.registry.get(t); return !r || r.state === 'ok'; })) {
      g.resolved = true;
      rows.push({ id: stateIds.gap(g.topic, g.partition, g.fromOffset), kind: 'gap' as const, value: toStateJson(g) });
    }
  }
  if (rows.length) await ctx.persist(rows);
}

/** Offline longer than retention: offsets [from, to) of a partition are gone. Never silently skipped. */
export async function recordGap(ctx: EngineContext, partition: number, from: bigint, to: bigint): Promise<GapInfo> {
  // From here on the partition is read from its low watermark: the gap is recorded once, not again per batch.
  ctx.nextOffsets.set(partition, to);
  const known = ctx.gaps.find((g) => g.partition === partition && g.fromOffset === from.toString() && g.topic === ctx.topics.cdc);
  if (known) return known;
  const tables = ctx.registry.all().map((r) => r.id);
  const gap: GapInfo = { topic: ctx.topics.cdc, partition, fromOffset: from.toString(), toOffset: to.toString(), detectedAt: Date.now(), tables, resolved: false };
  ctx.gaps.push(gap);
  const reason = `events ${from}–${to - 1n} of ${ctx.topics.cdc} partition ${partition} were purged before they were applied (offline longer than retention)`;
  // One table-stale event per table going stale: a gap in several partitions does not repeat it.
  const newlyStale: string[] = [];
  for (const r of ctx.registry.all()) {
    if (r.state === 'halted') continue;
    if (r.state !== 'stale') newlyStale.push(r.id);
    r.state = 'stale';
    r.staleReason = reason;
    ctx.registry.put(r);
  }
  // The gap record and the move of the partition's offset past it are written together.
  await ctx.persist([
    ...ctx.registry.takeDirty(),
    { id: stateIds.gap(gap.topic, partition, gap.fromOffset), kind: 'gap', value: toStateJson(gap) },
    { id: stateIds.offset(ctx.topics.cdc, partition), kind: 'offset', value: JSON.stringify({ next: to.toString(), at: Date.now() }) },
  ]);
  ctx.log.warn('gap detected', { partition, from: from.toString(), to: to.toString(), tables: tables.length });
  for (const t of newlyStale) ctx.events.emit('table-stale', { table: t, reason, gap });
  return gap;
}
