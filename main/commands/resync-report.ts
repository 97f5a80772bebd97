/** How a resync ended, in one line per table: what an admin reads to verify a table. */
import type { ResyncReport } from '../../preload/contract/status.ts';

export interface TableOutcome { id: string; state: string; staleReason: string | null; lastResync?: ResyncReport | null }

export function resyncReportLine(t: TableOutcome): string {
  const r = t.lastResync;
  const figures = r
    ? ` · ${r.outcome}: ${r.rowsScanned} rows scanned${r.rowsReported === null ? '' : ` (source reported ${r.rowsReported})`}, ${r.rowsDeleted} deleted by the sweep, ${Math.max(0, Math.round((r.finishedAt - r.startedAt) / 100) / 10)} s`
    : '';
  return `${t.state.padEnd(9)} ${t.id}${figures}${t.staleReason ? ` — ${t.staleReason}` : ''}`;
}
