/**
 * One `Dialect` per replica database (sqlite/, postgres/, sqlserver/): pure SQL generation, testable
 * without a database. The live connection that runs it is the `Replica` (replica.ts).
 */
import type { DialectName } from '../../../preload/contract/status.ts';
import type { ColumnDef, ColumnType, TableDef, TableRef } from '../schema/table-model.ts';

/** Where a source table lands: the source schema, or `tablePrefix` when set (SQLite has no schemas). */
export interface DestinationNaming {
  /** Destination schema override (`ReplicaDatabase.TablePrefix` in the product). Empty = keep the source schema. */
  tablePrefix: string;
}

/** A compatible schema change, applied in place with ALTER (user indexes and views stay). */
export interface AlterPlan {
  table: TableDef; //            the new definition
  addColumns: ColumnDef[]; //    new nullable or defaulted columns
  widenColumns: ColumnDef[]; //  same name, wider type (longer string, bigger int, more precision)
  relaxNullability: ColumnDef[]; // NOT NULL -> NULL
}

export interface Dialect {
  readonly name: DialectName;
  quoteIdent(identifier: string): string;
  /** Fully qualified, quoted destination name of a source table. */
  qualify(ref: TableRef): string;
  columnType(type: ColumnType): string;
  createStateTable(): string[];
  /** One row whose first column is 1 when `_ReplicationState` exists, else 0 (nothing is created). */
  stateTableExists(): string;
  createTable(def: TableDef): string[];
  alterTable(plan: AlterPlan): string[];
  dropTable(ref: TableRef): string[];
}
