/**
 * Folder main/engine/replica/: the Replica (replica.ts) and Dialect (dialect.ts) interfaces, error classification, naming, column sets; one folder per database (sqlite/, postgres/, sqlserver/) with the same role files.
 *
 * What a replica's error classifier decides about a failed write (retry, halt the table, halt all), and
 * the classification of the MirrorErrors the dialects throw themselves. The driver tables are per dialect:
 * sqlite/errors.ts, postgres/errors.ts, sqlserver/errors.ts.
 */
import type { ErrorCode } from '../../../preload/contract/errors.ts';
import { MirrorError } from '../errors.ts';
import { errorMessage, driverError } from './driver-error.ts';
import { taggedTable } from './error-tagging.ts';

/** What to do about a failed write, decided from the driver's error (number, SQLSTATE, message). */
export type ErrorAction = 'retry' | 'halt-table' | 'halt-all';
export interface ClassifiedError {
  action: ErrorAction;
  /** Error code of preload/contract/errors.ts. */
  code: ErrorCode;
  /** What went wrong and how to fix it, for the user. */
  hint: string;
  /** `tableId` of the table the failed write was for, when known (lets the engine halt just that table). */
  table?: string;
}
export type ErrorClassifier = (err: unknown) => ClassifiedError;

/**
 * A replica that could not be opened (connected, its state table made): the driver's error as the
 * MirrorError its classifier names — code and hint (`database "x" does not exist` is REPLICA_UNREACHABLE
 * with the CREATE DATABASE to run, a file that is no SQLite database says so), retriable when the action
 * is a retry — instead of an INTERNAL error carrying the driver's bare message.
 */
export function openingError(classify: ErrorClassifier, err: unknown): MirrorError {
  if (err instanceof MirrorError) return err;
  const c = classify(err);
  // The hints are written for the engine's writes, which are retried; whoever opens says whether it retries.
  return new MirrorError(c.code, c.hint.replace(/;\s*retrying[^.;]*\.$/, '.'), { cause: err, retriable: c.action === 'retry' });
}

/** Connects `replica`; a driver's error comes out as openingError names it. */
export async function connectReplica(replica: { connect(): Promise<void>; classifyError: ErrorClassifier }): Promise<void> {
  try { await replica.connect(); } catch (err) { throw openingError(replica.classifyError, err); }
}

/** Classification of our own MirrorErrors (thrown by the dialects before the driver is reached). */
export function classifyMirrorError(err: unknown): ClassifiedError | undefined {
  if (!(err instanceof MirrorError)) return undefined;
  const table = taggedTable(err);
  const withTable = (c: ClassifiedError): ClassifiedError => (table ? { ...c, table } : c);
  switch (err.code) {
    case 'REPLICA_UNREACHABLE': return withTable({ action: 'retry', code: 'REPLICA_UNREACHABLE', hint: err.message });
    case 'REPLICA_PERMISSION': return withTable({ action: 'halt-all', code: 'REPLICA_PERMISSION', hint: err.message });
    case 'REPLICA_LOG_FULL': return withTable({ action: 'halt-all', code: 'REPLICA_LOG_FULL', hint: err.message });
    case 'REPLICA_DUPLICATE_KEY': return withTable({ action: 'halt-table', code: 'REPLICA_DUPLICATE_KEY', hint: err.message });
    case 'SCHEMA_CONFLICT': return withTable({ action: 'halt-table', code: 'SCHEMA_CONFLICT', hint: err.message });
    // Another process writes to the replica now: never retried, never a table halt; the engine stops.
    case 'REPLICA_LEASE_LOST': return { action: 'halt-all', code: 'REPLICA_LEASE_LOST', hint: err.message };
    // The replica stands before what this process committed: the engine reads on from there (engine.ts).
    case 'REPLICA_WENT_BACK': return { action: 'halt-all', code: 'REPLICA_WENT_BACK', hint: err.message };
    case 'REPLICA_IN_USE': return { action: 'halt-all', code: 'REPLICA_IN_USE', hint: err.message };
    default: return withTable({ action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint: err.message });
  }
}

/**
 * The replica's `_ReplicationState` is not there any more (dropped by hand, the database replaced under a
 * running engine): SQLite "no such table: _ReplicationState", PostgreSQL 42P01 `relation
 * "_ReplicationState" does not exist`, SQL Server 208 "Invalid object name 'dbo._ReplicationState'". Not a
 * table of the mirror that differs (SCHEMA_CONFLICT halted every table in turn and said "resnapshot the
 * table", which cannot help, until 2026-12-08): nothing more is written and the engine stops, saying so.
 */
export function stateTableGone(err: unknown): ClassifiedError | undefined {
  const message = errorMessage(driverError(err) ?? err);
  if (!/_ReplicationState\b/.test(message) || !/no such table|does not exist|Invalid object name/i.test(message)) return undefined;
  return {
    action: 'halt-all', code: 'REPLICA_NOT_PROVISIONED',
    hint: `the replica's _ReplicationState is gone (${message}): it was dropped, or the database replaced, under Tenant Mirror. Nothing more is written to the replica; run \`tenant-mirror provision\` to start over (every table is built again from the source)`,
  };
}
