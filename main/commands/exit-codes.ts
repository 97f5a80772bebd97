/**
 * The CLI's exit codes: one table (code → meaning) that the help text, the README and the mapping of
 * errors read. A script branches on the code, never on the text.
 */
import { MirrorError } from '../engine/errors.ts';
import type { ErrorCode } from '../engine/errors.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, invalid: 3, notProvisioned: 4, stale: 5, inUse: 6, behind: 7, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** code → meaning, in the order printed by `--help` and the README. */
export const EXIT_MEANINGS: ReadonlyArray<readonly [ExitCode, string]> = [
  [EXIT.ok, 'ok'],
  [EXIT.failed, 'failed (an error; its code is printed: `error [CODE]: …`)'],
  [EXIT.usage, 'usage or config error (unknown option, bad config key, a password in clear in the file, a password variable not set, `bin/tenant-mirror` run by a Node older than 24)'],
  [EXIT.invalid, '`validate` / `reconnect`: a check failed'],
  [EXIT.notProvisioned, 'not provisioned (no replica yet, or no session in it)'],
  [EXIT.stale, 'a table is stale or halted at the end, or a source table cannot be mirrored (no primary key, or refused by the replica) (`provision`, `sync --until-caught-up`, `info`, `resync-tables`, `reset-offsets`); the tables and reasons are printed'],
  [EXIT.inUse, 'the replica is in use by another Tenant Mirror process (or, for `sync`, another process took it over)'],
  [EXIT.behind, '`info`: lag above `--max-lag-events` / `--max-lag-seconds`, or not measurable (Kafka unreachable)'],
  [EXIT.interrupted, 'interrupted (Ctrl+C)'],
];

/** The exit code for an error that ended a command. */
export function exitCodeForError(err: unknown): ExitCode {
  const code: ErrorCode = MirrorError.from(err).code;
  switch (code) {
    case 'CONFIG_INVALID': case 'BAD_REQUEST': case 'SECRET_ENV_MISSING': return EXIT.usage;
    case 'REPLICA_NOT_PROVISIONED': return EXIT.notProvisioned;
    case 'REPLICA_IN_USE': case 'REPLICA_LEASE_LOST': return EXIT.inUse;
    case 'TABLE_HALTED': return EXIT.stale;
    default: return EXIT.failed;
  }
}

/** The exit-code table as text (help output). */
export function exitCodesText(indent = '  '): string {
  return EXIT_MEANINGS.map(([c, m]) => `${indent}${String(c).padStart(3)}  ${m}`).join('\n');
}
