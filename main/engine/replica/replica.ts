/**
 * One `Replica` per replica database (sqlite/, postgres/, sqlserver/): a live connection that runs its
 * `Dialect`, writes change batches with their state rows in one transaction, and holds the writer lease.
 */
import type { Row, TableDef, TableRef } from '../schema/table-model.ts';
import type { ErrorClassifier } from './classified-error.ts';
import type { AlterPlan, Dialect } from './dialect.ts';

/** `_ReplicationState` rows. One table, key/value, lives in the replica so it travels with backups. */
export type StateKind = 'session' | 'offset' | 'table' | 'gap' | 'poison' | 'lease' | 'request' | 'unmirrored';
export interface StateRow {
  /** e.g. `offset:<topic>:<partition>`, `table:crm7.contact`, `session`, `gap:<topic>:<p>:<from>`, `lease`, `request:<uuid>`. */
  id: string;
  kind: StateKind;
  /** JSON text. */
  value: string;
}

/** Changes to one table inside one transaction, already reduced to the last event per key. */
export interface TableChanges {
  table: TableDef;
  /** Full after-images (or partial: a row may omit columns whose value was unavailable). */
  upserts: Row[];
  /**
   * Per upsert (same index): its key's first event in the batch was an update or a delete, so the row is
   * likely in the replica already. A hint for the order of a replica's statements (SQLite: UPDATE first),
   * never for what is written or counted.
   */
  present?: boolean[];
  /** Primary-key values only. Disjoint from the upserts' keys. */
  deletes: Row[];
  /** Record upserted keys in this table's sweep set (a resnapshot is running). */
  markSeen: boolean;
  /**
   * Primary-key values only, added to the sweep set (with `markSeen`) without writing a row: rows the
   * replica holds as they were last written (full-snapshot.ts `markRecent`). Disjoint from the upserts' and deletes' keys.
   */
  marks?: Row[];
}

/**
 * The writer lease a batch is written under (state/writer-lease.ts). Inside the batch transaction the
 * replica reads the `lease` row with a lock and rolls back with REPLICA_LEASE_LOST unless it still holds
 * this owner and epoch: a process that lost the replica to another can never commit another row.
 */
export interface LeaseGuard { ownerId: string; epoch: number }

/** What `updateLease` does with the lease row it read under a write lock. */
export interface LeaseDecision<T> {
  result: T;
  /** New JSON value of the `lease` row (kind 'lease'). */
  write?: string;
  /** Delete the `lease` row. */
  remove?: boolean;
}

export interface ApplyUnit {
  tables: TableChanges[];
  /** Written in the same transaction as the rows (offsets, table states). */
  state: StateRow[];
  /** Checked inside the transaction, before anything is written; see LeaseGuard. */
  lease?: LeaseGuard;
  /** Checked inside the transaction, after the lease: the offset row the unit moves must hold what this process last wrote there (see PositionGuard). */
  position?: PositionGuard;
}

/**
 * Where the replica must stand for a batch to be written: the offset row `id` holds `next` (null: no
 * row). A replica that lost commits it had acknowledged (a server crash with asynchronous commit,
 * delayed durability, a restore from a backup under a running engine) stands earlier: the batch is
 * refused (REPLICA_WENT_BACK, nothing written) instead of writing offsets past rows it no longer has.
 */
export interface PositionGuard { id: string; next: string | null }

/**
 * A state row that must hold exactly `value` (the JSON this process wrote or read there) for a state write
 * to go in: a row gone (a restore from a backup, a command that withdrew it) or changed by someone else
 * since is REPLICA_WENT_BACK and nothing is written (state/request-runner.ts: a request's status).
 */
export interface HeldRowGuard { id: string; value: string }

/** What a state write checks first: an offset row's position, or a row's exact value. */
export type StateGuard = PositionGuard | HeldRowGuard;

/** Rows a committed apply inserted into and deleted from one table, as the database counted them. */
export interface RowDelta { inserted: number; deleted: number }

export interface RightsReport {
  ok: boolean;
  /** What is missing and how to grant it, in words for the user. */
  missing: string[];
}

