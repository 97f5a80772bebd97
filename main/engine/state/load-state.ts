/**
 * Reads the replica's `_ReplicationState` into the engine's memory: session, full-snapshot episode and
 * the last completed one, initial-scan report, offsets of the three tenant topics, table records and
 * gaps. An unreadable row is logged and skipped (the rest is still loaded).
 */
import type { EngineContext, FullSnapshot, InitialScanReport } from '../context.ts';
import { COMPLETED_SNAPSHOT_ID, FULL_SNAPSHOT_ID, INITIAL_SCAN_ID } from '../snapshot/full-snapshot.ts';
import { SCANS_PAUSED_ID, type ScansPaused } from '../snapshot/scan-pause.ts';
import { recentWrites } from '../apply/recent-writes.ts';
import { fromStateJson } from './json.ts';
import { unmirroredFromRows } from '../unmirrored-tables.ts';
import { stateIds } from './records.ts';
import type { GapRecord, OffsetRecord, SessionRecord, TableRecord } from './records.ts';
import { parseTableStats, TABLE_STATS_ID } from './table-stats.ts';
import type { TableStatsRecord } from './table-stats.ts';

export type LoadStateDeps = Pick<EngineContext,
  'completed' | 'fullSnapshot' | 'gaps' | 'historyNext' | 'initialScan' | 'scansPaused' | 'log' | 'nextOffsets' | 'notifNext' | 'registry' | 'replica' | 'session' | 'topics' | 'unmirrored'>;

/** Loads every state row; returns the stored table figures (row counts, last changes) when there are any. */
export async function loadReplicaState(c: LoadStateDeps): Promise<TableStatsRecord | null> {
  let tableStats: TableStatsRecord | null = null;
  c.nextOffsets.clear();
  c.gaps = [];
  c.scansPaused = null;
  const rows = await c.replica.readState();
  c.unmirrored = new Map(unmirroredFromRows(rows).map((t) => [t.table, t]));
  for (const row of rows) {
    try {
      if (row.id === stateIds.session) c.session = fromStateJson<SessionRecord>(row.value);
      else if (row.id === FULL_SNAPSHOT_ID) c.fullSnapshot = fromStateJson<FullSnapshot>(row.value);
      else if (row.id === COMPLETED_SNAPSHOT_ID) { const v = fromStateJson<{ key: string | null; ts?: number | null; endTs?: number | null }>(row.value); c.completed = { key: v.key, ts: v.ts ?? null, endTs: v.endTs ?? null }; }
      else if (row.id === INITIAL_SCAN_ID) c.initialScan = fromStateJson<InitialScanReport>(row.value);
      else if (row.id === SCANS_PAUSED_ID) c.scansPaused = fromStateJson<ScansPaused>(row.value);
      else if (row.id === TABLE_STATS_ID) tableStats = parseTableStats(row.value);
      else if (row.kind === 'offset') {
        const [, topic, p] = /^offset:(.*):(\d+)$/.exec(row.id) ?? [];
        const o = fromStateJson<OffsetRecord>(row.value);
        if (topic === c.topics.cdc) {
          c.nextOffsets.set(Number(p), BigInt(o.next));
          // Rows this replica holds were written by events up to here, before this process noted any.
          if (typeof o.ts === 'number' && Number.isFinite(o.ts)) recentWrites(c).writtenBefore(o.ts);
        }
        else if (topic === c.topics.notifications) c.notifNext.set(Number(p), BigInt(o.next));
        else if (topic === c.topics.schemaHistory) c.historyNext = o.next;
      } else if (row.kind === 'table') {
        const r = fromStateJson<TableRecord>(row.value);
        c.registry.records.set(r.id, r);
      } else if (row.kind === 'gap') c.gaps.push(fromStateJson<GapRecord>(row.value));
    } catch (err) {
      c.log.warn('unreadable _ReplicationState row ignored', { id: row.id, error: (err as Error).message });
    }
  }
  return tableStats;
}
