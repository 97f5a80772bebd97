/**
 * The SQL Server `Dialect`: pure T-SQL generation, testable with no database. The replica
 * (sqlserver-replica.ts) runs these statements; the extra members are the apply/sweep/state SQL.
 */
import type { ColumnType, TableDef, TableRef } from '../../schema/table-model.ts';
import type { AlterPlan, Dialect, DestinationNaming } from '../dialect.ts';
import * as ddl from './sqlserver-ddl.ts';
import * as dml from './sqlserver-dml.ts';
import type { StagePlan } from './sqlserver-dml.ts';
import { createNaming } from './sqlserver-naming.ts';
import type { SqlServerNaming } from './sqlserver-naming.ts';
import { quoteIdent } from './sqlserver-quote.ts';
import { valueColumnType } from './sqlserver-columns.ts';

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
