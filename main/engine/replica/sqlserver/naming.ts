/**
 * Where things live in the replica: a source table lands in `tablePrefix` (when set) or its source
 * schema, under its replica name (table-names.ts `replicaTableName`: SQL Server compares names
 * case-insensitively and keeps 128 characters); `_ReplicationState` and the sweep sets
 * `_ReplicationSeen_<12 hex>` live in dbo, and no source table can take their names (docs/naming.md).
 */
import type { TableRef } from '../../schema/table-model.ts';
import { STATE_TABLE } from '../replica.ts';
import { replicaTableName, seenTableName, TABLE_NAME_RULES } from '../table-names.ts';
import { quoteIdent } from './quote.ts';

export const STATE_SCHEMA = 'dbo';

export interface SqlServerNaming {
  /** Unquoted destination schema of a source table. */
  schemaOf(ref: TableRef): string;
  /** Unquoted replica name of a source table (docs/naming.md). */
  tableName(ref: TableRef): string;
  /** `[schema].[table]` of a source table in the replica. */
  qualify(ref: TableRef): string;
  /** `[dbo].[_ReplicationState]`. */
  stateTable: string;
  /** Unquoted name of the sweep set of a source table. */
  seenName(ref: TableRef): string;
  /** `[dbo].[_ReplicationSeen_<12 hex>]`. */
  seenTable(ref: TableRef): string;
}

export function createNaming(tablePrefix: string): SqlServerNaming {
  const schemaOf = (ref: TableRef): string => (tablePrefix !== '' ? tablePrefix : ref.schema);
  const tableName = (ref: TableRef): string => replicaTableName(ref.name, TABLE_NAME_RULES.sqlserver);
  return {
    schemaOf,
    tableName,
    qualify: (ref) => `${quoteIdent(schemaOf(ref))}.${quoteIdent(tableName(ref))}`,
    stateTable: `${quoteIdent(STATE_SCHEMA)}.${quoteIdent(STATE_TABLE)}`,
    seenName: seenTableName,
    seenTable: (ref) => `${quoteIdent(STATE_SCHEMA)}.${quoteIdent(seenTableName(ref))}`,
  };
}
