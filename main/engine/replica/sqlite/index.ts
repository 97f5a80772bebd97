/**
 * Folder main/engine/replica/sqlite/: the SQLite replica (better-sqlite3, in process), in the role files every dialect has:
 *   replica.ts   SqliteReplica: connection, transactions, apply, sweeps, state
 *   dialect.ts   SqliteDialect: SQL generation (STRICT tables), no database needed
 *   values.ts    values to and from SQLite storage classes
 *   errors.ts    the classifier table: SQLite result code -> action, code, hint
 */
export { createSqliteReplica, SqliteReplica, type SqliteReplicaOptions } from './replica.ts';
export { SqliteDialect, quoteSqliteIdent, sqliteStorage } from './dialect.ts';
export { classifySqliteError } from './errors.ts';
