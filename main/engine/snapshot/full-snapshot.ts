/**
 * Full snapshots applied over a populated replica (source restored, tenant resumed, a blocking snapshot,
 * Debezium starting over): every table gets a seen set when the episode starts; at the end of the current
 * attempt, only the tables that attempt delivered (or reported as scanned empty) are swept. The rules are
 * in docs/snapshots.md.
 */
import type { EngineContext, InitialScanReport } from '../context.ts';
import type { WriteDeps } from '../apply/writer.ts';
import type { SweepDeps } from './sweep.ts';
import type { StateRow } from '../replica/replica.ts';
import { toStateJson } from '../state/json.ts';
import type { TableRecord } from '../state/records.ts';
import { fetchWatermarks } from '../source/watermarks.ts';
import { recentWrites } from '../apply/recent-writes.ts';
import { writeUnit } from '../apply/writer.ts';
import type { FullSnapshot } from './attempts.ts';
import { takeFence } from './fence.ts';
import { countOrNull, dropSweep, failSweep, finishSweep } from './sweep.ts';
import { markResync, signalResync } from './resync.ts';
import type { ResyncDeps } from './resync.ts';
import { clearStall } from './stall.ts';

/** What this module uses of the engine's state (a narrow view of EngineContext). */
export type FullSnapshotDeps = Pick<EngineContext, 'admin' | 'completed' | 'fenceClock' | 'fullSnapshot' | 'gaps' | 'initialScan' | 'log' | 'nextOffsets' | 'notifNext' | 'persist' | 'registry' | 'replica' | 'settings' | 'topics' | 'watermarks'> & SweepDeps & WriteDeps & ResyncDeps;

export const FULL_SNAPSHOT_ID = 'fullsnapshot';
/** State row holding the identity of the last completed full snapshot attempt. */
export const COMPLETED_SNAPSHOT_ID = 'fullsnapshot-completed';
/** State row holding what the "Initial Snapshot" notifications said since the last STARTED. */
export const INITIAL_SCAN_ID = 'fullsnapshot-scans';

const episodeRow = (fs: FullSnapshot): StateRow => ({ id: FULL_SNAPSHOT_ID, kind: 'session', value: toStateJson(fs) });

/**
 * A table's seen set for the episode. A resync running on the table is taken over: its seen set holds
 * rows marked before the attempt began, which may be gone at the source with no delete event (a source
 * restored), and its scan may never end (offsets reset: Debezium's incremental scan goes with them). The
 * attempt's records stand for it; if the attempt turns out not to cover the table, the resync starts over
 * (completeFullSnapshot).
 */
async function beginTableSweep(ctx: FullSnapshotDeps, r: TableRecord, at: number): Promise<void> {
  const resync = r.sweep?.kind === 'incremental' ? { why: r.staleReason } : r.sweep?.resync ?? null;
  if (r.sweep) await ctx.replica.cancelSweep(r.def);
  await ctx.replica.beginSweep(r.def);
  const prev = r.sweep?.prev ?? { state: r.state === 'resyncing' ? 'ok' : r.state, staleReason: r.staleReason };
  r.sweep = { kind: 'full', startedAt: at, signalId: null, fence: null, attemptKey: null, rowsApplied: 0, prev, rowsBefore: r.sweep?.rowsBefore ?? await countOrNull(ctx, r), resync };
  if (resync) ctx.log.info('a resync running when a full snapshot began is taken over by it', { table: r.id });
  r.snapshot = { kind: 'initial', rowsSeen: 0, rowsExpected: null, startedAt: at };
  if (r.state !== 'stale') r.state = 'resyncing';
  ctx.registry.put(r);
}

/** Why a table whose rows written ahead of a snapshot attempt cannot all be marked is not swept (log and stale reason). */
function unmarkedReason(remembered: number): string {
  return `the rows written between the start of the connector's snapshot attempt and the engine reading its first record (other partitions read ahead) cannot all be known: more than the ${remembered} the engine remembers, or written before the engine last started`;
}

