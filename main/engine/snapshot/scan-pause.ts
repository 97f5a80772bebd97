/**
 * Incremental snapshots paused at the source connector. Someone sent Debezium a `pause-snapshot` signal
 * (the tenant's provider, an operator): its scans stop until `resume-snapshot`, and Debezium says so in
 * `<ctx>-notifications` (PAUSED, RESUMED). While paused, a resync waiting for its scan is not stalled:
 * its signal is not sent again (each one sent queued another whole scan of the table, run after the
 * resume: three scans of a 300,000-row table for one resync, and a later resync waited behind them —
 * found on the stack), and the table says it is paused and why (RESYNC_PAUSED) instead of advising a
 * connector restart. The pause is stored (a `session` row), so an engine started meanwhile knows it.
 */
import type { EngineContext } from '../context.ts';
import type { Notification } from '../source/notifications.ts';
import { awaitingScan } from './sweep.ts';

export const SCANS_PAUSED_ID = 'incremental-snapshots-paused';

export interface ScansPaused {
  /** When the connector paused (its notification's timestamp), ms. */
  at: number;
}

export type ScanPauseDeps = Pick<EngineContext, 'events' | 'notifNext' | 'notifReplayEnd' | 'registry' | 'scansPaused'>;

/**
 * Is the notification reader still reading what was written before it began (a `sync` catching up)? A
 * pause read there may have been resumed since: the resyncs are marked paused only once it has read
 * that far, and only if the pause still holds. Before, a replica catching up on a PAUSED and its RESUMED
 * marked its waiting resyncs paused in between (an error event, a desktop notice) for a pause long over.
 */
export function replayingNotifications(ctx: Pick<EngineContext, 'notifNext' | 'notifReplayEnd'>): boolean {
  for (const [p, end] of ctx.notifReplayEnd ?? []) if ((ctx.notifNext.get(p) ?? 0n) < end) return true;
  return false;
}


/** Marks every resync still waiting for its scan as paused (a resync asked for during the pause too: the tick). */
export function markPausedResyncs(ctx: ScanPauseDeps): void {
  const p = ctx.scansPaused;
  if (!p || replayingNotifications(ctx)) return;
  for (const r of ctx.registry.all()) {
    if (!awaitingScan(r) || r.error?.code === 'RESYNC_PAUSED') continue;
    r.error = {
      code: 'RESYNC_PAUSED', retriable: true,
      message: `the source connector's incremental snapshots are paused (a pause-snapshot signal, ${new Date(p.at).toISOString()}): ` +
        'the resync of this table waits for them to be resumed. No row is deleted while it waits; it completes by itself once they are',
      detail: { table: r.id, pausedAt: new Date(p.at).toISOString(), fix: 'ask the tenant\'s provider to send Debezium a resume-snapshot signal; the resync then completes by itself' },
    };
    ctx.registry.put(r);
    ctx.events.emit('error', { error: r.error, table: r.id });
  }
}

/** What ends a pause: RESUMED, or a scan that moves (which a paused connector does not). */
const MOVING = new Set(['RESUMED', 'STARTED', 'IN_PROGRESS', 'TABLE_SCAN_COMPLETED']);

/** The pause after an incremental-snapshot notification: begun by PAUSED, ended by RESUMED or a moving scan, else as it was. */
export function pauseAfter(current: ScansPaused | null, n: Notification, now = Date.now()): ScansPaused | null {
  if (n.aggregateType !== 'Incremental Snapshot') return current;
  if (n.type === 'PAUSED') return { at: n.timestamp || now };
  return MOVING.has(n.type) ? null : current;
}

/**
 * The pause as the notifications before a position say it (oldest first): a replica that starts reading
 * `<ctx>-notifications` at its end (provisioned, or its position purged) would otherwise not know of a
 * pause sent before, and take its resync's wait for a stall: "restart the tenant's connector", and its
 * signal sent again every `resyncStallSeconds`, each queuing one more whole scan (found on the stack).
 */
export function pauseFromHistory(notes: readonly Notification[], was: ScansPaused | null = null): ScansPaused | null {
  let paused = was;
  for (const n of notes) paused = pauseAfter(paused, n);
  return paused;
}

/** PAUSED, RESUMED, or a scan that moves: updates the pause. */
export function followScanPause(ctx: ScanPauseDeps, n: Notification, now = Date.now()): void {
  const was = ctx.scansPaused ?? null;
  const next = pauseAfter(was, n, now);
  if (next === was) return;
  if (next) { ctx.scansPaused = next; markPausedResyncs(ctx); } else endScanPause(ctx, now);
}

/** The pause is over: the tables that carried it are waiting resyncs again, their stall clock started now. */
export function endScanPause(ctx: ScanPauseDeps, now = Date.now()): void {
  ctx.scansPaused = null;
  for (const r of ctx.registry.all()) {
    if (r.error?.code !== 'RESYNC_PAUSED') continue;
    r.error = null;
    // The stall clock starts again now: the pause was not a silence of the connector.
    if (r.sweep) r.sweep.progressAt = now;
    ctx.registry.put(r);
  }
}
