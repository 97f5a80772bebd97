/**
 * Debezium's notifications, by what they say about each table:
 * - "Incremental Snapshot" (resyncs): TABLE_SCAN_COMPLETED with SUCCEEDED or EMPTY fences the table's
 *   sweep; any other status (SQL_EXCEPTION, UNKNOWN_SCHEMA, NO_PRIMARY_KEY, SKIPPED) and ABORTED leave it
 *   stale with nothing deleted; COMPLETED of our signal with a table never reported leaves that one stale.
 *   Debezium queues a table once per signal naming it and scans in turn: the ends of scans asked for
 *   before a resync began are not that resync's (records.ts: scanSignals, scansBefore).
 * - "Initial Snapshot" (initial and blocking snapshots): the collections and per-table scan outcomes of the
 *   current attempt, read by completeFullSnapshot; a failed scan makes the table stale at once.
 */
import type { EngineContext } from '../context.ts';
import type { SweepDeps } from './sweep.ts';
import type { Notification } from '../source/notifications.ts';
import type { TableRecord } from '../state/records.ts';
import { awaitingScan, failSweep } from './sweep.ts';
import { clearStall } from './stall.ts';
import { followScanPause, SCANS_PAUSED_ID } from './scan-pause.ts';
import { toStateJson } from '../state/json.ts';

/** What this module uses of the engine's state (a narrow view of EngineContext). */
export type NotificationDeps = Pick<EngineContext, 'admin' | 'events' | 'fenceClock' | 'initialScan' | 'notifNext' | 'notifReplayEnd' | 'persist' | 'registry' | 'scansPaused' | 'settings' | 'topics' | 'watermarks'> & SweepDeps;

const SCAN_OK = new Set(['SUCCEEDED', 'EMPTY']);

/** What a failed scan's status most often means, for the admin (a table dropped meanwhile is dropped here too once its DDL is read). */
const SCAN_FAILED_WHY: Record<string, string> = {
  SQL_EXCEPTION: " (the connector's query of the table failed at the source: the table dropped or changed meanwhile, or the connector's user lost SELECT on it)",
  UNKNOWN_SCHEMA: ' (the connector no longer knows the table: dropped or renamed at the source)',
};

const listOf = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** The tables of a data collection Debezium named, exactly as it names them in the events (ids keep case). */
function tablesOf(ctx: NotificationDeps, collection: string | undefined): TableRecord[] {
  return collection ? ctx.registry.all().filter((r) => r.collection === collection) : [];
}


/** How long a scan failure a DROP or RENAME would explain waits for the schema history to show one (SweepRecord.failing). */
export const SCAN_FAILURE_GRACE_MS = 12_000;

/**
 * Stored in `<ctx>-notifications` before the oldest scan still counted for the table was asked for
 * (ScanSignal.after): it reports a scan someone else asked for — another replica of the tenant reading the
 * same topics, an admin's signal — or one long over, read again from an older position. Such a scan end
 * was taken for the resync's own: the sweep ran before its scan did, and the resync said "repaired" with
 * the other scan's row count (a replica resynced after another had resynced the same tables).
 */
function predates(r: TableRecord, at: string | undefined): boolean {
  return storedBefore(r.scanSignals?.[0]?.after, at);
}

/** Whether the notification read at `at` (`partition:offset`) was stored before the topic end `after`. */
function storedBefore(after: Record<string, string> | null | undefined, at: string | undefined): boolean {
  if (!after || at === undefined) return false;
  const [partition, offset] = at.split(':');
  const end = after[partition ?? ''];
  return end !== undefined && /^\d+$/.test(offset ?? '') && BigInt(offset!) < BigInt(end);
}

/**
 * A scan begins at STARTED (the first of the connector's queue) or at the end of the scan before it: one
 * such notification stored after a resync's first signal was sent means the scans from there on began after
 * its seen set did (SweepRecord.scanBegun).
 */
function noteScanBoundary(ctx: NotificationDeps, n: Notification): void {
  for (const r of ctx.registry.all()) {
    const s = r.sweep;
    if (s?.kind !== 'incremental' || s.scanBegun || s.signalAfter === undefined || storedBefore(s.signalAfter, n.at)) continue;
    s.scanBegun = true;
    ctx.registry.put(r);
  }
}

/**
 * The scan of `r` ending with `n` cannot be its running resync's own when it began before the resync's
 * first signal was sent (no scan boundary since: SweepRecord.scanBegun), or when the connector's queue
 * still holds another scan of the table behind it (the queue it names at a scan's end: the table just
 * scanned, then those still to scan — seen on the stack). Another replica of the tenant resyncing the same
 * table had its scan running when this replica's signal was sent: that scan's end was taken for this
 * resync's, and the rows it had delivered before this resync began were swept — 95,730 of a table's 300,210
 * rows deleted on the stack, "ok · repaired", until the resync's own scan brought them back.
 */