/**
 * Rows written unmarked by events produced at or after the attempt's record (read ahead in another
 * partition) are marked now: they exist at the source after the snapshot began (recent-writes.ts).
 */
async function markRecent(ctx: FullSnapshotDeps, ts: number): Promise<void> {
  const recent = recentWrites(ctx);
  const swept = ctx.registry.all().filter((r) => r.sweep?.kind === 'full');
  for (const r of swept) {
    if (!recent.lostSince(r.id, ts)) continue;
    r.sweep!.unmarked = true; // stored with the episode by the caller
    ctx.registry.put(r);
    ctx.log.warn(`${unmarkedReason(recent.limit)}: the table will not be swept`, { table: r.id });
  }
  const tables = swept.filter((r) => !r.sweep!.unmarked).map((r) => ({ table: r.def, upserts: [], deletes: [], markSeen: true, marks: recent.since(r.id, ts) }))
    .filter((t) => t.marks.length > 0);
  if (!tables.length) return;
  await writeUnit(ctx, { tables, state: [] }, { heartbeat: async () => undefined, offsetRange: 'recent writes' });
  ctx.log.info('rows written just before the snapshot was seen are marked', { tables: tables.length, rows: tables.reduce((n, t) => n + t.marks.length, 0) });
}

/** The first record of a new episode. A replica that never applied an event has nothing to sweep. */
export async function beginFullSnapshot(ctx: FullSnapshotDeps, key: string, ts: number): Promise<void> {
  const hadData = ctx.nextOffsets.size > 0;
  const fs: FullSnapshot = { startedAt: Date.now(), hadData, fence: null, lastSeen: false, key, keyTs: ts, attempts: 1, olderKeys: [], notifFence: null };
  ctx.fullSnapshot = fs;
  for (const r of hadData ? ctx.registry.all() : []) if (r.state !== 'halted') await beginTableSweep(ctx, r, fs.startedAt);
  if (hadData) await markRecent(ctx, ts);
  await ctx.persist([...ctx.registry.takeDirty(), episodeRow(fs)]);
  ctx.log.info(hadData ? 'a full snapshot started over a populated replica: rows not in it will be swept' : 'the initial snapshot started', {});
}

/**
 * A record of an attempt newer than the running one: Debezium started the snapshot over. Rows the older
 * attempt delivered may no longer exist at the source (and no delete event will say so), so every table
 * is tracked from here, even on a replica that was empty when the episode began; late records of the
 * older attempt are applied but never mark a row seen.
 */
export async function restartFullSnapshot(ctx: FullSnapshotDeps, key: string, ts: number): Promise<void> {
  const fs = ctx.fullSnapshot!;
  if (fs.key) fs.olderKeys = [...(fs.olderKeys ?? []), fs.key].slice(-20);
  Object.assign(fs, { key, keyTs: ts, attempts: (fs.attempts ?? 1) + 1, fence: null, lastSeen: false, notifFence: null, hadData: true });
  for (const r of ctx.registry.all()) if (r.state !== 'halted') await beginTableSweep(ctx, r, Date.now());
  await markRecent(ctx, ts);
  await ctx.persist([...ctx.registry.takeDirty(), episodeRow(fs)]);
  ctx.log.warn('the full snapshot was started over by the connector: every table is tracked again from this attempt', { attempt: fs.attempts });
}

/**
 * Marker `last` of the current attempt: the end, as a state row for the transaction that also moves the
 * offset past the marker (a kill between two separate writes would lose it). `apply()` updates memory
 * once that transaction has committed. The fence itself is read `snapshotFenceDelayMs` later by
 * takeDueFence, from the control loop: the `last` record's transaction does not wait for it, so the
 * records after it are applied meanwhile (it used to sleep there, holding every partition for 1.5 s).
 * A kill before the fence is stored leaves `lastSeen` without a fence: the next process reads it at once
 * (a fence read later only asks for more records to be applied before the sweep, never fewer).
 */
