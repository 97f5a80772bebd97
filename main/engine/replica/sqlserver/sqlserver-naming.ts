/**
 * Where things live in the replica: a source table lands in `tablePrefix` (when set) or its source
 * schema; `_ReplicationState` and the sweep sets `_ReplicationSeen_<12 hex>` live in dbo.
 */
import type { TableRef } from '../../schema/table-model.ts';
import { STATE_TABLE } from '../dialect.ts';
import { seenTableName } from '../naming.ts';
import { quoteIdent } from './sqlserver-quote.ts';

export const STATE_SCHEMA = 'dbo';

export interface SqlServerNaming {
  /** Unquoted destination schema of a source table. */
  schemaOf(ref: TableRef): string;
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
  const prefix = tablePrefix.trim();
  const schemaOf = (ref: TableRef): string => (prefix !== '' ? prefix : ref.schema);
  return {
    schemaOf,
    qualify: (ref) => `${quoteIdent(schemaOf(ref))}.${quoteIdent(ref.name)}`,
    stateTable: `${quoteIdent(STATE_SCHEMA)}.${quoteIdent(STATE_TABLE)}`,
    seenName: seenTableName,
    seenTable: (ref) => `${quoteIdent(STATE_SCHEMA)}.${quoteIdent(seenTableName(ref))}`,
  };
}
