/** What the user can do about an error, by code. The UI branches on `code`, never on message text. */
import type { ErrorCode, ErrorData } from '../../../preload/contract/errors.ts';

export const FIX_BY_CODE: Record<ErrorCode, string> = {
  CONFIG_INVALID: 'Correct the highlighted settings and try again.',
  SECRET_ENV_MISSING: 'Set the named environment variable for the process that runs Tenant Mirror (serve or the CLI), then restart it.',
  KAFKA_UNREACHABLE: 'Check the broker addresses, TLS and SASL settings, and that this machine can reach the brokers (firewall, VPN).',
  KAFKA_TOPIC_MISSING: 'Check the tenant id; ask your provider to grant read access to the <tenant>-cdc topic.',
  KAFKA_SIGNAL_DENIED: 'Ask your provider to grant write access to the <tenant>-signal topic (needed for snapshots and resyncs).',
  REPLICA_UNREACHABLE: 'Check the replica host, port and credentials, and that the database server is running.',
  REPLICA_PERMISSION: 'Grant the replica login the rights to create tables and write (e.g. db_owner or CREATE + INSERT/UPDATE/DELETE).',
  REPLICA_WRITE_FAILED: 'The engine retries on its own. If it keeps failing, check the replica database and its free space.',
  REPLICA_LOG_FULL: 'Free space in the replica transaction log (back it up or grow it); the engine retries.',
  REPLICA_DUPLICATE_KEY: 'Resync the affected table and export a support bundle for the vendor.',
  REPLICA_NOT_PROVISIONED: 'Run the setup wizard to provision the replica.',
  REPLICA_IN_USE: 'Stop the other Tenant Mirror process named in the message (app, service or `tenant-mirror sync`), or point this one at another replica. If that process was killed, wait until its lease expires and start again.',
  REPLICA_LEASE_LOST: 'Another Tenant Mirror process now writes to this replica. Keep one of them: stop the other, then restart this one if it should be the writer.',
  REPLICA_WENT_BACK: 'Nothing to do if the replica was restored from a backup on purpose: the app reads on from the restored position and the replica catches up. If it happens again without a restore, check the replica server for crashes or settings that lose committed transactions (PostgreSQL synchronous_commit = off, SQL Server delayed durability).',
  REQUEST_TIMEOUT: 'Check that the Tenant Mirror process named in the message is still running and streaming; try again, or stop it and run the command on its own.',
  REQUEST_ABANDONED: 'Read the log of the Tenant Mirror process that ran the request (Export support bundle) for why it stopped while running it; once that is mended, run the command again.',
  TENANT_MISMATCH: 'Choose an empty database, or the one this tenant was provisioned into.',
  DECODE_FAILED: 'Export a support bundle and send it to the vendor; resync the table once fixed.',
  UNKNOWN_TYPE: 'Export a support bundle and send it to the vendor.',
  SCHEMA_CONFLICT: 'Click "Update schema now", or resync the table.',
  GAP_DETECTED: 'Resync the affected tables to fetch the rows that were purged before they were applied.',
  OFFSET_AHEAD: 'The change topic was recreated or this replica comes from another environment. Click "Reset offsets" (or run `tenant-mirror reset-offsets`) to read on from the topic\'s end and resync every table.',
  TOPIC_CHANGED: 'The change topic\'s partitions changed, so per-key order is lost. Click "Reset offsets" (or run `tenant-mirror reset-offsets`) to read on from the topic\'s end and resync every table.',
  TABLE_HALTED: 'Fix the cause shown, then resync the table.',
  TABLE_UNKNOWN: 'Refresh the table list; the table may have been excluded or dropped.',
  SNAPSHOT_TIMEOUT: 'Check that the tenant signal topic is monitored by the provider, then resync.',
  RESYNC_STALLED: 'Ask the tenant\'s provider to restart its Debezium connector; the resync then completes by itself (no row is deleted while it waits).',
  RESYNC_PAUSED: 'Ask the tenant\'s provider to resume the paused incremental snapshots (a resume-snapshot signal to its Debezium connector); the resync then completes by itself (no row is deleted while it waits).',
  SNAPSHOT_STALLED: 'Ask the tenant\'s provider whether its Debezium connector runs; the snapshot goes on (or starts over) once it does (no row is deleted while it waits).',
  ENGINE_STOPPED: 'Resume the engine or restart the app.',
  BAD_REQUEST: 'Reload the window; if it persists, export a support bundle.',
  FORBIDDEN: 'Reopen the window from the tray or the serve command\'s URL (the session token is missing or old).',
  DISCONNECTED: 'The window lost its connection to Tenant Mirror; it reconnects on its own. Check that the app (or `tenant-mirror serve`) is still running.',
  INTERNAL: 'Export a support bundle and send it to the vendor.',
};

/** The fix for an error: the engine's own hint (`detail.fix`) when it gave one, else the code's. */
export function fixFor(e: ErrorData): string {
  const own = e.detail?.['fix'];
  if (typeof own === 'string' && own.trim() !== '') return own;
  // "The engine is not running" for a reason: that reason's fix, not "resume the engine".
  const why = stopCause(e);
  return FIX_BY_CODE[why ?? e.code] ?? FIX_BY_CODE.INTERNAL;
}

/** The code of why the engine is not running, for an ENGINE_STOPPED that names it (`detail.cause`); else null. */
export function stopCause(e: ErrorData): ErrorCode | null {
  const cause = e.detail?.['cause'];
  return e.code === 'ENGINE_STOPPED' && typeof cause === 'string' && Object.hasOwn(FIX_BY_CODE, cause) ? cause as ErrorCode : null;
}

/** Whether this error is cured by reading on from the change topic's end and resyncing every table ("Reset offsets"). */
export function curedByResetOffsets(e: ErrorData | null | undefined): boolean {
  if (!e) return false;
  const code = stopCause(e) ?? e.code;
  return code === 'OFFSET_AHEAD' || code === 'TOPIC_CHANGED';
}

/** An ErrorData for a failure that never reached the engine (transport closed, exception). */
export function transportError(e: unknown): ErrorData {
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), retriable: true };
}
