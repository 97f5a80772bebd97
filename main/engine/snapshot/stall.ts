/**
 * Snapshots that stop without a word. A resync's scan (RESYNC_STALLED, set by resendStalledSignals in
 * resync.ts) and a full snapshot (SNAPSHOT_STALLED, here) that deliver nothing for `resyncStallSeconds`
 * while the engine has read what the topic holds: the tables say so until rows move again or the
 * snapshot ends. Nothing is swept or given up on it.
 */
import { isStallCode } from '../../../preload/contract/errors.ts';
import type { EngineContext } from '../context.ts';
import type { TableRecord } from '../state/records.ts';

export type StallDeps = Pick<EngineContext, 'events' | 'log' | 'persist' | 'registry' | 'settings' | 'fullSnapshot' | 'fullProgressAt' | 'fullStalled'>;

/** The engine's own reading, as the tick measures it: a silence is the source's only when nothing old is unread. */
export interface ReadingLag { lagEvents: number; lagSeconds: number | null }

/** Unread records older than this: the silence may be the engine's (offline, catching up), not the connector's. */
const BEHIND_SECONDS = 60;

export function engineBehind(lag: ReadingLag | undefined): boolean {
  if (!lag || lag.lagEvents === 0) return false;
  return lag.lagSeconds === null || lag.lagSeconds > BEHIND_SECONDS;
}

/** The table's scan moved (or its snapshot ended): a stall mark on it no longer holds. */
export function clearStall(r: TableRecord): void {
  if (isStallCode(r.error?.code)) r.error = null;
}

/**
 * Rows of the table's scan were applied: a stall no longer holds, but a pause does — rows the connector
 * read before it paused are still read after its PAUSED (another topic); RESUMED clears it (scan-pause.ts).
 */
export function clearStallOnRows(r: TableRecord): void {
  if (r.error?.code !== 'RESYNC_PAUSED') clearStall(r);
}

const owedByFull = (r: TableRecord): boolean => r.snapshot?.kind === 'initial' && (r.state === 'pending' || r.state === 'snapshotting' || r.state === 'resyncing');

/** A row of the running full snapshot was applied: it moves, and no table of it is stalled. */
export function fullSnapshotMoved(ctx: Pick<EngineContext, 'registry' | 'fullProgressAt' | 'fullStalled'>, now: number): void {
  ctx.fullProgressAt = now;
  if (ctx.fullStalled === false) return; // none marked since the engine started (undefined: look once, marks are stored)
  for (const r of ctx.registry.all()) if (r.error?.code === 'SNAPSHOT_STALLED') { r.error = null; ctx.registry.put(r); }
  ctx.fullStalled = false;
}

/** When the silence began: the earliest a stored mark records (an earlier process saw it begin), else `since`. */
function silenceFrom(owed: readonly TableRecord[], since: number): number {
  let from = since;
  for (const r of owed) {
    const t = r.error?.code === 'SNAPSHOT_STALLED' ? Date.parse(String((r.error.detail as { noRowSince?: unknown } | undefined)?.noRowSince)) : NaN;
    if (Number.isFinite(t) && t < from) from = t;
  }
  return from;
}

/** Marks the tables a running full snapshot still owes when it has delivered nothing for `resyncStallSeconds`. */
export async function markStalledSnapshot(ctx: StallDeps, now: number, lag?: ReadingLag): Promise<void> {
  const fs = ctx.fullSnapshot;
  if (!fs || fs.lastSeen || fs.fence || engineBehind(lag)) return;
  ctx.fullProgressAt ??= now; // since the engine started: an older silence was not observed
  const since = ctx.fullProgressAt;
  if (now - since <= ctx.settings.resyncStallSeconds * 1000) return;
  const owed = ctx.registry.all().filter((r) => owedByFull(r) && r.state !== 'halted');
  // Said once per process: marks stored by an earlier process (killed, restarted) are said again once this
  // process has seen the silence last the period too; after that only a table newly owed is news.
  if (!owed.length || (ctx.fullStalled === true && owed.every((r) => r.error?.code === 'SNAPSHOT_STALLED'))) return;
  const from = silenceFrom(owed, since);
  const minutes = Math.floor((now - from) / 60_000);
  const error = {
    code: 'SNAPSHOT_STALLED' as const, retriable: true,
    message: `the tenant's full snapshot (initial or blocking) has delivered no row for ${minutes >= 1 ? `${minutes} min` : `${Math.round((now - from) / 1000)} s`} ` +
      'while the engine has read what the change topic holds: the source connector may have stopped, failed or be restarting. No row is deleted ' +
      'while it waits; the snapshot goes on (or starts over) once the connector runs again',
    detail: { tables: owed.length, noRowSince: new Date(from).toISOString(), fix: 'check the tenant\'s Debezium connector (its status and log)' },
  };
  for (const r of owed) { r.error = error; ctx.registry.put(r); }
  ctx.fullStalled = true;
  await ctx.persist(ctx.registry.takeDirty());
  ctx.log.warn('full snapshot shows no progress', { tables: owed.length, seconds: Math.round((now - from) / 1000) });
  ctx.events.emit('error', { error, table: null });
}