export interface Replica {
  readonly dialect: Dialect;
  /** Maps a driver error to retry / halt this table / halt all. */
  classifyError: ErrorClassifier;
  connect(): Promise<void>;
  close(): Promise<void>;
  /** Creates `_ReplicationState` when missing. */
  ensureStateTable(): Promise<void>;
  /** Whether `_ReplicationState` exists (a provisioned replica); creates nothing. */
  hasStateTable(): Promise<boolean>;
  /** Every state row, or only those of one kind. */
  readState(kind?: StateKind): Promise<StateRow[]>;
  /**
   * Upserts state rows (`remove` ids deleted) in one transaction of their own. It first checks the lease
   * when `lease` (as apply() does: REPLICA_LEASE_LOST), then each of `guards`, the row read under a lock (an
   * offset row still holds what this process committed there, a held row still holds its value:
   * REPLICA_WENT_BACK, so a state write never lands in a replica that went back); on either, nothing is written.
   */
  writeState(rows: StateRow[], remove?: string[], lease?: LeaseGuard, guards?: readonly StateGuard[]): Promise<void>;
  /**
   * One transaction: the lease check (when `unit.lease`), every table change, then every state row. Rolls
   * back entirely on error. Resolves once committed, with what the commit did to each of `unit.tables` (in
   * order): rows the database reports it inserted and deleted (an upsert of an existing row inserts none).
   */
  apply(unit: ApplyUnit): Promise<RowDelta[]>;
  /**
   * One transaction: reads the `lease` state row under a write lock (its JSON value, or null when there
   * is none) and writes or deletes it as `decide` says. Concurrent callers, in this process or another,
   * are serialised (SQLite BEGIN IMMEDIATE, PostgreSQL SELECT … FOR UPDATE, SQL Server UPDLOCK, HOLDLOCK).
   * `decide` must be pure: a dialect may run it again when two first leases race. `waitMs`: how long a
   * dialect whose wait for the lock blocks the thread (SQLite) may wait at most (a heartbeat fails fast
   * and is retried by the next one instead of freezing the engine); the others ignore it.
   */
  updateLease<T>(decide: (current: string | null) => LeaseDecision<T>, waitMs?: number): Promise<T>;
  tableExists(ref: TableRef): Promise<boolean>;
  createTable(def: TableDef): Promise<void>;
  alterTable(plan: AlterPlan): Promise<void>;
  dropTable(ref: TableRef): Promise<void>;
  /** Starts an empty seen-keys set for a table (mark-and-sweep during a resnapshot). */
  beginSweep(def: TableDef): Promise<void>;
  /** Deletes rows whose key is not in the seen set, drops the set, returns rows deleted. With `lease`, checked first in the same transaction. */
  finishSweep(def: TableDef, lease?: LeaseGuard): Promise<number>;
  cancelSweep(def: TableDef): Promise<void>;
  /** Does the table's seen set exist (a sweep begun and neither finished nor cancelled)? */
  hasSweep(def: TableDef): Promise<boolean>;
  countRows(ref: TableRef): Promise<number>;
  /** All rows ordered by primary key, values in the row-value shapes of table-model.ts. */
  readRows(def: TableDef): Promise<Row[]>;
  checkRights(): Promise<RightsReport>;
}

/**
 * Conventions every dialect follows:
 * - `_ReplicationState` (exact name) lives in the replica's default schema (SQL Server `dbo`, PostgreSQL
 *   `public`, SQLite main) with columns Id (text PK, ≤200), Kind (text ≤32), Value (long text, JSON),
 *   UpdatedUtc (timestamp, UTC).
 * - The sweep set of a table is `_ReplicationSeen_<12 hex of sha256(tableId)>` in the same schema as the
 *   state table, holding the table's primary-key columns only (same types) with that primary key.
 * - Poison events are kept as `_ReplicationState` rows of kind `poison` (id `poison:<topic>:<p>:<offset>`).
 * - The writer lease is the row `lease` (kind `lease`); CLI hand-off requests are rows `request:<uuid>`
 *   (kind `request`). See state/writer-lease.ts and state/requests.ts.
 * - Destination: `tablePrefix` (non-empty) replaces the source schema; SQLite has no schemas, so there
 *   the table name is `<tablePrefix>_<table>` when a prefix is set and the bare table name otherwise.
 */
export const STATE_TABLE = '_ReplicationState';
export const SEEN_TABLE_PREFIX = '_ReplicationSeen_';
/** Id of the writer-lease row in `_ReplicationState`. */
export const LEASE_ID = 'lease';
