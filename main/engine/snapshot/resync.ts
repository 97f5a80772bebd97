/**
 * Resyncs (incremental snapshots) are tracked per table, never per signal id: Debezium reports a table
 * scan by its data collection, and reuses the newest signal's id for everything it runs. A table's seen
 * set starts when its resync is requested and is never restarted by a repeated request (a scan already
 * running keeps filling it); the sweep follows only a scan reported as succeeded (see notifications.ts).
 */
import { randomUUID } from 'node:crypto';
import type { EngineContext } from '../context.ts';
import { MirrorError } from '../errors.ts';
import { sendExecuteSnapshot } from '../source/signals.ts';
import { awaitingScan, countOrNull } from './sweep.ts';
import { markPausedResyncs } from './scan-pause.ts';
import type { TableRecord } from '../state/records.ts';
import { engineBehind, type ReadingLag } from './stall.ts';

/** What this module uses of the engine's state (a narrow view of EngineContext). */
export type ResyncDeps = Pick<EngineContext, 'admin' | 'events' | 'filter' | 'log' | 'notifNext' | 'notifReplayEnd' | 'persist' | 'producer' | 'registry' | 'replica' | 'scansPaused' | 'settings' | 'topicPrefix' | 'topics' | 'unmirrored'>;

function resolveTables(ctx: ResyncDeps, ids: string[]): TableRecord[] {
  const recs: TableRecord[] = [];
  for (const raw of ids) {
    // The exact id, else the one table whose id or name matches (case-insensitively only when unique).
    const byName = (f: (r: TableRecord) => boolean): TableRecord | undefined => { const hits = ctx.registry.all().filter(f); return hits.length === 1 ? hits[0] : undefined; };
    const rec = ctx.registry.lookup(raw) ?? byName((r) => r.name === raw) ?? byName((r) => r.name.toLowerCase() === raw.toLowerCase());
    const low = raw.toLowerCase();
    const keyless = rec ? undefined : [...(ctx.unmirrored?.values() ?? [])].find((t) => t.table.toLowerCase() === low || t.table.split('.').pop()!.toLowerCase() === low);
    if (keyless) throw new MirrorError('TABLE_UNKNOWN', `table ${keyless.table} is ${keyless.reason}`, { detail: { table: keyless.table } });
    if (!rec) throw new MirrorError('TABLE_UNKNOWN', `table ${raw} is not replicated (known: ${ctx.registry.all().map((r) => r.id).slice(0, 10).join(', ')}…)`, { detail: { table: raw } });
    // Its snapshot rows would be skipped like its changes (left-out-tables.ts): the resync could never end.
    // By the filter, not `leftOutAt`: a table let in again is rebuilt by the schema check (a change made
    // while it was out) before the check's end clears that mark (the resync was refused: sync exited 1,
    // every run, the table left empty).
    if (ctx.filter(rec.schema, rec.name) !== 'mirror') throw new MirrorError('TABLE_UNKNOWN', `table ${rec.id} is left out by the tables setting: let it in again (tables include / exclude) and it is resynced`, { detail: { table: rec.id } });
    if (!recs.includes(rec)) recs.push(rec);
  }
  return recs;
}

/**
 * Records a resync of the given tables (ids `schema.table`) in their records: seen sets begun, state
 * `resyncing`, no signal yet. Nothing is persisted: the caller writes these records in the same
 * `persist` as the change that needs the resync (a table rebuilt, offsets moved), so that no kill can
 * leave that change stored without its resync; then `signalResync` sends the signal (a restart sends a
 * recorded one that was never sent: resendPendingSignals). Runs inside the control loop.
 */
