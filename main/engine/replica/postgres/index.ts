export { createPostgresReplica, PostgresReplica, type PostgresReplicaOptions } from './replica.ts';
export { PostgresDialect, quotePgIdent, pgColumnType, PG_MAX_IDENT_BYTES } from './dialect.ts';
export { makePostgresClassifier } from './errors.ts';
