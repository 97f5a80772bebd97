/**
 * Per-table figures a read-only `info` shows without a running engine: the row count the engine last
 * counted and when the last change to the table was committed (and its source commit time). Kept in one
 * `table-stats` row of `_ReplicationState`, written by the engine every 10 s (after counting rows); values
 * from before this run are kept for tables not changed since.
 */
import type { StateRow } from '../replica/replica.ts';
import type { TableCounters } from '../tables.ts';

export const TABLE_STATS_ID = 'table-stats';

export interface TableStats { rows: number | null; lastSourceTs: number | null; lastAppliedAt: number | null }
export interface TableStatsRecord { at: number; tables: Record<string, TableStats> }

export function parseTableStats(value: string | undefined): TableStatsRecord | null {
  if (!value) return null;
  try {
    const v = JSON.parse(value) as TableStatsRecord;
    return v && typeof v === 'object' && v.tables && typeof v.tables === 'object' ? v : null;
  } catch { return null; }
}

/** The row to write: this run's counters over the previous figures, for the tables that exist now. */
export function tableStatsRow(prev: TableStatsRecord | null, counters: ReadonlyMap<string, TableCounters>, ids: readonly string[], now: number): StateRow {
  const tables: Record<string, TableStats> = {};
  for (const id of ids) {
    const p = prev?.tables[id];
    const c = counters.get(id);
    tables[id] = {
      rows: c?.rows ?? p?.rows ?? null,
      lastSourceTs: c?.lastSourceTs ?? p?.lastSourceTs ?? null,
      lastAppliedAt: c?.lastAppliedAt ?? p?.lastAppliedAt ?? null,
    };
  }
  return { id: TABLE_STATS_ID, kind: 'session', value: JSON.stringify({ at: now, tables } satisfies TableStatsRecord) };
}
