/**
 * Full snapshots (initial, blocking, or a repeat after the connector's offsets were reset) arrive as
 * records with `source.snapshot` markers spread over every partition. One *attempt* is told from another
 * by its identity (ChangeEvent.snapshotKey: the source block without per-record fields) and ordered by
 * the Kafka timestamp of its records: an attempt that Debezium started over is produced after the one it
 * replaces, so any record of the newer attempt is younger than every record of the older one.
 * The rules are written down in docs/snapshots.md.
 */

/** A full snapshot episode being applied (persisted as the `fullsnapshot` state row). */
export interface FullSnapshot {
  startedAt: number;
  /** Rows were swept-tracked from the start (the replica held data before the episode). */
  hadData: boolean;
  /** Set by the current attempt's `last` record: sweep once every partition's next offset reaches these. */
  fence: Record<string, string> | null;
  /** Kafka timestamp of the `last` record (the fence's time rule, snapshot/fence.ts); absent: the fence alone. */
  fenceTs?: number | null;
  lastSeen: boolean;
  /**
   * Wall time (ms) from which the fence may be read: `snapshotFenceDelayMs` after the `last` record was
   * applied, so that records sent before it on other partitions have landed. Taken then by the control
   * loop (takeDueFence), not while the `last` record's transaction waits: applying goes on meanwhile.
   * Absent with `lastSeen` and no fence (stored before this field, or the process stopped first): due at once.
   */
  fenceDueAt?: number | null;
  /** Identity of the current (newest) attempt; absent in state written before identities existed. */
  key?: string | null;
  /** Kafka timestamp (ms) of a record of the current attempt. */
  keyTs?: number;
  /** Attempts seen in this episode (1 unless Debezium started over). */
  attempts?: number;
  /** Identities of older attempts of this episode: their late records are applied but never mark a row seen. */
  olderKeys?: string[];
  /** High watermarks of `<ctx>-notifications` when the fence was taken: table-scan reports read up to there. */
  notifFence?: Record<string, string> | null;
}

/**
 * The last attempt that completed. `endTs`: Kafka timestamp of its `last` record (null when unknown): no
 * record of that attempt was produced after it, so a record with its identity and a later timestamp is a
 * new attempt that began at the same source position (a snapshot repeated with nothing written at the
 * source in between, e.g. after rows were removed with no log: offsets reset, a restore).
 */
export interface CompletedSnapshot { key: string | null; ts: number | null; endTs?: number | null }

/**
 * What a full-snapshot record means for the episode:
 * - `current`: a record of the running attempt;
 * - `start`: the first record of a new episode;
 * - `restart`: a record of an attempt newer than the running one (Debezium started over): seen sets restart;
 * - `older`: a late record of an attempt older than the running one: applied, never marks a row seen;
 * - `straggler`: a record of the attempt that already completed (its identity, produced no later than its
 *   `last` record, or older than its start): applied as a plain upsert.
 */
export type AttemptVerdict = 'current' | 'start' | 'restart' | 'older' | 'straggler';

export function classifySnapshotRecord(running: FullSnapshot | null, completed: CompletedSnapshot, key: string, ts: number): AttemptVerdict {
  if (running) {
    if (running.key === undefined || running.key === null) return 'current'; // state from before identities
    if (running.key === key) return 'current';
    if (running.olderKeys?.includes(key)) return 'older';
    return ts > (running.keyTs ?? 0) ? 'restart' : 'older';
  }
  if (completed.key === key) return completed.endTs !== undefined && completed.endTs !== null && ts > completed.endTs ? 'start' : 'straggler';
  if (completed.ts !== null && ts < completed.ts) return 'straggler';
  return 'start';
}
