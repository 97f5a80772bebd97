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

export type ScanPauseDeps = Pick<EngineContext, 'events' | 'registry' | 'scansPaused'>;


/** Marks every resync still waiting for its scan as paused (a resync asked for during the pause too: the tick). */
export function markPausedResyncs(ctx: ScanPauseDeps): void {
  const p = ctx.scansPaused;
  if (!p) return;
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

/** PAUSED, RESUMED, or a scan that moves (which a paused connector does not): updates the pause. */
export function followScanPause(ctx: ScanPauseDeps, n: Notification, now = Date.now()): void {
  if (n.type === 'PAUSED') {
    ctx.scansPaused = { at: n.timestamp || now };
    markPausedResyncs(ctx);
    return;
  }
  if (!ctx.scansPaused || !(n.type === 'RESUMED' || n.type === 'STARTED' || n.type === 'IN_PROGRESS' || n.type === 'TABLE_SCAN_COMPLETED')) return;
  ctx.scansPaused = null;
  for (const r of ctx.registry.all()) {
    if (r.error?.code !== 'RESYNC_PAUSED') continue;
    r.error = null;
    // The stall clock starts again now: the pause was not a silence of the connector.
    if (r.sweep) r.sweep.progressAt = now;
    ctx.registry.put(r);
  }
}
