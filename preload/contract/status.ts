/** Status DTOs and engine events. Pure TypeScript: no node:*, no electron, no DOM. */
import type { ErrorData } from './errors.ts';

export type DialectName = 'sqlite' | 'postgres' | 'sqlserver';

export type EngineState =
  | 'stopped' | 'starting' | 'snapshotting' | 'streaming' | 'paused' | 'retrying' | 'error';

/** Per-table life cycle. `stale` = the replica is known to miss changes (gap) until resynced. */
export type TableState =
  | 'pending' | 'snapshotting' | 'ok' | 'stale' | 'resyncing' | 'halted';

export interface SnapshotProgress {
  kind: 'initial' | 'incremental';
  rowsSeen: number;
  /** Rows the source reported for the table, when known. */
  rowsExpected: number | null;
  percent: number | null;
  startedAt: number;
  /** Rows copied per second lately (null until it can be told). */
  rowsPerSecond?: number | null;
  /** Seconds to go at that rate, when a total is known or estimated. */
  etaSeconds?: number | null;
  /** The total the percentage is of: reported by the source (Debezium), estimated from the table's row count before, or unknown. */
  total?: { rows: number; basis: 'reported' | 'estimated' } | null;
}

/** All snapshots and resyncs running now, summed up (null when none runs). */
export interface OverallSnapshotProgress {
  tables: number;
  rowsSeen: number;
  /** Sum of the totals, only when every running table has one. */
  rowsTotal: number | null;
  percent: number | null;
  rowsPerSecond: number | null;
  etaSeconds: number | null;
}

/** What the last resync (or full snapshot sweep) of a table did: how an admin verifies a table. */
export interface ResyncReport {
  kind: 'incremental' | 'full';
  outcome: 'repaired' | 'failed';
  startedAt: number;
  finishedAt: number;
  /**
   * Snapshot rows applied (upserted) during the resync: every scan's that ran while it did, so a scan
   * queued before it (a repeated request) adds to it; shown as "snapshot rows applied", not as rows scanned.
   */
  rowsScanned: number;
  /** Rows the source reported for the table scan, when known. */
  rowsReported: number | null;
  /** Rows of the replica the snapshot did not deliver, deleted by the sweep. */
  rowsDeleted: number;
  /** Rows in the replica table when the resync began and when it ended (counted; null: unknown). */
  rowsBefore?: number | null;
  rowsAfter?: number | null;
  /**
   * The table was halted, so it was dropped and created again (empty) from the source definition before
   * its snapshot: indexes and triggers the customer had made on it are gone. rowsBefore: counted before the drop.
   */
  recreated?: boolean;
  reason: string | null;
}

export interface TableStatus {
  id: string; //                  `schema.table`, lower case
  state: TableState;
  /** Rows in the replica table: counted once, then kept from what each commit inserted and deleted; null while not known. */
  rows: number | null;
  /** Wall time (ms) `rows` was last known to change: its count, or the last commit that moved it (absent or null: not known). */
  rowsAt?: number | null;
  snapshot: SnapshotProgress | null;
  /** Source commit time (ms) of the last applied change. */
  lastSourceTs: number | null;
  /** Wall time (ms) the last change to this table was committed in the replica. */
  lastAppliedAt: number | null;
  eventsApplied: number;
  lagSeconds: number | null;
  staleReason: string | null;
  error: ErrorData | null;
  schemaHash: string | null;
  /** What the last resync of this table did (absent before the first). */
  lastResync?: ResyncReport | null;
}

export interface PartitionStatus {
  topic: string;
  partition: number;
  /** Next offset to apply, as stored in `_ReplicationState` (string: Kafka offsets are int64). */
  nextOffset: string | null;
  high: string | null;
  low: string | null;
  lagEvents: number | null;
  /** Seconds behind on this partition (0 when no event waits; null when unknown). */
  lagSeconds?: number | null;
}

export interface GapInfo {
  topic: string;
  partition: number;
  /** First missing offset (what the replica needed next). */
  fromOffset: string;
  /** First offset still available (the low watermark when detected). */
  toOffset: string;
  detectedAt: number;
  tables: string[];
  resolved: boolean;
}

/** A source table the settings let in that cannot be mirrored (no primary key): no replica table, said with why. */
export interface NotMirroredTable { table: string; reason: string; since: number }

export interface EngineStatus {
  state: EngineState;
  ctx: string;
  replica: DialectName;
  tables: TableStatus[];
  partitions: PartitionStatus[];
  gaps: GapInfo[];
  lagSeconds: number | null;
  lagEvents: number | null;
  eventsApplied: number;
  eventsPerSecond: number;
  /** Snapshots and resyncs running now, summed up (absent from older engines; null when none runs). */
  snapshot?: OverallSnapshotProgress | null;
  lastError: ErrorData | null;
  startedAt: number | null;
  updatedAt: number;
  /** Source tables that cannot be mirrored, with why (absent from older engines). */
  notMirrored?: NotMirroredTable[];
}

/** Events the engine emits; the tray, IPC stream, CLI and log subscribe. */
export interface EngineEvents {
  'state-changed': { state: EngineState; previous: EngineState; reason: string | null };
  'batch-applied': { events: number; tables: string[]; ms: number; offsets: Array<{ topic: string; partition: number; next: string }> };
  /** `at`: engine time the figures were taken (a status snapshot older than that does not undo them). */
  'progress': { tables: TableStatus[]; at?: number };
  'lag': { seconds: number | null; events: number | null; at: number };
  'table-stale': { table: string; reason: string; gap: GapInfo | null };
  'table-recovered': { table: string };
  /** A resync or full-snapshot sweep of a table ended: what it repaired (or why it failed). */
  'table-resynced': { table: string; report: ResyncReport };
  /** A resync of these tables was requested (by a person, a CLI request, or automatically on a gap). */
  'resync-requested': { tables: string[]; reason: string | null };
  /** The replica's schema was changed to follow the source (a schema check or a DDL event). */
  'schema-changed': { created: string[]; altered: string[]; recreated: string[]; dropped: string[] };
  'error': { error: ErrorData; table: string | null };
}
export type EngineEventName = keyof EngineEvents;
export const ENGINE_EVENT_NAMES: readonly EngineEventName[] = [
  'state-changed', 'batch-applied', 'progress', 'lag', 'table-stale', 'table-recovered', 'table-resynced', 'resync-requested', 'schema-changed', 'error',
];