function notOwnScan(r: TableRecord, n: Notification): string | null {
  const s = r.sweep;
  if (s?.kind !== 'incremental') return null;
  if (s.signalAfter !== undefined && !s.scanBegun) return 'it began before this resync\'s signal was sent (another client\'s scan, or one asked for before)';
  if (listOf(n.data.data_collections).slice(1).includes(r.collection)) return 'another scan of the table is queued behind it';
  return null;
}

async function incremental(ctx: NotificationDeps, n: Notification): Promise<void> {
  followScanPause(ctx, n);
  const collection = n.data.scanned_collection ?? n.data.data_collection ?? n.data.current_collection_in_progress;
  // Debezium scans the queued tables in turn: while any scan moves, a table waiting behind it is not stalled.
  const awaiting = (r: TableRecord): boolean => awaitingScan(r) && !predates(r, n.at);
  if (n.type === 'IN_PROGRESS' || n.type === 'TABLE_SCAN_COMPLETED') for (const r of ctx.registry.all().filter(awaiting)) r.sweep!.queueMovedAt = Date.now();
  if (n.type === 'IN_PROGRESS') {
    const max = Number(n.data.maximum_key?.replace(/[^\d.-]/g, ''));
    const last = Number(n.data.last_processed_key?.replace(/[^\d.-]/g, ''));
    for (const r of tablesOf(ctx, collection).filter(awaiting)) {
      r.sweep!.progressAt = Date.now();
      clearStall(r);
      if (r.snapshot && !r.sweep!.scansBefore?.length && Number.isFinite(max) && Number.isFinite(last) && max > 0) r.snapshot.rowsExpected = Math.max(r.snapshot.rowsSeen, Math.round(r.snapshot.rowsSeen * (max / Math.max(last, 1))));
    }
    return;
  }
  if (n.type === 'STARTED') {
    noteScanBoundary(ctx, n);
    scansLost(ctx, n);
  }
  if (n.type === 'TABLE_SCAN_COMPLETED') {
    const status = (n.data.status ?? 'SUCCEEDED').toUpperCase();
    const total = n.data.total_rows_scanned === undefined ? null : Number(n.data.total_rows_scanned);
    const recs = tablesOf(ctx, collection).filter((r) => endOfScan(ctx, r, n, status, total) && awaitingScan(r));
    noteScanBoundary(ctx, n); // the next scan begins here
    if (!recs.length) return;
    if (!SCAN_OK.has(status)) {
      for (const r of recs) {
        const why = `the resync's table scan of ${r.id} ended with ${status}${SCAN_FAILED_WHY[status] ?? ''}`;
        if (!SCAN_FAILED_WHY[status]) { await failSweep(ctx, r, why); continue; }
        // Failed later (snapshot/check.ts) unless the history's DROP or RENAME removes the table first: then
        // the resync ends as "dropped at the source", which is in step, instead of a stale table for a moment.
        r.sweep!.failing = { why, dueAt: Date.now() + SCAN_FAILURE_GRACE_MS };
        ctx.registry.put(r);
        ctx.log.info('resync scan failed: told in a moment unless the schema history drops the table first', { table: r.id, status, graceMs: SCAN_FAILURE_GRACE_MS });
      }
      return;
    }
    // The fence is read `snapshotFenceDelayMs` from now by the control loop (snapshot/check.ts), not here:
    // waiting here held every partition's apply for that long at each scan's end.
    const due = Date.now() + ctx.settings.snapshotFenceDelayMs;
    for (const r of recs) {
      r.sweep!.scan = { status, rows: Number.isFinite(total) ? total : null, at: n.timestamp };
      r.sweep!.fenceDueAt = due;
      r.sweep!.fenceTs = n.sentAt ?? null;
      if (r.snapshot && total !== null && Number.isFinite(total)) r.snapshot.rowsExpected = total;
      ctx.registry.put(r);
    }
    return;
  }
  if (n.type === 'ABORTED') {
    queueEmptied(ctx, n.id);
    for (const r of ctx.registry.all().filter(awaiting)) await failSweep(ctx, r, `the resync was aborted by the connector (${n.data.status ?? 'no status'})`);
    return;
  }
  if (n.type === 'COMPLETED') {
    // The connector's queue is empty: every scan of a signal up to the one it names (the last it took) ended.
    const settled = queueEmptied(ctx, n.id);
    // A resync whose own signal is among them but whose end it never took: it let that end pass as an
    // earlier scan's (a scan counted whose signal was lost), so one more scan settles it (its seen set is
    // whole from its start; nothing is deleted on a guess). With no end let pass, the connector did not
    // scan the table for it (below).
    const again = settled.filter((r) => r.sweep!.skippedEnd);
    if (again.length) {
      ctx.log.warn('resync scan sent again: an end it let pass as an earlier scan\'s was its own', { tables: again.map((r) => r.id) });
      for (const r of again) askAgain(ctx, r);
    }
    // Every table of a finished signal was reported before COMPLETED; one that was not never will be —
    // unless the connector restarted since its signal: its queue is restored from the last committed
    // offsets, which may not hold that scan (seen on the stack). Then it is asked for again.
    const unreported = ctx.registry.all().filter((x) => awaitingScan(x) && !again.includes(x) && (x.sweep!.signalId === n.id || settled.includes(x)));
    const lost = unreported.filter((r) => r.sweep!.restartSeen);
    if (lost.length) {
      ctx.log.warn('resync scan sent again: the connector, restarted since its signal, ended its queue without scanning the table', { tables: lost.map((r) => r.id) });
      for (const r of lost) askAgain(ctx, r);
    }
    for (const r of unreported.filter((x) => !lost.includes(x))) {
      // Seen on the stack: a stop-snapshot signal ends the queue this way (COMPLETED, then ABORTED naming the stop signal).
      await failSweep(ctx, r, `the connector ended the resync without reporting a scan of ${r.id} to its end (a stop-snapshot signal sent to it stops a resync so)`);
    }
  }
}

