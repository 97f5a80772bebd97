/**
 * SQL Server / mssql errors -> retry, halt this table, or halt everything. The rules are data: error
 * numbers (RequestError.number, also found in `precedingErrors` and `originalError`) and driver codes
 * (ConnectionError / RequestError / TransactionError `.code`).
 */
import type { ClassifiedError, ErrorAction, ErrorClassifier } from '../classified-error.ts';
import { classifyMirrorError, stateTableGone } from '../classified-error.ts';
import { taggedTable } from '../error-tagging.ts';
import { StageValueError } from './values.ts';

type Code = ClassifiedError['code'];

interface Rule {
  action: ErrorAction;
  code: Code;
  /** Hint for the user; `{table}`, `{key}` and `{message}` are filled in from the error. */
  hint: string;
}

const GRANT = 'Grant the replica login db_owner on the replica database (ALTER ROLE db_owner ADD MEMBER [<user>]), or at least CREATE TABLE, CREATE SCHEMA, ALTER on the destination schemas and dbo, and SELECT/INSERT/UPDATE/DELETE.';
const retryUnreachable: Rule = { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'SQL Server could not be reached or the connection dropped ({message}); retrying. Check that the server is running and reachable on its port.' };
const transient: Rule = { action: 'retry', code: 'REPLICA_WRITE_FAILED', hint: 'A transient SQL Server error ({message}); retrying.' };
const permission: Rule = { action: 'halt-all', code: 'REPLICA_PERMISSION', hint: `The replica login lacks a permission: {message}. ${GRANT}` };
const halt = (hint: string): Rule => ({ action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint });
const outOfSpace: Rule = { action: 'halt-all', code: 'REPLICA_WRITE_FAILED', hint: 'The replica database is out of space ({message}). Grow the data file or free disk space, then resume.' };
const tooLong = halt('A value is too long for its column in {table} ({message}). Widen the column or resync the table so it is re-created from the source schema.');
const overflow = halt('A number does not fit its column in {table} (arithmetic overflow: {message}).');
const unconvertible = halt('A value could not be converted for {table} ({message}).');
const conflict: Rule = { action: 'halt-table', code: 'SCHEMA_CONFLICT', hint: 'The replica table {table} does not match the expected schema ({message}). Was it changed by hand? Resync the table to drop and re-create it.' };

