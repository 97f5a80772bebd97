/**
 * Folder main/engine/replica/sqlserver/: the SQL Server replica (mssql on tedious), in the role files every dialect has:
 *   replica.ts   SqlServerReplica: pool, transactions, bulk staging, apply, sweeps, state, rights
 *   dialect.ts   SqlServerDialect: T-SQL generation, no database needed (design notes there)
 *   values.ts    values to and from the staging tables and reads
 *   errors.ts    the classifier table: error number / driver code -> action, code, hint
 *   types.ts     column types and staging types; columns.ts: key and value columns (exact keys, sizes)
 *   ddl.ts, dml.ts  the statements; naming.ts, quote.ts: names and quoting; rights.ts: the rights check
 */
export { createSqlServerReplica, buildPoolConfig } from './replica.ts';
export { SqlServerReplica, type SqlServerReplicaOptions } from './replica.ts';
export { SqlServerDialect } from './dialect.ts';
export { classifySqlServerError } from './errors.ts';
