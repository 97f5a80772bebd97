/**
 * SQLite (better-sqlite3) errors -> retry, halt this table, or halt everything. The rules are data: result
 * codes (`err.code`), looked up by the extended code first (SQLITE_CONSTRAINT_PRIMARYKEY) and then by its
 * primary code (SQLITE_CONSTRAINT); a rule with `when` applies only when the message matches it.
 */
import type { ClassifiedError, ErrorAction, ErrorClassifier } from '../classified-error.ts';
import { classifyMirrorError, stateTableGone } from '../classified-error.ts';
import { driverError, errorMessage } from '../driver-error.ts';
import { taggedTable } from '../error-tagging.ts';
import { fillHint } from '../hint-template.ts';

interface Rule {
  action: ErrorAction;
  code: ClassifiedError['code'];
  /** Hint for the user; `{where}` (` (table x)` or nothing), `{message}` and `{code}` are filled in from the error. */
  hint: string;
  /** The rule applies only when the driver message matches. */
  when?: RegExp;
}

const permission: Rule = { action: 'halt-all', code: 'REPLICA_PERMISSION', hint: 'The SQLite file cannot be written{where}: {message}. Make the file and its directory writable by the user running Tenant Mirror (the directory too: SQLite creates -wal and -shm files next to it).' };
const notFitting: Rule = { action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint: 'A value does not fit the replica table{where}: {message}. The replica table no longer matches the source definition; resnapshot the table.' };
const duplicate: Rule = { action: 'halt-table', code: 'REPLICA_DUPLICATE_KEY', hint: 'A duplicate key was rejected{where}: {message}. Upserts should never collide on the primary key; a unique index added on the replica table conflicts with the source data — drop it or resnapshot the table.' };
const triggerRefused: Rule = { action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint: 'A trigger on the replica table refused the write{where}: {message}. Tenant Mirror writes every source change as it is: change or drop the trigger, then resync the table (`tenant-mirror resync-tables`: a halted table is created again from the source definition, without your indexes and triggers).' };
const damaged: Rule = { action: 'halt-all', code: 'REPLICA_WRITE_FAILED', hint: 'The SQLite file is damaged or not a database: {message}. Restore it from a backup or point the replica at a new file.' };
const transient: Rule = { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'Transient SQLite I/O failure{where}: {message}; retrying.' };
const locked: Rule = { action: 'retry', code: 'REPLICA_UNREACHABLE', hint: 'The SQLite file is locked by another connection{where}: {message}. Close other programs writing to it (a DB browser with an open transaction); retrying.' };
const full: Rule = { action: 'halt-all', code: 'REPLICA_LOG_FULL', hint: 'The disk holding the SQLite file is full (or max_page_count was reached){where}: {message}. Free space, then resume.' };

/** SQLite result codes, extended (exact) or primary (every extended code of it). */
export const RESULT_CODES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['SQLITE_BUSY', locked],
  ['SQLITE_LOCKED', locked],
  ['SQLITE_FULL', full],
  ['SQLITE_IOERR_WRITE', { ...full, when: /space/i }], // ENOSPC on write; other write errors fall to SQLITE_IOERR
  ['SQLITE_READONLY', permission],
  ['SQLITE_CANTOPEN', permission],
  ['SQLITE_PERM', permission],
  ['SQLITE_AUTH', permission],
  ['SQLITE_CONSTRAINT_PRIMARYKEY', duplicate],
  ['SQLITE_CONSTRAINT_UNIQUE', duplicate],
  ['SQLITE_CONSTRAINT_TRIGGER', triggerRefused], // RAISE(ABORT | FAIL | ROLLBACK, …) in a trigger of the customer
  ['SQLITE_CONSTRAINT', notFitting], // NOT NULL, CHECK, FOREIGN KEY, STRICT datatype
  ['SQLITE_MISMATCH', notFitting],
  ['SQLITE_TOOBIG', notFitting],
  ['SQLITE_RANGE', notFitting],
  ['SQLITE_ERROR', { action: 'halt-table', code: 'SCHEMA_CONFLICT', hint: 'The replica table differs from the source definition{where}: {message}. It was changed or dropped outside Tenant Mirror; resnapshot the table.', when: /no such (table|column)|has no column named|no column named/i }],
  ['SQLITE_CORRUPT', damaged],
  ['SQLITE_NOTADB', damaged],
  ['SQLITE_IOERR', transient],
  ['SQLITE_NOMEM', transient],
  ['SQLITE_INTERRUPT', transient],
  ['SQLITE_PROTOCOL', transient],
]);

/** better-sqlite3 throws this (no result code) when the file's folder is missing. */
const missingFolder: Rule = { action: 'halt-all', code: 'REPLICA_PERMISSION', hint: 'The folder of the SQLite replica file does not exist: {message}. Create it, or choose another location for the file.', when: /Cannot open database because the directory does not exist/i };
/** better-sqlite3 refuses to bind (RangeError / TypeError, no result code): bigint out of int64 range, wrong JS type. */
const unbindable: Rule = { action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint: 'A value cannot be stored in SQLite{where}: {message}.' };
const fallback: Rule = { action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint: 'Writing to the SQLite replica failed{where}: {message}{code}.' };

/** `SQLITE_CONSTRAINT_PRIMARYKEY` -> `SQLITE_CONSTRAINT`. */
function primaryCode(code: string): string {
  return /^SQLITE_[A-Z]+/.exec(code)?.[0] ?? code;
}

function ruleFor(err: unknown, code: string, message: string): Rule {
  const applies = (r: Rule | undefined): r is Rule => r !== undefined && (r.when === undefined || r.when.test(message));
  if (code) {
    const exact = RESULT_CODES.get(code);
    if (applies(exact)) return exact;
    const primary = RESULT_CODES.get(primaryCode(code));
    if (applies(primary)) return primary;
  } else if (applies(missingFolder)) {
    return missingFolder;
  }
  if (err instanceof RangeError || err instanceof TypeError) return unbindable;
  return fallback;
}

export const classifySqliteError: ErrorClassifier = (err) => {
  const own = classifyMirrorError(err) ?? stateTableGone(err);
  if (own) return own;
  const table = taggedTable(err);
  const d = driverError(err);
  const code = d?.code ?? '';
  const message = errorMessage(d ?? err);
  const rule = ruleFor(err, code, message);
  const hint = fillHint(rule.hint, { where: table ? ` (table ${table})` : '', message, code: code ? ` (${code})` : '' });
  return table ? { action: rule.action, code: rule.code, hint, table } : { action: rule.action, code: rule.code, hint };
};
