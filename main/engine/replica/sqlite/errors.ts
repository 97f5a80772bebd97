/** SQLite (better-sqlite3) error classification by extended result code (`err.code`, e.g. SQLITE_BUSY_SNAPSHOT). */
import type { ClassifiedError } from '../dialect.ts';
import { classifyMirrorError, driverError, errorMessage, taggedTable } from '../naming.ts';

export function classifySqliteError(err: unknown): ClassifiedError {
  const own = classifyMirrorError(err);
  if (own) return own;
  const table = taggedTable(err);
  const where = table ? ` (table ${table})` : '';
  const d = driverError(err);
  const code = d?.code ?? '';
  const msg = errorMessage(d ?? err);
  const out = (c: ClassifiedError): ClassifiedError => (table ? { ...c, table } : c);

  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return out({ action: 'retry', code: 'REPLICA_UNREACHABLE', hint: `The SQLite file is locked by another connection${where}: ${msg}. Close other programs writing to it (a DB browser with an open transaction); retrying.` });
  }
  if (code === 'SQLITE_FULL' || (code === 'SQLITE_IOERR_WRITE' && /space/i.test(msg))) {
    return out({ action: 'halt-all', code: 'REPLICA_LOG_FULL', hint: `The disk holding the SQLite file is full (or max_page_count was reached)${where}: ${msg}. Free space, then resume.` });
  }
  if (!code && /Cannot open database because the directory does not exist/i.test(msg)) {
    return out({ action: 'halt-all', code: 'REPLICA_PERMISSION', hint: `The folder of the SQLite replica file does not exist: ${msg}. Create it, or choose another location for the file.` });
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return out({ action: 'halt-all', code: 'REPLICA_PERMISSION', hint: `The SQLite file cannot be written${where}: ${msg}. Make the file and its directory writable by the user running Tenant Mirror (the directory too: SQLite creates -wal and -shm files next to it).` });
  }
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return out({ action: 'halt-table', code: 'REPLICA_DUPLICATE_KEY', hint: `A duplicate key was rejected${where}: ${msg}. Upserts should never collide on the primary key; a unique index added on the replica table conflicts with the source data — drop it or resnapshot the table.` });
  }
  if (code === 'SQLITE_MISMATCH' || code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_TOOBIG' || code === 'SQLITE_RANGE') {
    return out({ action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint: `A value does not fit the replica table${where}: ${msg}. The replica table no longer matches the source definition; resnapshot the table.` });
  }
  if (code === 'SQLITE_ERROR' && /no such (table|column)|has no column named|no column named/i.test(msg)) {
    return out({ action: 'halt-table', code: 'SCHEMA_CONFLICT', hint: `The replica table differs from the source definition${where}: ${msg}. It was changed or dropped outside Tenant Mirror; resnapshot the table.` });
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return out({ action: 'halt-all', code: 'REPLICA_WRITE_FAILED', hint: `The SQLite file is damaged or not a database: ${msg}. Restore it from a backup or point the replica at a new file.` });
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_NOMEM' || code === 'SQLITE_INTERRUPT' || code === 'SQLITE_PROTOCOL') {
    return out({ action: 'retry', code: 'REPLICA_UNREACHABLE', hint: `Transient SQLite I/O failure${where}: ${msg}; retrying.` });
  }
  if (err instanceof RangeError || err instanceof TypeError) {
    // better-sqlite3 refuses to bind: bigint out of int64 range, wrong JS type.
    return out({ action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint: `A value cannot be stored in SQLite${where}: ${msg}.` });
  }
  return out({ action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint: `Writing to the SQLite replica failed${where}: ${msg}${code ? ` (${code})` : ''}.` });
}