/** SQL Server error numbers. */
export const ERROR_NUMBERS: ReadonlyMap<number, Rule> = new Map<number, Rule>([
  [1205, { action: 'retry', code: 'REPLICA_WRITE_FAILED', hint: 'Deadlock with another session on the replica; retrying the batch.' }],
  [1222, { action: 'retry', code: 'REPLICA_WRITE_FAILED', hint: 'Lock request timed out on the replica (another session holds locks); retrying.' }],
  [-2, { ...retryUnreachable, hint: 'A statement on the replica timed out; retrying. If it repeats, check blocking sessions or raise the request timeout.' }],
  // Azure SQL / failover transients (40143, 40540: the service could not process the request; 4221:
  // read-only replica in transition).
  ...[40143, 40197, 40501, 40540, 40613, 49918, 49919, 49920, 10928, 10929, 4221].map((n): [number, Rule] => [n, transient]),
  // Server resources short for a moment: lock table (1204), memory (701), memory grant wait (8645).
  [1204, { ...transient, hint: 'SQL Server ran out of lock resources ({message}); retrying. If it repeats, the server needs more memory or fewer concurrent sessions.' }],
  [701, { ...transient, hint: 'SQL Server ran out of memory for the query ({message}); retrying. If it repeats, check the server memory settings and load.' }],
  [8645, { ...transient, hint: 'SQL Server timed out waiting for query memory ({message}); retrying. If it repeats, check the server memory settings and load.' }],
  // Network errors reported with a number (connection broken mid-request).
  ...[64, 233, 10053, 10054, 10060].map((n): [number, Rule] => [n, retryUnreachable]),
  [229, permission], [230, permission], [262, permission], [300, permission], [15247, permission], [15151, permission],
  [2760, { ...permission, hint: `The destination schema does not exist and could not be created or used ({message}). ${GRANT}` }],
  [18456, { action: 'halt-all', code: 'REPLICA_PERMISSION', hint: 'Login failed for the replica login. Check the user name and password in the replica settings, that SQL Server authentication (mixed mode) is enabled, and that the login is not disabled.' }],
  // Also raised for a while during an Azure SQL failover or while the database is starting: retried, and
  // the hint says what to check when it does not go away.
  [4060, { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'The replica database cannot be opened ({message}); retrying, as this happens during a failover or while the database starts. If it persists, check the database name in the settings, create the database if it does not exist, and map the login to a user in it (CREATE USER [<user>] FOR LOGIN [<login>]).' }],
  // The database there but closed for a while by an administrator: in the middle of a RESTORE (927), being
  // recovered (922), offline (942), in transition (952), in single-user mode (924). Ridden out as an outage.
  ...[922, 924, 927, 942, 952].map((n): [number, Rule] => [n, { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'The replica database is not open to Tenant Mirror now ({message}): an administrator is restoring it, it is recovering, offline or in single-user mode; retrying until it is open again.' }]),
  // The database set READ_ONLY (an administrator, a secondary after a failover): no write lands, none is a table's fault.
  [3906, { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'The replica database is read-only now ({message}): an administrator set it READ_ONLY, or this is a secondary after a failover; retrying until it accepts writes.' }],
  [9002, { action: 'halt-all', code: 'REPLICA_LOG_FULL', hint: 'The replica transaction log is full. Back up the log (or switch the replica database to the SIMPLE recovery model) and give the log file room to grow, then resume.' }],
  [1101, outOfSpace], [1105, outOfSpace],
  [40544, { action: 'halt-all', code: 'REPLICA_WRITE_FAILED', hint: 'The replica database has reached its size quota ({message}). Raise the maximum size of the Azure SQL database (or its service tier), then resume.' }],
  [2627, { action: 'halt-table', code: 'REPLICA_DUPLICATE_KEY', hint: 'Duplicate key {key} in {table} where an upsert was expected. SQL Server keys cannot tell apart two source keys that differ only in trailing spaces (text) or trailing 0x00 bytes (binary): if the source has such keys, this table cannot be mirrored to SQL Server as is. Otherwise this is a bug in the mirror; resync the table and report it.' }],
  [2601, { action: 'halt-table', code: 'REPLICA_DUPLICATE_KEY', hint: 'Duplicate key {key} in a unique index of {table} where an upsert was expected. If you added a unique index on the replica, drop it; otherwise this is a bug: resync the table and report it.' }],
  [8672, { action: 'halt-table', code: 'REPLICA_DUPLICATE_KEY', hint: 'Two changes in one batch matched the same row of {table} (keys that differ only by case or trailing spaces under the replica collation?). Use a case-sensitive collation on the replica database, then resync the table.' }],
  [8152, tooLong], [2628, tooLong],
  [4815, halt('A value is too long for a key column of {table} (bulk load: {message}). Resync the table so it is re-created from the source schema.')],
  [8115, halt('A number does not fit its column in {table} (arithmetic overflow: {message}). Resync the table so it is re-created from the source schema.')],
  [220, overflow], [232, overflow],
  [515, halt('A NULL was written into a NOT NULL column of {table} ({message}). Resync the table so it is re-created from the source schema.')],
  [241, halt('A date/time value could not be converted for {table} ({message}).')],
  [242, halt('A date/time value is out of range for {table} ({message}); SQL Server datetime2 holds years 0001-9999.')],
  [245, unconvertible], [8114, unconvertible],
  [8169, halt('A uniqueidentifier value could not be converted for {table} ({message}).')],
  [207, conflict], [208, conflict], [213, conflict], [2705, conflict], [2714, conflict], [4902, conflict], [4922, conflict],
  [5074, { ...conflict, hint: 'An object on the replica depends on a column of {table} that must change ({message}). Drop the index, view or constraint you added on it, or resync the table.' }],
  ...[3729, 3726, 3725].map((n): [number, Rule] => [n, { ...conflict, hint: 'The mirror must drop or change {table} (or its primary key), but an object you added on the replica references it ({message}): a view WITH SCHEMABINDING, a foreign key or a constraint. Drop that object (re-create it after the change), then resync the table.' }]),
  [1946, halt('A key value of {table} is longer than SQL Server\'s 900-byte index key ({message}). The key columns share 900 bytes; this row cannot be stored with this key.')],
  [1701, { ...conflict, hint: 'The table {table} cannot be created: its rows would exceed SQL Server\'s 8,060-byte row limit ({message}).' }],
  [1702, { ...conflict, hint: 'The table {table} cannot be created: SQL Server tables hold at most 1,024 columns ({message}).' }],
  [468, { ...conflict, hint: 'A collation conflict on {table} ({message}): a key column was changed by hand to another collation. Resync the table to re-create it.' }],
  [1919, conflict],
]);

/**
 * A trigger of the customer on the replica table: RAISERROR / THROW (50000, the number of a message without
 * one of its own) or a ROLLBACK inside it (3609). Below severity 20 only (20 and above close the connection).
 */
const TRIGGER_NUMBERS: ReadonlySet<number> = new Set([50000, 3609]);
const triggerRefused = halt('A trigger on {table} refused the write ({message}). Tenant Mirror writes every source change as it is: change or drop the trigger, then resync the table (`tenant-mirror resync-tables`: a halted table is created again from the source definition, without your indexes and triggers).');

