/**
 * PostgreSQL errors -> retry, halt this table, or halt everything. The rules are data: SQLSTATEs
 * (`err.code` of pg's DatabaseError), looked up exactly and then by their class (first two characters),
 * and Node socket codes for a connection that cannot be made or was lost.
 */
import type { ClassifiedError, ErrorAction, ErrorClassifier } from '../classified-error.ts';
import { classifyMirrorError, stateTableGone } from '../classified-error.ts';
import { driverError, errorMessage } from '../driver-error.ts';
import { taggedTable } from '../error-tagging.ts';
import { fillHint } from '../hint-template.ts';
import { quotePgIdent } from './dialect.ts';

interface Rule {
  action: ErrorAction;
  code: ClassifiedError['code'];
  /**
   * Hint for the user, filled in from the error: `{where}` (` (table x)` or nothing), `{message}`,
   * `{code}` (the SQLSTATE), `{user}` and `{database}` (quoted) of the replica settings, `{grant}` (the
   * GRANT that fixes a "permission denied" message).
   */
  hint: string;
}

const unreachable: Rule = { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'PostgreSQL cannot be reached: {message}. Check that the server runs and the host/port are right; retrying.' };
const lockTimeout: Rule = { action: 'retry', code: 'REPLICA_WRITE_FAILED', hint: 'A lock on the replica table could not be obtained in time{where}: {message}. Another session holds it (a long report or an open transaction); retrying.' };
/** 55000 at connect: the database is closed to connections for a while (ALTER DATABASE … ALLOW_CONNECTIONS false, maintenance). */
const notAccepting: Rule = { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'The replica database does not accept connections now ({code}): {message}. An administrator closed it (ALLOW_CONNECTIONS false, maintenance); retrying until it is open again.' };
const NOT_ACCEPTING = /is not currently accepting connections/i;
const restarting: Rule = { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'The PostgreSQL server is shutting down or restarting ({code}): {message}; retrying.' };
const aborted: Rule = { action: 'retry', code: 'REPLICA_WRITE_FAILED', hint: 'The replica transaction was aborted{where}: {message}; retrying.' };
const retryAsIs: Rule = { action: 'retry', code: 'REPLICA_WRITE_FAILED', hint: '{message}; retrying.' };
const duplicate = (hint: string): Rule => ({ action: 'halt-table', code: 'REPLICA_DUPLICATE_KEY', hint });
const tooNarrow: Rule = { action: 'halt-table', code: 'SCHEMA_CONFLICT', hint: 'A value does not fit its column in the replica table{where}: {message}. The replica column is narrower than the source column; widen it (ALTER TABLE … ALTER COLUMN … TYPE …) or resnapshot the table.' };
const viewBlocks: Rule = { action: 'halt-table', code: 'SCHEMA_CONFLICT', hint: 'A view or rule on the replica table uses a column whose type the source changed{where}: {message}{detail}. Drop the view (create it again afterwards)' };
const changedOutside: Rule = { action: 'halt-table', code: 'SCHEMA_CONFLICT', hint: 'The replica table differs from the source definition{where}: {message} ({code}). It was changed outside Tenant Mirror (or a view blocks a column change); resnapshot the table.' };

/**
 * 3D000 once this process has had the database open: it was there a moment ago, so it is dropped for a
 * restore (`DROP DATABASE … WITH (FORCE)` then `CREATE DATABASE … TEMPLATE`, `pg_restore --clean --create`)
 * or dropped by hand — an outage to ride out, as a server restart is, and said as such while it lasts.
 */
const databaseGone: Rule = { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'The database {database} is gone, though Tenant Mirror had it open before (dropped, or being restored from a backup): {message}; retrying until it is there again. If it was dropped for good, create it again (CREATE DATABASE {qdatabase}) and provision the replica again.' };

