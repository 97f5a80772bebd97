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

export class SqlServerDialect implements Dialect {
  readonly name = 'sqlserver' as const;
  readonly naming: SqlServerNaming;

  constructor(opts: DestinationNaming) {
    this.naming = createNaming(opts.tablePrefix);
  }

  quoteIdent(identifier: string): string { return quoteIdent(identifier); }
  qualify(ref: TableRef): string { return this.naming.qualify(ref); }
  columnType(type: ColumnType): string { return valueColumnType(type); }
  createStateTable(): string[] { return ddl.createStateTableSql(this.naming); }
  createTable(def: TableDef): string[] { return ddl.createTableSql(this.naming, def); }
  alterTable(plan: AlterPlan): string[] { return ddl.alterTableSql(this.naming, plan); }
  dropTable(ref: TableRef): string[] { return ddl.dropTableSql(this.naming, ref); }
  createSchema(schema: string): string { return ddl.createSchemaSql(schema); }
  beginSweep(def: TableDef): string[] { return ddl.beginSweepSql(this.naming, def); }
  /** One bounded chunk of the sweep (DELETE TOP): repeat until it deletes fewer than `STATEMENT_ROWS`. */
  finishSweep(def: TableDef): string { return dml.finishSweepSql(this.naming, def); }
  dropSweep(ref: TableRef): string[] { return ddl.dropSweepSql(this.naming, ref); }
  stagePlan(def: TableDef, columnNames: Iterable<string>, kind: 'upsert' | 'delete'): StagePlan { return dml.stagePlan(def, columnNames, kind); }
  createStage(plan: StagePlan): string { return dml.createStageSql(plan); }
  dropStage(plan: StagePlan): string { return dml.dropStageSql(plan); }
  /** UPDATE … FROM + INSERT … WHERE NOT EXISTS of the staged rows (one batch). */
  upsert(def: TableDef, plan: StagePlan): string { return dml.upsertSql(this.naming, def, plan); }
  markSeen(def: TableDef, plan: StagePlan): string { return dml.markSeenSql(this.naming, def, plan); }
  deleteRows(def: TableDef, plan: StagePlan): string { return dml.deleteSql(this.naming, def, plan); }
  upsertState(count: number): string { return dml.upsertStateSql(this.naming, count); }
  deleteState(count: number): string { return dml.deleteStateSql(this.naming, count); }
  readState(byKind = false): string { return dml.readStateSql(this.naming, byKind); }
  selectLease(): string { return dml.selectLeaseSql(this.naming); }
  selectRows(def: TableDef): string { return dml.selectRowsSql(this.naming, def); }
  countRows(ref: TableRef): string { return dml.countRowsSql(this.naming, ref); }
  tableExists(ref: TableRef): string { return dml.tableExistsSql(this.naming, ref); }
  stateTableExists(): string { return dml.userTableExistsSql(this.naming.stateTable); }
}
