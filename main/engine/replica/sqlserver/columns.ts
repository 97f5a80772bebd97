/**
 * The declared SQL Server type of every replica column, and how key columns are compared.
 *
 * Character-true sizes: a source `string(n)` counts characters (code points), SQL Server `nvarchar(n)`
 * counts UTF-16 code units, and a character outside the BMP (😀) takes two. So `string(n)` becomes
 * `nvarchar(2n)`, or `nvarchar(max)` when 2n > 4000. Fixed-length sources (`char(n)`, `binary(n)`) are
 * declared variable (`nvarchar`, `varbinary`): the value is stored exactly as received (no extra
 * blank padding) and, unlike `nchar`/`binary`, can move off-row, so wide tables stay within the
 * 8,060-byte in-row limit.
 *
 * Key columns share the 900-byte clustered-index key: fixed-size key columns take their size, the
 * variable ones (strings, bytes) split what is left, smallest need first, so a composite key never
 * exceeds 900 bytes (a longer key value fails loudly with error 2628/4815 naming the column).
 *
 * Exact keys: text key columns are declared `COLLATE Latin1_General_100_BIN2` (code-unit order, case,
 * accent, kana and width sensitive, every emoji weighs), and every key comparison the mirror writes
 * puts an explicit `COLLATE Latin1_General_100_BIN2` on one side, so tables created before this rule
 * (database collation) are compared exactly too. SQL Server still pads with spaces (and binary values
 * with 0x00) for `=` and for PARTITION BY, even under BIN2: every text or bytes key comparison also
 * compares `DATALENGTH`, so `'a'` and `'a '` (and 0x01 / 0x0100) are never taken for one key by an
 * update, delete, dedupe or sweep. The primary key itself cannot hold both (the index pads too): the
 * second one fails loudly with a duplicate key (2627, table halted with a hint) rather than merging.
 */
import { createHash } from 'node:crypto';
import type { ColumnDef, ColumnType, TableDef } from '../../schema/table-model.ts';
import { constraintName } from './quote.ts';
import { columnType, defaultLiteral } from './types.ts';

export const KEY_COLLATION = 'Latin1_General_100_BIN2';
/** Clustered index key limit (nonclustered: 1,700; the mirror's keys are clustered). */
export const MAX_KEY_BYTES = 900;
/** Columns per table. */
export const MAX_COLUMNS = 1024;

/** Text kinds (collation applies). */
export const isTextKind = (t: ColumnType): boolean => t.kind === 'string' || t.kind === 'json' || t.kind === 'duration';
/**
 * Kinds SQL Server compares with padding (text: spaces, bytes: 0x00), so key comparisons add DATALENGTH.
 * Not duration: its canonical text never ends in a space, and its varchar column would not have the
 * DATALENGTH of the nvarchar staging value.
 */
export const isPaddedKind = (t: ColumnType): boolean => t.kind === 'string' || t.kind === 'json' || t.kind === 'bytes';

/** nvarchar units for `n` characters. */
export function nvarcharFor(length: number | null): string {
  if (length === null) return 'nvarchar(max)';
  const units = 2 * Math.max(1, Math.trunc(length));
  return units > 4000 ? 'nvarchar(max)' : `nvarchar(${units})`;
}

/** The type of a non-key column. */
export function valueColumnType(t: ColumnType): string {
  if (t.kind === 'string') return nvarcharFor(t.length);
  if (t.kind === 'bytes') return t.length === null || t.length > 8000 ? 'varbinary(max)' : `varbinary(${Math.max(1, Math.trunc(t.length))})`;
  return columnType(t);
}

/** Bytes a fixed-size key column takes in the index key; null for strings and bytes. */
export function fixedKeyBytes(t: ColumnType): number | null {
  switch (t.kind) {
    case 'bool': return 1;
    case 'int': return t.bits === 64 ? 8 : t.bits === 32 ? 4 : 2;
    case 'float': return t.bits === 32 ? 4 : 8;
    case 'decimal': { const p = Math.min(38, Math.max(1, t.precision)); return p <= 9 ? 5 : p <= 19 ? 9 : p <= 28 ? 13 : 17; }
    case 'date': return 3;
    case 'time': return t.precision <= 2 ? 3 : t.precision <= 4 ? 4 : 5;
    case 'timestamp': return t.precision <= 2 ? 6 : t.precision <= 4 ? 7 : 8;
    case 'timestamptz': return t.precision <= 2 ? 8 : t.precision <= 4 ? 9 : 10;
    case 'uuid': return 16;
    case 'duration': return 17;
    case 'string': case 'json': case 'bytes': return null;
  }
}

