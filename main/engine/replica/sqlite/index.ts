export { createSqliteReplica, SqliteReplica, type SqliteReplicaOptions } from './replica.ts';
export { SqliteDialect, quoteSqliteIdent, sqliteStorage } from './dialect.ts';
export { classifySqliteError } from './errors.ts';
