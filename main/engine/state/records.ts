/** The typed contents of `_ReplicationState` rows. */
import type { ErrorData } from '../errors.ts';
import type { GapInfo, ResyncReport, TableState } from '../../../preload/contract/status.ts';
import type { TableDef } from '../schema/table-model.ts';

export interface SessionRecord {
  ctx: string;
  topicPrefix: string;
  brokers: string[];
  replicationId: string;
  provisionedAt: number;
  clientVersion: string;
  /** The settings' tablePrefix at provision: where the replica's tables are (absent: provisioned before it was recorded). */
  tablePrefix?: string;
}

export interface SweepRecord {
  /** `incremental`: resync of this table; `full`: a full snapshot of every table (source restored / tenant resumed). */
  kind: 'incremental' | 'full';
  startedAt: number;
  signalId: string | null;
  /** Set when the snapshot reported completion: sweep once every partition's next offset reaches these. */
  fence: Record<string, string> | null;
  /** Kafka timestamp of the record that reported the end (the fence's time rule, snapshot/fence.ts); absent: the fence alone. */
  fenceTs?: number | null;
  /** Incremental: the scan ended; its fence is read from this wall time (ms) on, by the control loop (snapshot/check.ts). */
  fenceDueAt?: number | null;
  /** Incremental: what Debezium reported for the table scan (TABLE_SCAN_COMPLETED status and rows). */
  scan?: { status: string; rows: number | null; at: number } | null;
  /**
   * Incremental: the scan failed in a way a DROP or RENAME of the table at the source explains
   * (SQL_EXCEPTION, UNKNOWN_SCHEMA). The resync fails at `dueAt` unless the schema history drops the table
   * first (its scan's next chunk failing often comes before the connector's log reader reaches the DROP).
   */
  failing?: { why: string; dueAt: number } | null;
  /** Full: identity of the snapshot attempt whose records this table received (swept only for the current one). */
  attemptKey?: string | null;
  /**
   * Full: the rows written by events produced after the attempt began, applied before its first record
   * was read, cannot all be known (more than the engine remembers, or written before this process
   * started: apply/recent-writes.ts), so some rows the attempt stands for may carry no mark: the table is
   * not swept at the end (it is left stale with the retry command).
   */
  unmarked?: boolean;
  /** Full: records of the episode may have been purged unread (a gap while it ran): the table is not swept at the end (snapshot/gaps.ts). */
  purged?: string | null;
  /** The table's state before the sweep began: restored when a full snapshot turns out not to include it. */
  prev?: { state: TableState; staleReason: string | null } | null;
  /** Snapshot rows applied since the sweep began (the resync report's "scanned"); full: records of the current attempt only. */
  rowsApplied?: number;
  /**
   * Full: records of the current attempt received for the table and deliberately not applied (superseded
   * by a TRUNCATE or a rebuild). With rowsApplied, what the attempt delivered, held against the rows the
   * source reported scanning (completeFullSnapshot): fewer means records were lost on the way (purged).
   * Incremental: rows of the table's own scan skipped as of a schema the table does not fit; any stops the
   * sweep (finishSweep).
   */
  rowsSkipped?: number;
  /** Rows in the replica table when the sweep began (COUNT(*)), null when it could not be counted. */
  rowsBefore?: number | null;
  /** Incremental: the table was halted, and was dropped and created again (empty) for this resync; rowsBefore counted before the drop. */
  recreated?: boolean;
  /** Last sign of the scan (a snapshot row applied, a progress notification, the signal sent), ms. */
  progressAt?: number;
  /** Last sign that Debezium's queue of incremental scans moves (any table's progress or scan end), ms. */
  queueMovedAt?: number;
  /**
   * Incremental: the signals (ids) of the table's scans asked for before this sweep began whose end has
   * not been seen. Debezium queues a table once per signal and runs the scans in the order it takes the
   * signals, so the next ends reported for the table are theirs: part of such a scan was read before this
   * sweep's seen set began (or before the table was rebuilt), and sweeping at its end deleted rows only a
   * later scan delivers (found on the stack: scenario b2).
   */
  scansBefore?: string[];
  /** Incremental: an end was let pass as an earlier scan's (see notifications.ts: COMPLETED). */
  skippedEnd?: boolean;
  /**
   * Incremental: the end of `<ctx>-notifications` when this resync's first signal was sent (null: not
   * known; absent: a sweep stored before it was recorded), and whether a scan boundary (STARTED, or a scan's
   * end) was stored after it since: until one is, a scan of the table that ends began before this resync's
   * seen set did and is not its end (notifications.ts, notOwnScan).
   */
  signalAfter?: Record<string, string> | null;
  scanBegun?: boolean;
  /**
   * Incremental: the connector (re)started after this resync's signal was sent (an "Initial Snapshot"
   * notification, which a task says when it starts): a scan asked for then may have been lost with its
   * queue, so a resync the queue's end leaves without its scan asks again instead of failing.
   */
  restartSeen?: boolean;
  /**
   * Full: the table's resync was running when the full snapshot began, and the attempt stands for it
   * (snapshot/full-snapshot.ts). `why`: the resync's reason, for starting it over if the attempt does not
   * cover the table.
   */
  resync?: { why: string | null } | null;
}


