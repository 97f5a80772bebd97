/** Error codes and error data as they cross IPC / WebSocket. Pure TypeScript. */
export const ERROR_CODES = {
  CONFIG_INVALID: 'config is invalid',
  SECRET_ENV_MISSING: 'the environment variable named for a password is not set',
  KAFKA_UNREACHABLE: 'Kafka brokers cannot be reached',
  KAFKA_TOPIC_MISSING: 'a tenant topic does not exist or is not readable',
  KAFKA_SIGNAL_DENIED: 'the signal topic cannot be written',
  REPLICA_UNREACHABLE: 'the replica database cannot be reached',
  REPLICA_PERMISSION: 'the replica login lacks a needed right',
  REPLICA_WRITE_FAILED: 'a batch could not be written to the replica',
  REPLICA_LOG_FULL: 'the replica transaction log is full',
  REPLICA_DUPLICATE_KEY: 'a duplicate key was hit where an upsert was expected (a bug)',
  REPLICA_NOT_PROVISIONED: 'the replica has no _ReplicationState; run provision first',
  REPLICA_IN_USE: 'another Tenant Mirror process is writing to this replica',
  REPLICA_LEASE_LOST: 'another Tenant Mirror process took over this replica; this one stopped writing',
  REQUEST_TIMEOUT: 'the running engine did not complete the request in time',
  REQUEST_ABANDONED: 'a handed-over request was begun several times and no run of it ended (the engine stopped during each): it is not run again',
  TENANT_MISMATCH: 'the replica belongs to another tenant',
  DECODE_FAILED: 'a change event could not be decoded',
  UNKNOWN_TYPE: 'a column type is not known',
  SCHEMA_CONFLICT: 'an event schema contradicts the replica table',
  GAP_DETECTED: 'events were purged before they were applied',
  OFFSET_AHEAD: 'a stored offset is beyond the end of its partition (topic recreated, or replica from another environment)',
  REPLICA_WENT_BACK: 'the replica lost commits it had acknowledged (crash with asynchronous commit, or restored from a backup): the engine reads on from its stored position',
  TOPIC_CHANGED: 'the change topic has other partitions than the replica recorded',
  TABLE_HALTED: 'a table was halted after a permanent error',
  TABLE_UNKNOWN: 'the named table is not replicated',
  SNAPSHOT_TIMEOUT: 'a snapshot did not complete in time',
  RESYNC_STALLED: 'a table\'s resync scan shows no progress at the source connector (its signal was sent again)',
  RESYNC_PAUSED: 'the source connector\'s incremental snapshots are paused (a pause-snapshot signal): a table\'s resync waits for them to be resumed',
  SNAPSHOT_STALLED: 'the tenant\'s full snapshot has delivered no row for long while everything written was read',
  ENGINE_STOPPED: 'the engine is not running',
  BAD_REQUEST: 'the request payload is invalid',
  FORBIDDEN: 'the caller is not allowed',
  DISCONNECTED: 'the connection to the app was lost before the answer came',
  INTERNAL: 'internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A snapshot or resync stopped (or paused) at the source connector (snapshot/stall.ts, scan-pause.ts): said as a mark on its tables, never a failure. */
export function isStallCode(code: string | null | undefined): code is 'RESYNC_STALLED' | 'RESYNC_PAUSED' | 'SNAPSHOT_STALLED' {
  return code === 'RESYNC_STALLED' || code === 'RESYNC_PAUSED' || code === 'SNAPSHOT_STALLED';
}

export interface ErrorData {
  code: ErrorCode;
  message: string;
  retriable: boolean;
  /** Where it happened (table, topic:partition:offset, config key…) and how to fix it. */
  detail?: Record<string, string | number | boolean | null>;
}
