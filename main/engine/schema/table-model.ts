/**
 * The neutral table model every dialect maps from. Built from Debezium schema-change events
 * (`tableChanges`) and from the Connect schema inside each change event; both paths go through
 * the same source-type mapping so they produce identical definitions (and identical hashes).
 */

/** Column types the replica understands. Values in rows use the JS shapes listed per kind. */
export type ColumnType =
  | { kind: 'bool' } //                                      boolean
  | { kind: 'int'; bits: 8 | 16 | 32 | 64 } //               number, or bigint for bits=64
  | { kind: 'float'; bits: 32 | 64 } //                       number
  | { kind: 'decimal'; precision: number; scale: number } //  string, exact ("-123.45")
  | { kind: 'string'; length: number | null; fixed: boolean } // string; length null = unbounded (text / max)
  | { kind: 'bytes'; length: number | null; fixed: boolean } //  Buffer
  | { kind: 'date' } //                                       string 'YYYY-MM-DD'
  | { kind: 'time'; precision: number } //                    string 'HH:MM:SS[.f…]' (time of day)
  | { kind: 'duration'; precision: number } //                string '[-]H…H:MM:SS[.f…]': MySQL/MariaDB TIME (±838:59:59.999999)
  | { kind: 'timestamp'; precision: number } //               string 'YYYY-MM-DD HH:MM:SS[.f…]' (no zone, wall clock)
  | { kind: 'timestamptz'; precision: number; offset?: true } // string ISO-8601: UTC 'Z', or with offset: true (SQL Server
  //                                                          DATETIMEOFFSET) each value's own offset, 'YYYY-MM-DDTHH:MM:SS[.f…]±hh:mm'
  | { kind: 'uuid' } //                                       string
  | { kind: 'json' }; //                                      string

export interface ColumnDef {
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** Default as a literal value in the row-value shape of `type` (never an SQL expression), or undefined. */
  defaultValue?: string | number | boolean | bigint | null;
  /**
   * Added to a table with rows, its value in them is known to the source only (a default other than NULL
   * or a number, or a generated column: schema/added-column-fill.ts). Not part of the hash.
   */
  fillUnknown?: boolean;
  /** Source type as the source database spelled it (e.g. `DATETIME(6)`), for diagnostics. */
  sourceType?: string;
}

export interface TableRef {
  /** Source schema (`crm7`) or database name for MariaDB sources. */
  schema: string;
  name: string;
}

export interface TableDef extends TableRef {
  columns: ColumnDef[];
  /** Primary-key column names in key order. Never empty for a replicated table. */
  primaryKey: string[];
}

/**
 * `schema.table` exactly as the source spells it: the id used in `_ReplicationState`, events and the UI.
 * Case is kept (MariaDB with lower_case_table_names=0 holds `Casey` and `casey` as two tables); an id of
 * an all-lower-case name is what it was when ids were lower-cased, so those state rows still match.
 * Config lists (include/exclude globs) still match case-insensitively (schema/table-filter.ts).
 */
export function tableId(t: TableRef): string {
  return `${t.schema}.${t.name}`;
}

export type RowValue = string | number | boolean | bigint | Buffer | null;
export type Row = Record<string, RowValue>;

export function typeToString(t: ColumnType): string {
  if (t.kind === 'timestamptz' && t.offset) return `timestamptz(${t.precision},offset)`;
  switch (t.kind) {
    case 'int': return `int${t.bits}`;
    case 'float': return `float${t.bits}`;
    case 'decimal': return `decimal(${t.precision},${t.scale})`;
    case 'string': case 'bytes': return `${t.kind}${t.fixed ? '!' : ''}(${t.length ?? 'max'})`;
    case 'time': case 'duration': case 'timestamp': case 'timestamptz': return `${t.kind}(${t.precision})`;
    default: return t.kind;
  }
}
