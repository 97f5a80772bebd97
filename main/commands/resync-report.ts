/** How a resync ended, in one line per table: what an admin reads to verify a table. */
import type { ResyncReport } from '../../preload/contract/status.ts';

export interface TableOutcome { id: string; state: string; staleReason: string | null; lastResync?: ResyncReport | null; error?: { code: string } | null }

const count = (n: number | null | undefined): string => (n === null || n === undefined ? 'unknown' : String(n));

export function resyncReportLine(t: TableOutcome): string {
  const r = t.lastResync;
  const figures = r
    ? ` · ${r.outcome}: ${r.rowsScanned} snapshot rows applied${r.rowsReported === null ? '' : ` (source reported ${r.rowsReported})`}, ${r.rowsDeleted} deleted by the sweep, rows ${count(r.rowsBefore)} → ${count(r.rowsAfter)}, ${Math.max(0, Math.round((r.finishedAt - r.startedAt) / 100) / 10)} s`
    : '';
  return `${t.state.padEnd(9)} ${t.id}${figures}${t.staleReason ? ` — ${t.staleReason}` : ''}`;
}