export async function fullSnapshotEnd(ctx: FullSnapshotDeps, sentAt: number | null = null): Promise<{ row: StateRow; apply(): void }> {
  const base = ctx.fullSnapshot ?? { startedAt: Date.now(), hadData: false, fence: null, lastSeen: false, key: null };
  const fs: FullSnapshot = { ...base, lastSeen: true, fence: null, fenceTs: sentAt, notifFence: null, fenceDueAt: Date.now() + ctx.settings.snapshotFenceDelayMs };
  return { row: episodeRow(fs), apply: () => { ctx.fullSnapshot = fs; } };
}

/** When the episode's fence is due (its end applied, its fence not read yet; no due time stored: at once), or null. */
export function fullFenceDue(fs: FullSnapshot | null | undefined): number | null {
  return fs?.lastSeen && !fs.fence ? fs.fenceDueAt ?? 0 : null;
}

/**
 * The fence of an attempt whose `last` record was applied, once its delay has passed: the high watermarks
 * of `<ctx>-cdc` (and of `<ctx>-notifications`: the table-scan reports to read first), stored with the
 * episode. Inside the control loop; cheap when there is nothing to take.
 */
export async function takeDueFence(ctx: FullSnapshotDeps, now = Date.now()): Promise<void> {
  const fs = ctx.fullSnapshot;
  if (!fs || (fullFenceDue(fs) ?? Infinity) > now) return;
  const fence = await takeFence(ctx.admin, ctx.topics.cdc, ctx);
  const notif = await fetchWatermarks(ctx.admin, ctx.topics.notifications).catch(() => null);
  const notifFence = notif ? Object.fromEntries([...notif].map(([p, w]) => [String(p), w.high])) : null;
  const next: FullSnapshot = { ...fs, fence, notifFence, fenceDueAt: null };
  await ctx.persist([episodeRow(next)]);
  ctx.fullSnapshot = next;
}

/** Have the table-scan reports up to the fence been read? (No notifications topic: nothing to wait for.) */
export function notificationsReached(ctx: FullSnapshotDeps, fs: FullSnapshot): boolean {
  for (const [p, off] of Object.entries(fs.notifFence ?? {})) if ((ctx.notifNext.get(Number(p)) ?? 0n) < BigInt(off)) return false;
  return true;
}

const SCAN_OK = new Set(['SUCCEEDED', 'EMPTY']);

/**
 * A collection's entry: exact (ids keep case); else, for state written lower-cased by an earlier version,
 * the one key equal ignoring case that no other table's collection is exactly.
 */
function keyOf(keys: string[], collection: string, others: Set<string>): string | undefined {
  if (keys.includes(collection)) return collection;
  const folded = keys.filter((k) => k.toLowerCase() === collection.toLowerCase() && !others.has(k));
  return folded.length === 1 ? folded[0] : undefined;
}

/**
 * Why a table the attempt delivered may not be swept although nothing else stops it, or null. Its records
 * can be lost on the way without a gap ever being seen while the attempt ran: purged before the engine read
 * them, on one partition, while the attempt's first record was kept on another (the episode then began
 * after the gap was recorded). Each row the source scanned is one record, so fewer records received than
 * rows reported means rows the sweep would take for gone. With no count reported (no notifications read),
 * a gap not yet resolved leaves the same doubt.
 */
function shortfall(ctx: FullSnapshotDeps, r: TableRecord, reported: number | null): string | null {
  const got = (r.sweep?.rowsApplied ?? 0) + (r.sweep?.rowsSkipped ?? 0);
  if (reported !== null) {
    return got >= reported ? null
      : `the full snapshot delivered ${got} of the ${reported} rows the source reported scanning for ${r.id}: its other records were lost before they were applied (purged unread), so the rows it delivered cannot all be told from rows it did not`;
  }
  const gap = ctx.gaps.find((g) => !g.resolved && g.topic === ctx.topics.cdc);
  return gap ? `records of ${ctx.topics.cdc} partition ${gap.partition} were purged unread and the source reported no row count for the snapshot of ${r.id}, so the snapshot cannot be shown to have delivered every row` : null;
}