/** SQLSTATEs, exact. Looked up before SQLSTATE_CLASSES. */
export const SQLSTATES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['40001', { action: 'retry', code: 'REPLICA_WRITE_FAILED', hint: 'Transaction aborted by PostgreSQL (serialization failure){where}: {message}; retrying.' }],
  ['40P01', { action: 'retry', code: 'REPLICA_WRITE_FAILED', hint: 'Transaction aborted by PostgreSQL (deadlock){where}: {message}; retrying.' }],
  ['55P03', lockTimeout], // lock_not_available (lock_timeout)
  ['57014', lockTimeout], // query_canceled (statement_timeout)
  ['53100', { action: 'retry', code: 'REPLICA_LOG_FULL', hint: 'The PostgreSQL server is out of disk space{where}: {message}. Free space on the server; retrying.' }],
  ['57P01', restarting], ['57P02', restarting], ['57P03', restarting], ['57P05', restarting],
  ['57P04', databaseGone], // database_dropped: a session of a database dropped under it
  ['42501', { action: 'halt-all', code: 'REPLICA_PERMISSION', hint: 'The replica login {user} lacks a right{where}: {message}. As an administrator run: {grant}' }],
  ['3D000', { action: 'halt-all', code: 'REPLICA_UNREACHABLE', hint: 'The database {database} does not exist: {message}. Create it (CREATE DATABASE {qdatabase}) or fix the replica settings.' }],
  ['23505', duplicate('A unique index rejected a row{where}: {message}. Upserts never collide on the primary key, so a unique index added on the replica table conflicts with the source data — drop it, then resnapshot the table.')],
  ['21000', duplicate('One batch held two rows with the same key{where}: {message}. This is a bug in Tenant Mirror; resnapshot the table.')],
  ['22001', tooNarrow], ['22003', tooNarrow], ['22008', tooNarrow], ['22015', tooNarrow],
  ['42P01', changedOutside], ['42703', changedOutside], ['42804', changedOutside], ['42P07', changedOutside], ['0A000', changedOutside], ['42P16', changedOutside],
  // dependent_objects_still_exist: a DROP TABLE (the rebuild an incompatible source change needs) blocked by a view, a foreign key…
  ['2BP01', { action: 'halt-table', code: 'SCHEMA_CONFLICT', hint: 'Other objects depend on the replica table{where}: {message}{detail}. Tenant Mirror drops and recreates a table whose source definition changed incompatibly: drop those objects (or make them not depend on it) and create them again afterwards' }],
  ['25P02', aborted], ['25P03', aborted],
  // read_only_sql_transaction: the server is a standby now (a failover, the address moved to a read-only
  // node) or an administrator set default_transaction_read_only: no write can land anywhere, and none is
  // the table's fault — ridden out as an outage instead of halting each table the batch touched.
  ['25006', { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'The replica accepts no writes now ({code}): {message}. The server is a read-only standby (after a failover?) or default_transaction_read_only is on for the database or the login; retrying until it accepts writes.' }],
  ['42P05', retryAsIs], ['26000', retryAsIs], // prepared statement already exists / does not exist
]);

/** SQLSTATE classes (first two characters), for the codes SQLSTATES does not list. */
export const SQLSTATE_CLASSES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['08', { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'Connection to PostgreSQL failed ({code}): {message}; retrying.' }],
  ['53', { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'The PostgreSQL server is short of resources ({code}){where}: {message}; retrying.' }],
  // System errors (58030 io_error: the server's disk failing a read or write): no table's fault, so none is halted for it.
  ['58', { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'The PostgreSQL server reports a system error ({code}){where}: {message}. Check the server\'s disk and log; retrying.' }],
  ['28', { action: 'halt-all', code: 'REPLICA_PERMISSION', hint: 'PostgreSQL refused the login {user} ({code}): {message}. Check the user name and password (and pg_hba.conf).' }],
  ['22', { action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint: 'PostgreSQL rejected a value{where}: {message} ({code}). PostgreSQL text cannot hold NUL characters and jsonb needs valid JSON; the table is halted.' }],
  // PL/pgSQL errors (P0001: RAISE EXCEPTION): a trigger (or rule) of the customer on the replica table.
  ['P0', { action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint: 'A trigger on the replica table raised an error{where}: {message} ({code}). Tenant Mirror writes every source change as it is: change or drop the trigger, then resync the table (`tenant-mirror resync-tables`: a halted table is created again from the source definition, without your indexes and triggers).' }],
  ['23', { action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint: 'A constraint on the replica table rejected a row{where}: {message} ({code}). The replica table differs from the source definition (NOT NULL, CHECK or FOREIGN KEY added by hand); remove the constraint or resnapshot the table.' }],
]);

