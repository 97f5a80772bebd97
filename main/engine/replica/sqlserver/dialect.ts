/**
 * The SQL Server `Dialect`: pure T-SQL generation, testable with no database. The replica
 * (replica.ts) runs these statements; the extra members are the apply/sweep/state SQL.
 *
 * Design choices (issue 17; details in the files named):
 * - Exact keys under any database collation (columns.ts): text key columns, staging keys,
 *   sweep sets and the state `Id` are `COLLATE Latin1_General_100_BIN2`; every key comparison puts an
 *   explicit BIN2 on one side and also compares `DATALENGTH`, because SQL Server pads `=` and
 *   PARTITION BY with spaces (binary: 0x00) even under BIN2. Keys differing only by trailing spaces
 *   cannot both live in a SQL Server primary key: the second fails loudly (2627, table halted) instead
 *   of merging. Chosen over a hidden length column in the key: the table keeps the source's columns.
 * - Character-true sizes: `string(n)` -> `nvarchar(2n)` (UTF-16 units), max past 4000; fixed-length
 *   sources declared variable (no nchar/binary: exact value, rows may overflow 8,060 bytes); key
 *   columns share the 900-byte clustered key.
 * - Idempotent DDL (ddl.ts): CREATE only when missing, PK/defaults dropped by catalog lookup
 *   and re-added only when missing; default names carry a hash of table and column.
 * - Upserts are `UPDATE … FROM` + `INSERT … WHERE NOT EXISTS`, not MERGE, no HOLDLOCK (one writer;
 *   MERGE misbehaves with filtered unique indexes, indexed views and triggers users may add), at most
 *   2,000 rows per statement (under lock escalation); the sweep deletes in 2,000-row chunks.
 */
import type { ColumnType, TableDef, TableRef } from '../../schema/table-model.ts';
import type { AlterPlan, Dialect, DestinationNaming } from '../dialect.ts';
import * as ddl from './ddl.ts';
import * as dml from './dml.ts';
import type { StagePlan } from './dml.ts';
import { createNaming } from './naming.ts';
import type { SqlServerNaming } from './naming.ts';
import { quoteIdent } from './quote.ts';
import { valueColumnType } from './columns.ts';

export interface SqlServerDialect extends Dialect {
  readonly name: 'sqlserver';
  readonly naming: SqlServerNaming;
  createSchema(schema: string): string;
  beginSweep(def: TableDef): string[];
  /** One bounded chunk of the sweep (DELETE TOP): repeat until it deletes fewer than `STATEMENT_ROWS`. */
  finishSweep(def: TableDef): string;
  dropSweep(ref: TableRef): string[];
  stagePlan(def: TableDef, columnNames: Iterable<string>, kind: 'upsert' | 'delete'): StagePlan;
  createStage(plan: StagePlan): string;
  dropStage(plan: StagePlan): string;
  /** UPDATE … FROM + INSERT … WHERE NOT EXISTS of the staged rows (one batch). */
  upsert(def: TableDef, plan: StagePlan): string;
  markSeen(def: TableDef, plan: StagePlan): string;
  deleteRows(def: TableDef, plan: StagePlan): string;
  upsertState(count: number): string;
  deleteState(count: number): string;
  readState(byKind?: boolean): string;
  selectLease(): string;
  selectRows(def: TableDef): string;
  countRows(ref: TableRef): string;
  tableExists(ref: TableRef): string;
  stateTableExists(): string;
}

export function createSqlServerDialect(naming: DestinationNaming): SqlServerDialect {
  const n = createNaming(naming.tablePrefix);
  return {
    name: 'sqlserver',
    naming: n,
    quoteIdent,
    qualify: (ref) => n.qualify(ref),
    columnType: (type: ColumnType) => valueColumnType(type),
    createStateTable: () => ddl.createStateTableSql(n),
    createTable: (def) => ddl.createTableSql(n, def),
    alterTable: (plan: AlterPlan) => ddl.alterTableSql(n, plan),
    dropTable: (ref) => ddl.dropTableSql(n, ref),
    createSchema: (schema) => ddl.createSchemaSql(schema),
    beginSweep: (def) => ddl.beginSweepSql(n, def),
    finishSweep: (def) => dml.finishSweepSql(n, def),
    dropSweep: (ref) => ddl.dropSweepSql(n, ref),
    stagePlan: (def, cols, kind) => dml.stagePlan(def, cols, kind),
    createStage: (plan) => dml.createStageSql(plan),
    dropStage: (plan) => dml.dropStageSql(plan),
    upsert: (def, plan) => dml.upsertSql(n, def, plan),
    markSeen: (def, plan) => dml.markSeenSql(n, def, plan),
    deleteRows: (def, plan) => dml.deleteSql(n, def, plan),
    upsertState: (count) => dml.upsertStateSql(n, count),
    deleteState: (count) => dml.deleteStateSql(n, count),
    readState: (byKind = false) => dml.readStateSql(n, byKind),
    selectLease: () => dml.selectLeaseSql(n),
    selectRows: (def) => dml.selectRowsSql(n, def),
    countRows: (ref) => dml.countRowsSql(n, ref),
    tableExists: (ref) => dml.tableExistsSql(n, ref),
    stateTableExists: () => dml.userTableExistsSql(n.stateTable),
  };
}