/**
 * One scan of the table ended (whatever its status): the oldest signal still counted for it. True when
 * that end may be its running resync's: false when the signal was sent before the resync began.
 */
function endOfScan(ctx: NotificationDeps, r: TableRecord, n: Notification, status: string, total: number | null): boolean {
  const at = n.at;
  // Counted once: the same notification is handled again when its handling is retried, or read again
  // after a kill (the counts are stored in the record with where they were counted).
  if (at !== undefined && r.scanEnd?.at === at) return !r.scanEnd.passed;
  if (predates(r, at)) {
    if (r.sweep?.kind === 'incremental' && !r.sweep.scan) ctx.log.info('a table scan reported before this resync\'s was asked for: not its end', { table: r.id, status, rows: total, at });
    return false;
  }
  const signal = r.scanSignals?.[0];
  if (signal) { r.scanSignals = r.scanSignals!.slice(1); r.endedSignal = signal; }
  const sweep = r.sweep;
  const passed = sweep?.kind === 'incremental' && signal !== undefined && (sweep.scansBefore ?? []).includes(signal.id);
  if (passed) {
    sweep!.scansBefore = sweep!.scansBefore!.filter((id) => id !== signal!.id);
    sweep!.skippedEnd = true;
    ctx.log.info('a table scan asked for before this resync began ended: it does not end the resync', { table: r.id, status, rows: total, signal: signal!.id, stillBefore: sweep!.scansBefore.length });
  }
  const other = !passed && sweep?.kind === 'incremental' && !sweep.scan ? notOwnScan(r, n) : null;
  if (other) {
    // Let pass too: should the queue's end (COMPLETED) settle this resync's signal, it is asked for again.
    sweep!.skippedEnd = true;
    ctx.log.info(`a table scan ended that is not this resync's: ${other}`, { table: r.id, status, rows: total, at });
  }
  if (at !== undefined) r.scanEnd = { at, passed: passed || other !== null };
  ctx.registry.put(r);
  return !passed && other === null;
}

/**
 * COMPLETED or ABORTED naming signal `id` (`including`): the connector's queue is empty, so the scans of
 * every signal sent up to that one are over; those sent after it are still to be taken. STARTED naming it
 * (`before`, scansLost): the queue was empty when it was taken, so those sent before it are over. A signal
 * the engine did not send (another client's) settles nothing. Returns the running resyncs whose own signal
 * was settled.
 */
function queueEmptied(ctx: NotificationDeps, id: string, upTo: 'including' | 'before' = 'including'): TableRecord[] {
  const named = ctx.registry.all().flatMap((r) => [...r.scanSignals ?? [], ...r.endedSignal ? [r.endedSignal] : []]).find((x) => x.id === id);
  const settled: TableRecord[] = [];
  if (!named) return settled;
  const isOver = (x: { seq: number }): boolean => (upTo === 'including' ? x.seq <= named.seq : x.seq < named.seq);
  for (const r of ctx.registry.all()) {
    const over = (r.scanSignals ?? []).filter(isOver).map((x) => x.id);
    if (!over.length) continue;
    r.scanSignals = r.scanSignals!.filter((x) => !isOver(x));
    if (r.sweep?.kind === 'incremental') {
      r.sweep.scansBefore = (r.sweep.scansBefore ?? []).filter((x) => !over.includes(x));
      if (awaitingScan(r) && r.sweep.signalId !== null && over.includes(r.sweep.signalId)) settled.push(r);
    }
    ctx.registry.put(r);
  }
  return settled;
}