/**
 * What the notifications said of this attempt. A STARTED produced after the attempt's `last` record is the
 * next attempt's (read ahead: the notifications have their own reader): the report it replaced stands.
 */
function reportOf(scan: InitialScanReport | null, fs: FullSnapshot): InitialScanReport | null {
  const end = fs.fenceTs;
  if (!scan || end === undefined || end === null || scan.startedTs <= end) return scan;
  return scan.before && scan.before.startedTs <= end ? scan.before : null;
}

/** The current attempt is complete and fenced: sweep what it covered, restore the rest. */
export async function completeFullSnapshot(ctx: FullSnapshotDeps): Promise<void> {
  const fs = ctx.fullSnapshot!;
  const scan = reportOf(ctx.initialScan, fs);
  const collections = new Set(ctx.registry.all().map((r) => r.collection));
  /** Resyncs the attempt took over but did not cover: started over, their signals sent once the episode's end is stored. */
  const restarted: TableRecord[] = [];
  let short: string | null;
  for (const r of ctx.registry.all()) {
    const scanKey = scan ? keyOf(Object.keys(scan.scans), r.collection, collections) : undefined;
    const reported = scan && scanKey !== undefined ? scan.scans[scanKey] : undefined;
    if (r.sweep?.kind === 'full') {
      const delivered = r.sweep.attemptKey === fs.key || (fs.key === undefined || fs.key === null);
      if (reported && !SCAN_OK.has(reported.status)) await failSweep(ctx, r, `the full snapshot's scan of ${r.id} ended with ${reported.status}`);
      else if (delivered || (reported && SCAN_OK.has(reported.status))) {
        if (reported) r.sweep.scan = { status: reported.status, rows: reported.rows, at: reported.ts }; // the report's figures, swept or not
        if (r.sweep.purged) await failSweep(ctx, r, `records of the full snapshot may have been purged before they were applied (${r.sweep.purged}), so the rows it delivered cannot all be told from rows it did not`);
        else if (r.sweep.unmarked) await failSweep(ctx, r, `${unmarkedReason(recentWrites(ctx).limit)}; so the rows the attempt delivered cannot all be told from rows it did not`);
        else if ((short = shortfall(ctx, r, reported?.rows ?? null)) !== null) {
          ctx.log.warn('a full snapshot delivered fewer rows than the source scanned: the table is not swept', { table: r.id, reason: short });
          if (r.sweep.resync) restarted.push(...await markResync(ctx, [r.id], r.sweep.resync.why ?? short, { fresh: true }));
          else await failSweep(ctx, r, short);
        } else await finishSweep(ctx, r);
      } else if (scan && keyOf(scan.collections, r.collection, collections) !== undefined) await failSweep(ctx, r, `the full snapshot listed ${r.id} but neither delivered a row nor reported its scan`);
      else if (r.sweep.resync) restarted.push(...await markResync(ctx, [r.id], r.sweep.resync.why));
      else await dropSweep(ctx, r);
    } else if (r.state === 'pending' || r.state === 'snapshotting') { r.state = 'ok'; r.snapshot = null; clearStall(r); ctx.registry.put(r); }
  }
  ctx.completed = { key: fs.key ?? null, ts: fs.keyTs ?? null, endTs: fs.fenceTs ?? null };
  ctx.fullSnapshot = null;
  await ctx.persist([...ctx.registry.takeDirty(), { id: COMPLETED_SNAPSHOT_ID, kind: 'session', value: toStateJson({ ...ctx.completed, at: Date.now() }) }], [FULL_SNAPSHOT_ID]);
  ctx.log.info('full snapshot complete', { attempts: fs.attempts ?? 1 });
  if (restarted.length) {
    ctx.log.warn('resyncs the full snapshot took over but did not cover start over', { tables: restarted.map((r) => r.id) });
    await signalResync(ctx, restarted);
  }
}