/**
 * A signal that asked for a scan of a table: its id and the order it was sent in (sendSignals); `after`:
 * the end offsets of `<ctx>-notifications` (partition → offset) read before it was sent. A notification
 * stored below them was written before the signal existed, so it reports a scan someone else asked for
 * (another replica of the tenant, an admin's signal) or one long over: never this signal's scan.
 */
export interface ScanSignal { id: string; seq: number; after?: Record<string, string> }

export interface TableRecord {
  id: string;
  schema: string;
  name: string;
  /** Data-collection id for signals (`db.table`, `db.schema.table` or `schema.table`). */
  collection: string;
  def: TableDef;
  hash: string;
  /** Hashes of definitions this table had before; late events with them are applied partially or skipped. */
  previousHashes: Array<{ hash: string; compatible: boolean }>;
  state: TableState;
  staleReason: string | null;
  error: ErrorData | null;
  sweep: SweepRecord | null;
  /** Snapshot in progress (initial load or resync): rows seen so far and expected when known. */
  snapshot: { kind: 'initial' | 'incremental'; rowsSeen: number; rowsExpected: number | null; startedAt: number } | null;
  createdAt: number;
  /** The last resync's report (absent before the first). */
  lastResync?: ResyncReport | null;
  /** Position in `<ctx>-schemahistory` (`partition:offset`) of the definition the table has, when known. */
  schemaPos?: string | null;
  /**
   * Kafka timestamp of the newest TRUNCATE applied to the table. A truncate record has no key, so it can
   * sit on any partition: events of the table produced at or before it, read after it from a partition
   * read behind, are skipped (their rows were truncated); see docs/snapshots.md.
   */
  truncatedAt?: number | null;
  /**
   * Where in the source's log (schema/source-position.ts) the definition the table was last rebuilt to
   * was made (for a table created after the initial load: where its incarnation began), until the resync
   * that refills it has swept: an event written before it is superseded by that resync and is skipped,
   * whatever its schema (applied, a row it created would be marked seen while the delete that followed,
   * of a schema the table no longer fits, was skipped, or never came, the table being dropped: a ghost row).
   */
  rebuiltSrc?: string | null;
  /** Since when (ms) the settings' table filter leaves the table out: its changes are skipped (left-out-tables.ts). */
  leftOutAt?: number | null;
  /**
   * The incremental scans of this table asked of the connector (the signals naming it, in the order sent)
   * whose end it has not reported yet (TABLE_SCAN_COMPLETED, whatever its status). `COMPLETED` or `ABORTED`
   * (the connector's queue empty) settles those sent up to the signal it names (the last it took); those
   * sent after it are still to be taken. A signal sent again over a stalled scan is one more. Each is
   * counted before it is sent (resync.ts: a signal that may have been sent counts).
   */
  scanSignals?: ScanSignal[];
  /**
   * The signal of the last scan end counted (taken off `scanSignals`): a `COMPLETED` naming it is then
   * still placed among the signals sent, and settles those before it that never reported an end.
   */
  endedSignal?: ScanSignal | null;
  /** The last scan end counted (where its notification was read) and whether it was let pass: counted once. */
  scanEnd?: { at: string; passed: boolean } | null;
}

/** `ts`: Kafka timestamp of the record at `next - 1` (the last one applied): proves the topic is still the same one. */
export interface OffsetRecord { next: string; at: number; ts?: number }

export interface PoisonRecord {
  topic: string; partition: number; offset: string;
  table: string | null;
  code: string; reason: string;
  key: string | null;
  /** The raw value (truncated to 64 KiB) so nothing is lost. */
  value: string | null;
  at: number;
}

export type GapRecord = GapInfo;

export const stateIds = {
  session: 'session',
  offset: (topic: string, partition: number) => `offset:${topic}:${partition}`,
  table: (id: string) => `table:${id}`,
  gap: (topic: string, partition: number, from: string) => `gap:${topic}:${partition}:${from}`,
  poison: (topic: string, partition: number, offset: string) => `poison:${topic}:${partition}:${offset}`,
};