/**
 * STARTED naming a signal of this engine: Debezium says STARTED only when it takes a signal with its queue
 * empty, and it takes the signals of `<ctx>-signal` in order, so the scans of every signal this engine sent
 * before that one are over — those whose end never came were lost (a connector restart restores the
 * queue from its last committed offsets, which may not hold them: seen on the stack, a chaos run). Their
 * ends are no longer awaited: before, the first ends after were taken for theirs, and resyncs waited for
 * one more scan that never came, until `resyncStallSeconds` sent their signal again and advised a connector
 * restart (sixteen tables of a replica after a `reset-offsets`, ten minutes). A resync whose own signal
 * was lost so has it sent again: its seen set is whole from its start, and nothing is deleted on a guess.
 */
function scansLost(ctx: NotificationDeps, n: Notification): void {
  const lost = queueEmptied(ctx, n.id, 'before');
  if (!lost.length) return;
  ctx.log.warn('resync scan sent again: the connector started new scans without scanning the table for it (its queue was lost, a connector restart)', { tables: lost.map((r) => r.id) });
  for (const r of lost) askAgain(ctx, r);
}

/** The resync's scan is asked for again (resendPendingSignals sends it, at the tick); its seen set is kept, whole from its start. */
function askAgain(ctx: NotificationDeps, r: TableRecord): void {
  const s = r.sweep!;
  s.signalId = null;
  s.skippedEnd = false;
  s.scansBefore = [];
  s.restartSeen = false;
  ctx.registry.put(r);
}

/** A task of the connector started (it says "Initial Snapshot" at its start): resyncs whose signal was sent before may have lost their scan. */
function noteRestart(ctx: NotificationDeps, n: Notification): void {
  for (const r of ctx.registry.all()) {
    const s = r.sweep;
    if (s?.kind !== 'incremental' || !awaitingScan(r) || s.restartSeen || !s.signalId || storedBefore(s.signalAfter, n.at)) continue;
    s.restartSeen = true;
    ctx.registry.put(r);
  }
}

function initial(ctx: NotificationDeps, n: Notification): Promise<void> | undefined {
  if (n.type === 'STARTED' || !ctx.initialScan) {
    const prev = ctx.initialScan;
    ctx.initialScan = { startedTs: n.timestamp, collections: [], scans: {}, aborted: null, before: prev ? { ...prev, before: null } : null };
  }
  const scan = ctx.initialScan;
  const cols = listOf(n.data.data_collections);
  if (cols.length) scan.collections = cols;
  if (n.type === 'TABLE_SCAN_COMPLETED' && n.data.scanned_collection) {
    const status = (n.data.status ?? 'SUCCEEDED').toUpperCase();
    const total = n.data.total_rows_scanned === undefined ? null : Number(n.data.total_rows_scanned);
    scan.scans[n.data.scanned_collection] = { status, rows: Number.isFinite(total) ? total : null, ts: n.timestamp };
    if (!SCAN_OK.has(status)) return markStale(ctx, tablesOf(ctx, n.data.scanned_collection), `the snapshot's scan ended with ${status}`);
  }
  if (n.type === 'ABORTED') {
    scan.aborted = n.data.status ?? 'aborted';
    return markStale(ctx, ctx.registry.all().filter((r) => r.sweep?.kind === 'full'), `the full snapshot was aborted by the connector (${scan.aborted})`);
  }
  return undefined;
}

/** A failed full-snapshot scan: stale now; the seen set stays (a later attempt may still complete it). */
async function markStale(ctx: NotificationDeps, recs: TableRecord[], why: string): Promise<void> {
  for (const r of recs) {
    if (r.state === 'halted' || r.state === 'stale') continue;
    r.state = 'stale';
    r.staleReason = `${why}; nothing was deleted. Run \`tenant-mirror resync-tables ${r.id}\` if it does not recover`;
    ctx.registry.put(r);
    ctx.events.emit('table-stale', { table: r.id, reason: r.staleReason, gap: null });
  }
  await ctx.persist(ctx.registry.takeDirty());
}

export async function handleNotification(ctx: NotificationDeps, n: Notification): Promise<void> {
  const paused = ctx.scansPaused ?? null;
  if (n.aggregateType === 'Incremental Snapshot') await incremental(ctx, n);
  else if (n.aggregateType === 'Initial Snapshot') {
    noteRestart(ctx, n);
    await initial(ctx, n);
  }
  const now = ctx.scansPaused ?? null;
  // The pause of the connector's incremental snapshots is stored with the marks it put on the tables.
  if (now !== paused) await ctx.persist([...ctx.registry.takeDirty(), ...(now ? [{ id: SCANS_PAUSED_ID, kind: 'session' as const, value: toStateJson(now) }] : [])], now ? [] : [SCANS_PAUSED_ID]);
  else if (ctx.registry.hasDirty()) await ctx.persist(ctx.registry.takeDirty());
}
