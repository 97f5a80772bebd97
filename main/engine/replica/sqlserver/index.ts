/** The SQL Server replica (mssql on tedious). */
export { createSqlServerReplica, buildPoolConfig } from './sqlserver-replica.ts';
export type { SqlServerReplica, SqlServerReplicaOptions } from './sqlserver-replica.ts';
export { createSqlServerDialect } from './sqlserver-dialect.ts';
export type { SqlServerDialect } from './sqlserver-dialect.ts';
export { classifySqlServerError } from './sqlserver-errors.ts';
export { parseSqlServerConnectionString } from './connection-string.ts';
