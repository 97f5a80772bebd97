/** The SQL Server replica (mssql on tedious). */
export { createSqlServerReplica, buildPoolConfig } from './replica.ts';
export { SqlServerReplica, type SqlServerReplicaOptions } from './replica.ts';
export { SqlServerDialect } from './dialect.ts';
export { classifySqlServerError } from './errors.ts';