/** Node socket error codes: the server cannot be reached or the connection broke. */
export const SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
/** pg's own errors without a code when the connection is gone. */
const CONNECTION_LOST = /Connection terminated|connection timeout|Client has encountered a connection error|Client was closed|not queryable/i;
const fallback: Rule = { action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint: 'Writing to the PostgreSQL replica failed{where}: {message}{paren_code}.' };

function q(name: string): string {
  try { return quotePgIdent(name); } catch { return JSON.stringify(name); }
}

/** The GRANT that fixes a "permission denied for <kind> <name>" message. */
export function grantHint(message: string, user: string, database: string): string {
  const who = q(user);
  let m = /permission denied for schema (.+)$/i.exec(message);
  if (m) return `GRANT USAGE, CREATE ON SCHEMA ${q(m[1]!.trim())} TO ${who};`;
  m = /permission denied for (?:table|relation|sequence) (.+)$/i.exec(message);
  if (m) return `GRANT SELECT, INSERT, UPDATE, DELETE ON ${q(m[1]!.trim())} TO ${who};`;
  if (/permission denied for database/i.test(message)) return `GRANT CREATE, TEMPORARY ON DATABASE ${q(database)} TO ${who};`;
  if (/must be owner of/i.test(message)) return `ALTER TABLE … OWNER TO ${who}; (Tenant Mirror alters and drops the tables it replicates)`;
  return `GRANT CREATE, TEMPORARY ON DATABASE ${q(database)} TO ${who}; and GRANT USAGE, CREATE ON SCHEMA <schema> TO ${who};`;
}

function ruleFor(code: string, message: string): Rule {
  if (SOCKET_CODES.has(code) || (!code && CONNECTION_LOST.test(message))) return unreachable;
  // Any five digits or upper-case letters: classes such as 3D (invalid catalog name) and 0A (feature not supported) start with a letter too.
  if (!/^[0-9A-Z]{5}$/.test(code)) return fallback;
  if (code === '55000' && NOT_ACCEPTING.test(message)) return notAccepting;
  if (code === '0A000' && /used by a view or rule/i.test(message)) return viewBlocks;
  return SQLSTATES.get(code) ?? SQLSTATE_CLASSES.get(code.slice(0, 2)) ?? fallback;
}

/**
 * `opened`: whether the replica has had the database open in this process; until it has, a database that
 * does not exist is a setting to fix, after that it is one being restored (databaseGone).
 */
export function makePostgresClassifier(ctx: { user: string; database: string; opened?: () => boolean }): ErrorClassifier {
  return (err: unknown): ClassifiedError => {
    const own = classifyMirrorError(err) ?? stateTableGone(err);
    if (own) return own;
    const d = driverError(err) as (Error & { code?: string; table?: string; schema?: string; detail?: string }) | undefined;
    const table = taggedTable(err) ?? (d?.table ? (d.schema ? `${d.schema}.${d.table}` : d.table).toLowerCase() : undefined);
    const code = d?.code ?? '';
    const message = errorMessage(d ?? err);
    const rule = code === '3D000' && ctx.opened?.() ? databaseGone : ruleFor(code, message);
    const hint = fillHint(rule.hint, {
      where: table ? ` (table ${table})` : '', message, code, paren_code: code ? ` (${code})` : '', detail: d?.detail ? ` (${d.detail.replaceAll('\n', '; ')})` : '',
      user: ctx.user, database: ctx.database, qdatabase: q(ctx.database),
      grant: rule.hint.includes('{grant}') ? grantHint(message, ctx.user, ctx.database) : '',
    });
    return table ? { action: rule.action, code: rule.code, hint, table } : { action: rule.action, code: rule.code, hint };
  };
}