export interface KeyColumnType {
  /** Declaration, e.g. `nvarchar(200) COLLATE Latin1_General_100_BIN2`, `varbinary(16)`, `bigint`. */
  sql: string;
  /** Staging size: text keys nvarchar(units), bytes keys varbinary(bytes); null for other kinds. */
  stage: { kind: 'nvarchar' | 'varbinary'; length: number } | null;
}

/** Types of the key columns of `def`, within the 900-byte key budget. */
export function keyColumnTypes(def: TableDef): Map<string, KeyColumnType> {
  const keys = def.primaryKey.map((k) => {
    const c = def.columns.find((col) => col.name === k);
    if (!c) throw new Error(`primary-key column ${k} is not a column of ${def.schema}.${def.name}`);
    return c;
  });
  const out = new Map<string, KeyColumnType>();
  let remaining = MAX_KEY_BYTES;
  const variable: Array<{ col: ColumnDef; want: number }> = [];
  for (const c of keys) {
    const fixed = fixedKeyBytes(c.type);
    if (fixed !== null) { remaining -= fixed; continue; }
    const t = c.type;
    const want = t.kind === 'string' && t.length !== null ? 4 * Math.max(1, t.length)
      : t.kind === 'bytes' && t.length !== null ? Math.max(1, t.length) : Infinity;
    variable.push({ col: c, want });
  }
  const given = new Map<string, number>();
  [...variable].sort((a, b) => a.want - b.want).forEach((v, i, all) => {
    const share = Math.floor(Math.max(0, remaining) / (all.length - i));
    const bytes = Math.max(v.col.type.kind === 'bytes' ? 1 : 2, Math.min(v.want, share));
    given.set(v.col.name, bytes);
    remaining -= bytes;
  });
  for (const c of keys) {
    const t = c.type;
    const bytes = given.get(c.name);
    if (t.kind === 'duration') out.set(c.name, { sql: `varchar(17) COLLATE ${KEY_COLLATION}`, stage: { kind: 'nvarchar', length: 17 } });
    else if (bytes !== undefined && t.kind === 'bytes') out.set(c.name, { sql: `varbinary(${bytes})`, stage: { kind: 'varbinary', length: bytes } });
    else if (bytes !== undefined) {
      const units = Math.floor(bytes / 2);
      out.set(c.name, { sql: `nvarchar(${units}) COLLATE ${KEY_COLLATION}`, stage: { kind: 'nvarchar', length: units } });
    } else out.set(c.name, { sql: columnType(t), stage: null });
  }
  return out;
}

/** Declared type of column `col` of `def` (key budget applied to key columns). */
export function replicaColumnType(def: TableDef, col: ColumnDef, keys = keyColumnTypes(def)): string {
  return keys.get(col.name)?.sql ?? valueColumnType(col.type);
}

/**
 * `left = right` for a key column of type `t`, exact: text under BIN2 (explicit on `right`, which
 * wins over either side's column collation), text and bytes with equal DATALENGTH (no padding).
 */
export function keyEquals(t: ColumnType, left: string, right: string): string {
  const eq = `${left} = ${isTextKind(t) ? `${right} COLLATE ${KEY_COLLATION}` : right}`;
  return isPaddedKind(t) ? `${eq} AND DATALENGTH(${left}) = DATALENGTH(${right})` : eq;
}

/** PARTITION BY terms of a key column: the value (text under BIN2), plus its DATALENGTH for padded kinds. */
export function keyPartition(t: ColumnType, expr: string): string[] {
  const value = isTextKind(t) ? `${expr} COLLATE ${KEY_COLLATION}` : expr;
  return isPaddedKind(t) ? [value, `DATALENGTH(${expr})`] : [value];
}

/**
 * Default-constraint name, unique per schema: `DF_<table>_<column>_<8 hex of sha256(table, column)>`
 * (`order`.`line_no` and `order_line`.`no` differ), hashed whole past 128 characters.
 */
export function defaultConstraintName(table: string, column: string): string {
  const hash = createHash('sha256').update(`${table}\u0000${column}`).digest('hex').slice(0, 8);
  return constraintName('DF', table, column, hash);
}

/** DEFAULT value of a column, or null; a boolean default that is not clearly true or false gets none. */
export function columnDefault(col: ColumnDef): string | null {
  if (col.type.kind === 'bool') {
    const v = col.defaultValue;
    if (v === true || v === 1 || v === 'true' || v === '1' || v === 1n) return '1';
    if (v === false || v === 0 || v === 'false' || v === '0' || v === 0n) return '0';
    return null;
  }
  return defaultLiteral(col);
}
