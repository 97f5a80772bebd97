/** Display formatting. Pure. */

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return '—';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 90) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function formatAgo(ts: number | null | undefined, now: number): string {
  if (ts === null || ts === undefined) return '—';
  const s = Math.max(0, (now - ts) / 1000);
  if (s < 5) return 'just now';
  return `${formatSeconds(s)} ago`;
}

export function formatPercent(p: number | null | undefined): string {
  return p === null || p === undefined ? '—' : `${Math.floor(p)}%`;
}

export function formatTime(ts: number): string {
  return new Date(ts).toLocaleTimeString('en-GB', { hour12: false });
}

/** A duration to go ("ETA"): "unknown" when it cannot be told. */
export function formatEta(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return 'unknown';
  if (s < 1) return 'under 1 s';
  return formatSeconds(s);
}

/** Snapshot progress in words: rows copied, of what total (reported or estimated), rate and ETA. */
export function describeSnapshot(p: { rowsSeen: number; rowsPerSecond?: number | null; etaSeconds?: number | null; total?: { rows: number; basis: 'reported' | 'estimated' } | null }): string {
  const of = p.total ? ` of ${p.total.basis === 'estimated' ? '~' : ''}${formatCount(p.total.rows)}` : ' (total unknown)';
  const rate = p.rowsPerSecond === null || p.rowsPerSecond === undefined ? '' : ` · ${formatCount(Math.round(p.rowsPerSecond))} rows/s`;
  const eta = p.total ? ` · ETA ${formatEta(p.etaSeconds)}` : '';
  return `${formatCount(p.rowsSeen)}${of} rows copied${rate}${eta}`;
}
