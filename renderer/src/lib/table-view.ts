/** Filtering and sorting of the dashboard's table list. Pure: unit-tested. */
import type { TableState, TableStatus } from '../../../preload/contract/status.ts';

export type SortKey = 'id' | 'state' | 'rows' | 'progress' | 'events' | 'lag' | 'lastChange';
export type SortDir = 'asc' | 'desc';
/** `problem` = stale, halted or carrying an error. */
export type StateFilter = TableState | 'all' | 'problem';

export interface TableQuery { text: string; state: StateFilter; sort: SortKey; dir: SortDir }

export const DEFAULT_QUERY: TableQuery = { text: '', state: 'all', sort: 'id', dir: 'asc' };

/** Orders states by how much they need attention when sorting by state. */
const STATE_RANK: Record<TableState, number> = { halted: 0, stale: 1, resyncing: 2, snapshotting: 3, pending: 4, ok: 5 };

export function isProblem(t: TableStatus): boolean {
  return t.state === 'stale' || t.state === 'halted' || t.error !== null;
}

/** Snapshot progress in percent (0–100) or null when no snapshot is running or it cannot be told. */
export function snapshotPercent(t: TableStatus): number | null {
  const s = t.snapshot;
  if (!s) return null;
  if (s.percent !== null) return Math.max(0, Math.min(100, s.percent));
  if (s.rowsExpected && s.rowsExpected > 0) return Math.min(100, (s.rowsSeen / s.rowsExpected) * 100);
  return null;
}

function sortValue(t: TableStatus, key: SortKey): string | number | null {
  switch (key) {
    case 'id': return t.id;
    case 'state': return STATE_RANK[t.state];
    case 'rows': return t.rows;
    case 'progress': return snapshotPercent(t);
    case 'events': return t.eventsApplied;
    case 'lag': return t.lagSeconds;
    case 'lastChange': return t.lastAppliedAt;
  }
}

function matches(t: TableStatus, q: TableQuery, needle: string): boolean {
  if (q.state === 'problem' ? !isProblem(t) : q.state !== 'all' && t.state !== q.state) return false;
  return needle === '' || t.id.includes(needle);
}

/** Filters by text (substring of the id, case-insensitive) and state, then sorts; nulls always last, ties by id. */
export function viewTables(tables: readonly TableStatus[], q: TableQuery): TableStatus[] {
  const needle = q.text.trim().toLowerCase();
  const sign = q.dir === 'asc' ? 1 : -1;
  const rows = tables.filter((t) => matches(t, q, needle));
  return rows.sort((a, b) => {
    const va = sortValue(a, q.sort);
    const vb = sortValue(b, q.sort);
    if (va !== vb) {
      if (va === null) return 1;
      if (vb === null) return -1;
      const c = typeof va === 'string' && typeof vb === 'string' ? va.localeCompare(vb) : (va as number) - (vb as number);
      if (c !== 0) return c * sign;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** Next sort after a click on column `key`: same column flips direction, a new one starts ascending. */
export function toggleSort(q: TableQuery, key: SortKey): TableQuery {
  return q.sort === key ? { ...q, dir: q.dir === 'asc' ? 'desc' : 'asc' } : { ...q, sort: key, dir: 'asc' };
}
