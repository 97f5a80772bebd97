/**
 * The CLI's progress output, every 2 s while an engine runs: one plain line (a bar in front when stdout is
 * a terminal), or with `--json` one JSON object per line (`{"type":"progress",…}`) for scripts. Snapshot
 * and resync figures come from the engine's status: rows copied, rows/s, and a percentage and ETA only
 * where a total is reported or estimated (`~`); otherwise "total unknown", never a made-up 0 %.
 */
import type { EngineStatus } from '../../preload/contract/status.ts';

const n = (x: number): string => x.toLocaleString('en-US');

function bar(percent: number, width = 20): string {
  const full = Math.max(0, Math.min(width, Math.round((percent / 100) * width)));
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

/** The running snapshots and resyncs in words, or '' when none runs. */
export function snapshotText(s: Pick<EngineStatus, 'snapshot' | 'tables'>): string {
  const o = s.snapshot;
  if (!o) {
    const rows = s.tables.filter((t) => t.snapshot).reduce((sum, t) => sum + (t.snapshot?.rowsSeen ?? 0), 0);
    return rows ? `snapshot ${n(rows)} rows (total unknown)` : '';
  }
  const estimated = s.tables.some((t) => t.snapshot?.total?.basis === 'estimated');
  const rows = o.rowsTotal === null ? `${n(o.rowsSeen)} rows (total unknown)` : `${n(o.rowsSeen)} of ${estimated ? '~' : ''}${n(o.rowsTotal)} rows`;
  const pct = o.percent === null ? '' : ` (${o.percent} %)`;
  const rate = o.rowsPerSecond === null ? '' : ` · ${n(Math.round(o.rowsPerSecond))} rows/s`;
  const eta = o.etaSeconds === null ? '' : ` · ETA ${Math.round(o.etaSeconds)} s`;
  return `snapshot of ${o.tables} table${o.tables === 1 ? '' : 's'}: ${rows}${pct}${rate}${eta}`;
}

export function progressLine(s: EngineStatus, tty = false): string {
  const by = new Map<string, number>();
  for (const t of s.tables) by.set(t.state, (by.get(t.state) ?? 0) + 1);
  const states = [...by].map(([k, v]) => `${k} ${v}`).join(', ');
  const snap = snapshotText(s);
  const lead = tty && s.snapshot?.percent !== null && s.snapshot?.percent !== undefined ? `${bar(s.snapshot.percent)} ` : '';
  return `${lead}[${s.state}] applied ${s.eventsApplied} (${s.eventsPerSecond.toFixed(0)}/s) · lag ${s.lagEvents ?? '?'} events, ${s.lagSeconds === null ? '?' : s.lagSeconds.toFixed(1)} s · tables: ${states || 'none'}${snap ? ` · ${snap}` : ''}${s.gaps.some((g) => !g.resolved) ? ' · GAP: stale tables' : ''}`;
}

/** One progress record for `--json`: the same figures, machine-readable. */
export function progressJson(s: EngineStatus, now: Date = new Date()): string {
  const states: Record<string, number> = {};
  for (const t of s.tables) states[t.state] = (states[t.state] ?? 0) + 1;
  return JSON.stringify({
    type: 'progress', at: now.toISOString(), state: s.state, eventsApplied: s.eventsApplied, eventsPerSecond: s.eventsPerSecond,
    lagEvents: s.lagEvents, lagSeconds: s.lagSeconds, tables: states, snapshot: s.snapshot ?? null,
    snapshots: s.tables.filter((t) => t.snapshot).map((t) => ({ table: t.id, state: t.state, ...t.snapshot })),
  });
}

/** The progress output for this run: JSON lines with `--json`, else a line (with a bar on a terminal). */
export function progressOutput(io: { json: boolean }, tty: boolean, clock: () => Date = () => new Date()): (s: EngineStatus) => string {
  return io.json ? (s) => progressJson(s, clock()) : (s) => progressLine(s, tty);
}