/** mssql / tedious driver codes, used when no error number decides. */
export const DRIVER_CODES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['ETIMEOUT', { ...retryUnreachable, hint: 'SQL Server did not answer in time ({message}); retrying. If it repeats, check blocking sessions and the server load.' }],
  ...['ESOCKET', 'ECONNCLOSED', 'ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EINSTLOOKUP', 'ENOTOPEN', 'ENOCONN', 'ECLOSE', 'EAI_AGAIN']
    .map((c): [string, Rule] => [c, retryUnreachable]),
  ['EABORT', { ...transient, hint: 'The replica transaction was aborted ({message}); retrying the batch.' }],
  ['ECANCEL', { ...transient, hint: 'A replica request was cancelled; retrying.' }],
  ['ELOGIN', { action: 'halt-all', code: 'REPLICA_PERMISSION', hint: 'SQL Server refused the login ({message}). Check the user name, password and database name in the replica settings, that SQL Server authentication is enabled, and that the login has a user in the replica database.' }],
  ['ETLS', { action: 'halt-all', code: 'REPLICA_UNREACHABLE', hint: 'TLS to SQL Server failed ({message}). Install a certificate the machine trusts on the server, or tick "trust server certificate" in the replica settings.' }],
]);

interface Facts {
  numbers: number[];
  codes: string[];
  messages: string[];
  classes: number[];
  table: string | undefined;
  stage: StageValueError | undefined;
}

function collect(err: unknown, f: Facts, depth = 0): void {
  if (err === null || typeof err !== 'object' || depth > 6) return;
  const e = err as Record<string, unknown>;
  if (err instanceof StageValueError) f.stage ??= err;
  if (typeof e.number === 'number') f.numbers.push(e.number);
  if (typeof e.class === 'number') f.classes.push(e.class);
  if (typeof e.code === 'string') f.codes.push(e.code);
  if (typeof e.message === 'string' && e.message) f.messages.push(e.message);
  f.table ??= taggedTable(err);
  if (Array.isArray(e.precedingErrors)) for (const p of e.precedingErrors) collect(p, f, depth + 1);
  collect(e.originalError, f, depth + 1);
  collect(e.info, f, depth + 1);
  collect(e.cause, f, depth + 1);
  if (Array.isArray(e.errors)) for (const p of e.errors) collect(p, f, depth + 1); // AggregateError
}

/** `The duplicate key value is (42, abc).` -> `(42, abc)`. */
function duplicateKey(messages: string[]): string | undefined {
  for (const m of messages) {
    const k = /duplicate key value is (\(.*\))/i.exec(m);
    if (k) return k[1];
  }
  return undefined;
}

/** The table named by the server message ("in object 'crm7.contact'", "table 'db.crm7.contact'"). */
function tableFromMessage(messages: string[]): string | undefined {
  for (const m of messages) {
    const t = /(?:in object|table|object name) '([^']+)'/i.exec(m);
    if (t) return t[1];
  }
  return undefined;
}

function fill(rule: Rule, f: Facts): ClassifiedError {
  const message = f.messages[0] ?? 'unknown error';
  const table = f.table ?? tableFromMessage(f.messages);
  const hint = rule.hint
    .replaceAll('{table}', table ?? 'the table')
    .replaceAll('{key}', duplicateKey(f.messages) ?? '(key not reported)')
    .replaceAll('{message}', message);
  return f.table ? { action: rule.action, code: rule.code, hint, table: f.table } : { action: rule.action, code: rule.code, hint };
}

export const classifySqlServerError: ErrorClassifier = (err) => {
  const own = classifyMirrorError(err) ?? stateTableGone(err);
  if (own) return own;
  const f: Facts = { numbers: [], codes: [], messages: [], classes: [], table: undefined, stage: undefined };
  collect(err, f);
  if (f.stage) return fill(halt('A value cannot be written to SQL Server: {message}'), f);
  for (const n of f.numbers) {
    const rule = ERROR_NUMBERS.get(n);
    if (rule) return fill(rule, f);
  }
  // A login refused with "Cannot open database" (ELOGIN, no number) is 4060: retried (failover).
  if (f.messages.some((m) => /Cannot open database/i.test(m))) return fill(ERROR_NUMBERS.get(4060)!, f);
  for (const c of f.codes) {
    const rule = DRIVER_CODES.get(c);
    if (rule) return fill(rule, f);
  }
  if (f.messages.some((m) => /Login failed/i.test(m))) return fill(ERROR_NUMBERS.get(18456)!, f);
  // Severity 20+ closes the connection: treat as a connection problem.
  if (f.classes.some((c) => c >= 20)) return fill(retryUnreachable, f);
  if (f.numbers.some((n) => TRIGGER_NUMBERS.has(n))) return fill(triggerRefused, f);
  return fill(halt('The replica rejected a write to {table}: {message}'), f);
};