export async function markResync(ctx: ResyncDeps, ids: string[], why: string | null = null, opts: { fresh?: boolean } = {}): Promise<TableRecord[]> {
  const recs = resolveTables(ctx, ids);
  const now = Date.now();
  for (const rec of recs) {
    // A halted table is in a shape not known (the write that halted it may have been refused by a column
    // changed by hand, a constraint, a trigger): it is dropped and created again from the source
    // definition, and the objects of the customer on it (indexes, triggers) go with it — said, not silent.
    let recreated: { rowsBefore: number | null } | null = null;
    if (rec.state === 'halted') {
      if (rec.sweep) await ctx.replica.cancelSweep(rec.def);
      rec.sweep = null;
      recreated = { rowsBefore: await countOrNull(ctx, rec) };
      ctx.registry.rowsUnknown(rec.id);
      try {
        await ctx.replica.dropTable(rec.def);
        await ctx.replica.createTable(rec.def);
      } catch (err) {
        // As the replica's classifier names it (a view on the table blocks its DROP: SCHEMA_CONFLICT and what
        // to do), not the driver's bare message as INTERNAL.
        if (err instanceof MirrorError) throw err;
        const c = ctx.replica.classifyError(err);
        throw new MirrorError(c.code, `${rec.id} cannot be recreated for its resync: ${c.hint}`, { cause: err, retriable: c.action === 'retry' });
      }
      ctx.registry.rowsCounted(rec.id, 0); // recreated empty
      ctx.log.warn('halted table dropped and created again for its resync: indexes and triggers of yours on it were dropped with it; create them again', { table: rec.id, rowsBefore: recreated.rowsBefore });
    }
    // `fresh`: records since the running seen set began will not all be applied (offsets moved on past
    // them), so it cannot be joined: a new one begins, and the running scan's end passes (scansBefore).
    const joining = rec.sweep?.kind === 'incremental' && !opts.fresh;
    if (!joining) {
      // A full snapshot's seen set is replaced: this table is resynced on its own from now on.
      if (rec.sweep) await ctx.replica.cancelSweep(rec.def);
      await ctx.replica.beginSweep(rec.def);
      // Scans asked for before now that have not ended are run first, and were read (in part) before this
      // seen set began: their ends are not this resync's (notifications.ts).
      rec.sweep = { kind: 'incremental', startedAt: now, signalId: null, fence: null, scan: null, rowsApplied: 0, prev: null, rowsBefore: recreated ? recreated.rowsBefore : await countOrNull(ctx, rec), recreated: recreated !== null, scansBefore: (rec.scanSignals ?? []).map((x) => x.id) };
      rec.snapshot = { kind: 'incremental', rowsSeen: 0, rowsExpected: null, startedAt: now };
    } else {
      rec.sweep!.signalId = null; // sent again by signalResync; the running seen set is kept
      rec.sweep!.failing = null; // a failed scan waiting to be told: the new one is awaited instead
    }
    if (rec.state !== 'stale') rec.staleReason = why;
    rec.state = 'resyncing';
    rec.error = null;
    ctx.registry.put(rec);
  }
  return recs;
}

/** Sends the signal of resyncs recorded by `markResync` and already persisted; a failed send is retried by the tick. */
export async function signalResync(ctx: ResyncDeps, recs: TableRecord[]): Promise<string[]> {
  await sendSignals(ctx, recs).catch((err: unknown) => ctx.log.warn('resnapshot signal not sent yet; retrying', { error: (err as Error).message }));
  ctx.events.emit('progress', { tables: ctx.registry.status(Date.now(), false).filter((t) => recs.some((r) => r.id === t.id)) });
  return recs.map((r) => r.id);
}

/**
 * Starts (or joins) a resync of the given tables (ids `schema.table`). Runs inside the control loop.
 * Every dirty record goes into the same `persist` as the resync's (a rebuilt table's new definition with it).
 */
export async function requestResync(ctx: ResyncDeps, ids: string[], why: string | null = null): Promise<string[]> {
  const recs = await markResync(ctx, ids, why);
  await ctx.persist(ctx.registry.takeDirty());
  return signalResync(ctx, recs);
}

/** The order signals were sent in: above every one recorded (they survive restarts), and above the clock's ms. */
function nextSignalSeq(ctx: ResyncDeps): number {
  const recorded = ctx.registry.all().flatMap((r) => (r.scanSignals ?? []).map((x) => x.seq));
  return Math.max(Date.now(), ...recorded.map((x) => x + 1));
}

/**
 * Counted before it is sent: a signal the broker took is a scan Debezium will run, and a kill (or a send
 * that failed after the broker had it) between the send and the count would leave that scan uncounted —
 * its end then taken for a later signal's, and a later resync swept on a scan read in part before it
 * began. A signal counted but never sent is safe: its "end" is at worst a later scan's, which passes, and
 * the `COMPLETED` that follows settles it (the resync's signal sent again, nothing deleted on a guess).
 */
