/** The SQL Server replica (mssql on tedious). */
export { createSqlServerReplica, buildPoolConfig } from './replica.ts';
export type { SqlServerReplica, SqlServerReplicaOptions } from './replica.ts';
export { createSqlServerDialect } from './dialect.ts';
export type { SqlServerDialect } from './dialect.ts';
export { classifySqlServerError } from './errors.ts';
