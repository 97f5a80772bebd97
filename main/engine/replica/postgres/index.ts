/**
 * Folder main/engine/replica/postgres/: the PostgreSQL replica (pg; COPY for large batches), in the role files every dialect has:
 *   replica.ts   PostgresReplica: connection, transactions, apply, sweeps, state, rights
 *   dialect.ts   PostgresDialect: SQL generation, no database needed
 *   values.ts    values to and from PostgreSQL (COPY text, parameters, years before 1)
 *   errors.ts    the classifier table: SQLSTATE / socket code -> action, code, hint
 *   lease.ts     the writer-lease row; nul-check.ts: NUL characters PostgreSQL text cannot hold
 */
export { createPostgresReplica, PostgresReplica, type PostgresReplicaOptions } from './replica.ts';
export { PostgresDialect, quotePgIdent, pgColumnType, PG_MAX_IDENT_BYTES } from './dialect.ts';
export { makePostgresClassifier } from './errors.ts';
