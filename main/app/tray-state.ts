/**
 * Tray health, derived from EngineStatus. Pure. `deriveHealth` says what the status means; the state
 * machine adds a dwell so the icon does not flicker between ok and syncing on every batch, while
 * problems (error, stale, paused) show at once.
 */
import type { EngineStatus } from '../../preload/contract/status.ts';

export type TrayHealth = 'ok' | 'syncing' | 'stale' | 'error' | 'paused';
export const TRAY_HEALTHS: readonly TrayHealth[] = ['ok', 'syncing', 'stale', 'error', 'paused'];

export interface TrayView { health: TrayHealth; tooltip: string }

/** Priority: paused > error > stale > syncing > ok. A null status means no engine (not set up). */
export function deriveHealth(status: EngineStatus | null): TrayView {
  if (!status) return { health: 'paused', tooltip: 'Tenant Mirror: not running (open to set up)' };
  const name = `Tenant Mirror (${status.ctx})`;
  const halted = status.tables.filter((t) => t.state === 'halted');
  const stale = status.tables.filter((t) => t.state === 'stale');
  const openGaps = status.gaps.filter((g) => !g.resolved);
  if (status.state === 'paused') return { health: 'paused', tooltip: `${name}: paused` };
  if (status.state === 'stopped' && !status.lastError) return { health: 'paused', tooltip: `${name}: stopped` };
  if (status.state === 'error' || status.state === 'stopped' || halted.length) {
    const why = halted.length ? `${halted.length} table(s) halted` : status.lastError?.message ?? 'error';
    return { health: 'error', tooltip: `${name}: ${why}` };
  }
  if (stale.length || openGaps.length) {
    return { health: 'stale', tooltip: `${name}: ${stale.length || openGaps.flatMap((g) => g.tables).length} table(s) stale; resync needed` };
  }
  const missing = status.notMirrored?.length ?? 0;
  if (missing) return { health: 'stale', tooltip: `${name}: ${missing} source table(s) not mirrored (no primary key)` };
  const stalled = status.tables.filter((t) => t.error?.code === 'RESYNC_STALLED');
  if (stalled.length) return { health: 'stale', tooltip: `${name}: ${stalled.length} table resync(s) stalled at the source connector (restart the tenant's connector)` };
  const paused = status.tables.filter((t) => t.error?.code === 'RESYNC_PAUSED');
  if (paused.length) return { health: 'stale', tooltip: `${name}: ${paused.length} table resync(s) paused at the source connector (they go on once its snapshots are resumed)` };
  const snapStalled = status.tables.filter((t) => t.error?.code === 'SNAPSHOT_STALLED');
  if (snapStalled.length) return { health: 'stale', tooltip: `${name}: the snapshot has stalled at the source connector (${snapStalled.length} table(s) waiting)` };
  const busy = status.tables.filter((t) => t.state === 'snapshotting' || t.state === 'resyncing' || t.state === 'pending');
  if (status.state === 'starting' || status.state === 'snapshotting' || status.state === 'retrying' || busy.length) {
    const snap = status.snapshot;
    const progress = snap ? ` (${snap.percent === null ? `${snap.rowsSeen.toLocaleString('en-US')} rows copied, total unknown` : `${Math.floor(snap.percent)}%${snap.etaSeconds === null ? '' : `, about ${etaWords(snap.etaSeconds)} left`}`})` : '';
    const what = status.state === 'retrying' ? `retrying (${status.lastError?.message ?? 'connection lost'})` : busy.length ? `syncing ${busy.length} table(s)${progress}` : status.state;
    return { health: 'syncing', tooltip: `${name}: ${what}` };
  }
  const lag = status.lagSeconds === null ? '' : `, ${Math.round(status.lagSeconds)} s behind`;
  return { health: 'ok', tooltip: `${name}: up to date${lag}` };
}

function etaWords(s: number): string {
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export interface TrayStateMachine {
  /** Feeds a status; returns the view to show now. */
  update(status: EngineStatus | null): TrayView;
  current(): TrayView;
}

/**
 * `dwellMs`: ok ↔ syncing changes only show once the new health has held that long
 * (checked on the next update). Every other change shows immediately.
 */
export function createTrayStateMachine(opts: { dwellMs: number; now: () => number }): TrayStateMachine {
  let shown: TrayView = deriveHealth(null);
  let pending: { view: TrayView; since: number } | null = null;
  const calm = (h: TrayHealth): boolean => h === 'ok' || h === 'syncing';
  return {
    update(status) {
      const next = deriveHealth(status);
      if (next.health === shown.health) {
        pending = null;
        shown = next; // tooltip text may change
        return shown;
      }
      if (!(calm(next.health) && calm(shown.health))) {
        pending = null;
        shown = next;
        return shown;
      }
      const t = opts.now();
      if (!pending || pending.view.health !== next.health) pending = { view: next, since: t };
      if (t - pending.since >= opts.dwellMs) {
        shown = next;
        pending = null;
      }
      return shown;
    },
    current: () => shown,
  };
}