async function sendSignals(ctx: ResyncDeps, recs: TableRecord[]): Promise<void> {
  if (!recs.length) return;
  const id = randomUUID();
  const seq = nextSignalSeq(ctx);
  const after = await notificationsEnd(ctx);
  for (const r of recs) {
    r.scanSignals = [...(r.scanSignals ?? []), { id, seq, ...(after ? { after } : {}) }];
    // Where the resync's own scans can begin at the earliest (SweepRecord.signalAfter): its first signal's.
    if (r.sweep?.kind === 'incremental' && r.sweep.signalAfter === undefined) { r.sweep.signalAfter = after; r.sweep.scanBegun = false; }
    ctx.registry.put(r);
  }
  await ctx.persist(ctx.registry.takeDirty());
  await sendExecuteSnapshot(ctx.producer, ctx.topics.signal, ctx.topicPrefix, recs.map((r) => r.collection), 'incremental', id);
  for (const r of recs) {
    if (r.sweep) { r.sweep.signalId = id; r.sweep.progressAt = Date.now(); }
    ctx.registry.put(r);
  }
  await ctx.persist(ctx.registry.takeDirty());
  ctx.log.info('resnapshot requested', { signal: id, tables: recs.map((r) => r.id) });
}

/**
 * The end offsets of `<ctx>-notifications` now (ScanSignal.after). Unknown when Kafka does not answer: the
 * signal is then matched to scan ends by order alone, as signals recorded before 2026-12-06 are.
 */
async function notificationsEnd(ctx: ResyncDeps): Promise<Record<string, string> | null> {
  try {
    const offs = await ctx.admin.fetchTopicOffsets(ctx.topics.notifications);
    return Object.fromEntries(offs.map((o) => [String(o.partition), o.high]));
  } catch (err) {
    ctx.log.warn('the notifications topic\'s end not read: this resync\'s scan end is matched by order only', { error: (err as Error).message });
    return null;
  }
}

/** After a restart (or a failed send): signals that were recorded as needed but never sent. */
export async function resendPendingSignals(ctx: ResyncDeps): Promise<void> {
  await sendSignals(ctx, ctx.registry.all().filter((r) => r.sweep?.kind === 'incremental' && !r.sweep.signalId && !r.sweep.fence && !r.sweep.scan && !r.sweep.failing));
}

/**
 * A resync whose scan shows no sign of life for `resyncStallSeconds` (nor Debezium's queue of scans, which
 * it may wait behind: queueMovedAt) (the connector restarted and lost the
 * snapshot, the signal was consumed by nobody, the connector's scan stopped on an error): its signal is
 * sent again. The seen set is kept. The table says so (RESYNC_STALLED on it, an `error` event) until its
 * scan moves again or the resync ends: a resync that never ends is not left looking like one under way.
 */
export async function resendStalledSignals(ctx: ResyncDeps, now = Date.now(), lag?: ReadingLag): Promise<void> {
  if (engineBehind(lag)) return; // its rows may be in what the engine has not read yet
  // Paused on purpose at the source: not a stall, and a signal sent now queues one more whole scan for after the resume.
  if (ctx.scansPaused) {
    markPausedResyncs(ctx);
    if (ctx.registry.hasDirty()) await ctx.persist(ctx.registry.takeDirty());
    return;
  }
  const limit = ctx.settings.resyncStallSeconds * 1000;
  const stalled = ctx.registry.all().filter((r) => awaitingScan(r) && r.sweep!.signalId
    && now - Math.max(r.sweep!.progressAt ?? 0, r.sweep!.queueMovedAt ?? 0, r.sweep!.startedAt) > limit);
  if (!stalled.length) return;
  ctx.log.warn('resync shows no progress: signal sent again', { tables: stalled.map((r) => r.id), seconds: ctx.settings.resyncStallSeconds });
  for (const r of stalled) {
    const since = Math.max(r.sweep!.progressAt ?? 0, r.sweep!.queueMovedAt ?? 0, r.sweep!.startedAt);
    const minutes = Math.floor((now - since) / 60_000);
    r.error = {
      code: 'RESYNC_STALLED', retriable: true,
      message: `the source connector's scan of this table has shown no progress for ${minutes >= 1 ? `${minutes} min` : `${Math.round((now - since) / 1000)} s`}: ` +
        'its snapshot signal was sent again. No row is deleted while the resync waits. Debezium\'s incremental snapshot of a MySQL/MariaDB ' +
        'table stops for good when a column of the table is changed during the scan (its Connect log: "Column … not found in result set"); ' +
        'it goes on once the tenant\'s connector is restarted',
      detail: { table: r.id, noProgressSince: new Date(since).toISOString(), fix: 'restart the tenant\'s Debezium connector; the resync then completes by itself' },
    };
  }
  // Said at once with the mark (before the send awaits): whoever sees the mark in the status has had the event.
  for (const r of stalled) ctx.events.emit('error', { error: r.error!, table: r.id });
  await sendSignals(ctx, stalled);
}
