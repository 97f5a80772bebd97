/** How a resync ended, in one line per table: what an admin reads to verify a table. */
import { recreatedText, reportedRowsText } from '../../preload/contract/resync-text.ts';
import type { ResyncReport } from '../../preload/contract/status.ts';

export interface TableOutcome { id: string; state: string; staleReason: string | null; lastResync?: ResyncReport | null; error?: { code: string } | null }

/** A table in one of these states is still being filled by a snapshot or resync. */
export const BUSY_STATES: ReadonlySet<string> = new Set(['resyncing', 'snapshotting', 'pending']);

const count = (n: number | null | undefined): string => (n === null || n === undefined ? 'unknown' : String(n));

export function resyncReportLine(t: TableOutcome): string {
  const r = t.lastResync;
  const figures = r
    ? ` · ${r.outcome}: ${r.outcome === 'repaired' ? recreatedText(r) : ''}${r.rowsScanned} snapshot rows applied${reportedRowsText(r)}, ${r.rowsDeleted} deleted by the sweep, rows ${count(r.rowsBefore)} → ${count(r.rowsAfter)}, ${Math.max(0, Math.round((r.finishedAt - r.startedAt) / 100) / 10)} s`
    : '';
  return `${t.state.padEnd(9)} ${t.id}${figures}${t.staleReason ? ` — ${t.staleReason}` : ''}`;
}

/** What `resync-tables` says while it waits: rows stay readable, except in halted tables, created again empty first (snapshot/resync.ts). */
export function waitingLine(requested: string[], recreated: string[]): string {
  const readable = recreated.length
    ? `rows stay readable meanwhile, except in ${recreated.join(', ')}: halted, so created again empty first`
    : 'rows stay readable meanwhile';
  return `resnapshot requested for ${requested.join(', ')}; waiting for it to complete (${readable})…`;
}

/**
 * A table asked for that no longer has a record when its resync ends: dropped (or renamed) at the source
 * while it resynced — the replica dropped it too, which is in step (`dropped`, counted as done) — or
 * taken out of the mirror because it can no longer be mirrored (its key dropped, say): `missing`, why.
 */
export function goneOutcome(id: string, notMirrored: ReadonlyArray<{ table: string; reason: string }>): TableOutcome {
  const why = notMirrored.find((t) => t.table === id);
  return why
    ? { id, state: 'missing', staleReason: why.reason }
    : { id, state: 'dropped', staleReason: 'dropped at the source during the resync (or renamed): no longer in the source, so no longer in the replica' };
}

/** Whether a resynced table ended in step: ok, or gone from the source and from the replica alike. */
export const endedInStep = (t: TableOutcome): boolean => t.state === 'ok' || t.state === 'dropped';

/**
 * Of `ids`, whose resync an engine was seen running (`begun`: when each began, the engine's clock) before it
 * stopped: those the replica no longer has — `ok`, and no resync recorded since that one began (the
 * replica went back to an earlier state, restored from a backup, after the engine stopped). A table gone
 * is not among them (dropped at the source: goneOutcome), nor one stale or halted (said as such, not in step).
 */
export function lostResyncs(tables: ReadonlyArray<Pick<TableOutcome, 'id' | 'state' | 'lastResync'>>, ids: string[], begun: Readonly<Record<string, number>>): string[] {
  return ids.filter((id) => {
    const t = tables.find((x) => x.id === id);
    const at = begun[id];
    return t !== undefined && at !== undefined && t.state === 'ok' && (t.lastResync?.startedAt ?? -Infinity) < at;
  });
}
