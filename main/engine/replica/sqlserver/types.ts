/**
 * Neutral column types -> SQL Server. The table (also in the README section of the report):
 * (Replica tables declare string/bytes and key columns through columns.ts instead:
 * string(n) -> nvarchar(2n), no fixed nchar/binary, key columns within 900 bytes under BIN2.)
 *
 *   bool                 bit
 *   int8 / int16         smallint      (SQL Server tinyint is unsigned 0..255: a signed int8 does not fit)
 *   int32 / int64        int / bigint
 *   float32 / float64    real / float
 *   decimal(p,s)         decimal(p,s)  (p capped at 38, s clamped to 0..p)
 *   string(n)            nvarchar(n), nchar(n) when fixed; nvarchar(max) when unbounded or n > 4000
 *   bytes(n)             varbinary(n), binary(n) when fixed; varbinary(max) when unbounded or n > 8000
 *   date / time(p)       date / time(p)                  (p capped at 7)
 *   duration(p)          varchar(17): MySQL TIME as exact text '[-]HHH:MM:SS[.ffffff]' (time(p) holds 0–24 h
 *                        only; text keeps ±838:59:59.999999 as the source prints it, see docs/values.md)
 *   timestamp(p)         datetime2(p)                    (p capped at 7)
 *   timestamptz(p)       datetimeoffset(p)               (p capped at 7)
 *   uuid                 uniqueidentifier
 *   json                 nvarchar(max)
 *
 * Primary-key columns must fit an index key (900 bytes): an unbounded (or > 450) string key becomes
 * nvarchar(450) and an unbounded (or > 900) bytes key varbinary(900).
 *
 * Never emitted: IDENTITY (a source identity column is a plain column here, so source values are written
 * verbatim without SET IDENTITY_INSERT), rowversion (a source rowversion arrives as 8 bytes and is kept
 * as binary(8); a replica rowversion could not hold the source value), computed columns (stored as plain
 * columns holding whatever value the change event carried).
 */
import type { ColumnDef, ColumnType } from '../../schema/table-model.ts';
import { quoteString } from './quote.ts';
import { normaliseDate, normaliseDecimal, normaliseTime, normaliseTimestamp, normaliseTimestampTz, normaliseUuid } from './values.ts';

const cap7 = (p: number): number => Math.max(0, Math.min(7, Math.trunc(p)));

export function decimalPrecision(t: { precision: number; scale: number }): { p: number; s: number } {
  const p = Math.max(1, Math.min(38, Math.trunc(t.precision)));
  const s = Math.max(0, Math.min(p, Math.trunc(t.scale)));
  return { p, s };
}

export function columnType(t: ColumnType): string {
  switch (t.kind) {
    case 'bool': return 'bit';
    case 'int': return t.bits === 64 ? 'bigint' : t.bits === 32 ? 'int' : 'smallint';
    case 'float': return t.bits === 32 ? 'real' : 'float';
    case 'decimal': { const { p, s } = decimalPrecision(t); return `decimal(${p},${s})`; }
    case 'string':
      if (t.length === null || t.length > 4000) return 'nvarchar(max)';
      return `${t.fixed ? 'nchar' : 'nvarchar'}(${Math.max(1, t.length)})`;
    case 'bytes':
      if (t.length === null || t.length > 8000) return 'varbinary(max)';
      return `${t.fixed ? 'binary' : 'varbinary'}(${Math.max(1, t.length)})`;
    case 'date': return 'date';
    case 'time': return `time(${cap7(t.precision)})`;
    case 'duration': return 'varchar(17)';
    case 'timestamp': return `datetime2(${cap7(t.precision)})`;
    case 'timestamptz': return `datetimeoffset(${cap7(t.precision)})`;
    case 'uuid': return 'uniqueidentifier';
    case 'json': return 'nvarchar(max)';
  }
}

/** The type of a column in the replica table; key columns are kept within index-key limits. */
export function columnTypeFor(t: ColumnType, isKey: boolean): string {
  if (isKey) {
    if ((t.kind === 'string' && (t.length === null || t.length > 450)) || t.kind === 'json') return 'nvarchar(450)';
    if (t.kind === 'bytes' && (t.length === null || t.length > 900)) return 'varbinary(900)';
  }
  return columnType(t);
}

/** How a staging column is declared to the bulk loader (mapped to mssql types by the replica). */
export type StageDriverType =
  | { kind: 'bit' } | { kind: 'smallint' } | { kind: 'int' } | { kind: 'real' } | { kind: 'float' }
  | { kind: 'nvarchar'; length: number | 'max' }
  | { kind: 'varbinary'; length: number | 'max' };

export interface StageType {
  /** Declaration in CREATE TABLE #stage. */
  decl: string;
  driver: StageDriverType;
}

const text = (length: number | 'max'): StageType => ({
  decl: `nvarchar(${length}) COLLATE DATABASE_DEFAULT`,
  driver: { kind: 'nvarchar', length },
});

/**
 * Staging column type. Text-staged kinds are converted by `fromStage`. Non-key strings and bytes are
 * staged as max so that an over-long value fails on the replica table (error 2628 names table and
 * column) rather than in the bulk load; key strings and bytes are staged at the replica key type.
 * String staging columns use COLLATE DATABASE_DEFAULT: a #temp table otherwise takes tempdb's
 * collation and the MERGE join fails with a collation conflict (error 468).
 */
export function stageType(t: ColumnType, isKey: boolean): StageType {
  switch (t.kind) {
    case 'bool': return { decl: 'bit', driver: { kind: 'bit' } };
    case 'int':
      if (t.bits === 64) return text(20);
      return t.bits === 32 ? { decl: 'int', driver: { kind: 'int' } } : { decl: 'smallint', driver: { kind: 'smallint' } };
    case 'float': return t.bits === 32 ? { decl: 'real', driver: { kind: 'real' } } : { decl: 'float', driver: { kind: 'float' } };
    case 'decimal': return text(100);
    case 'string': case 'json': {
      if (!isKey) return text('max');
      const m = /^n(?:var)?char\((\d+)\)$/.exec(columnTypeFor(t, true));
      return text(m ? Number(m[1]) : 'max');
    }
    case 'bytes': {
      if (!isKey) return { decl: 'varbinary(max)', driver: { kind: 'varbinary', length: 'max' } };
      const m = /^(?:var)?binary\((\d+)\)$/.exec(columnTypeFor(t, true));
      const length = m ? Number(m[1]) : 'max';
      return { decl: `varbinary(${length})`, driver: { kind: 'varbinary', length } };
    }
    case 'date': return text(10);
    case 'time': return text(16);
    case 'duration': return text(17);
    case 'timestamp': return text(27);
    case 'timestamptz': return text(34);
    case 'uuid': return text(36);
  }
}

/** SQL expression turning the staged value `expr` into the replica column type. */
export function fromStage(t: ColumnType, expr: string): string {
  switch (t.kind) {
    case 'int': return t.bits === 64 ? `CONVERT(bigint, ${expr})` : expr;
    case 'decimal': return `CONVERT(${columnType(t)}, ${expr})`;
    case 'date': return `CONVERT(date, ${expr}, 23)`;
    case 'time': return `CONVERT(${columnType(t)}, ${expr}, 121)`;
    case 'timestamp': return `CONVERT(${columnType(t)}, ${expr}, 121)`;
    case 'timestamptz': return `CONVERT(${columnType(t)}, ${expr}, 127)`;
    case 'uuid': return `CONVERT(uniqueidentifier, ${expr})`;
    default: return expr;
  }
}

/** SQL expression used by readRows so that no value passes through a lossy JS number or Date. */
export function readExpression(t: ColumnType, expr: string): string {
  switch (t.kind) {
    case 'int': return t.bits === 64 ? `CONVERT(varchar(20), ${expr})` : expr;
    case 'decimal': return `CONVERT(varchar(48), ${expr})`;
    case 'date': return `CONVERT(varchar(10), ${expr}, 23)`;
    case 'time': return `CONVERT(varchar(16), ${expr}, 121)`;
    case 'timestamp': return `CONVERT(varchar(27), ${expr}, 121)`;
    case 'timestamptz': return `CONVERT(varchar(34), ${expr}, 121)`;
    case 'uuid': return `CONVERT(char(36), ${expr})`;
    default: return expr;
  }
}

/**
 * DEFAULT clause value for a column default (a literal in the row-value shape), or null when the
 * column gets no default (no default, NULL default, a bytes column, or a literal that does not parse
 * as the column's type: a default is a convenience for partial rows, never worth failing DDL over).
 */
export function defaultLiteral(col: ColumnDef): string | null {
  try {
    return defaultLiteralOrThrow(col);
  } catch {
    return null;
  }
}

function defaultLiteralOrThrow(col: ColumnDef): string | null {
  const v = col.defaultValue;
  if (v === undefined || v === null) return null;
  const t = col.type;
  switch (t.kind) {
    case 'bool': return v === true || v === 1 || v === 'true' || v === '1' ? '1' : '0';
    case 'int': return normaliseIntLiteral(v);
    case 'float': { const n = Number(v); return Number.isFinite(n) ? String(n) : null; }
    case 'decimal': return normaliseDecimal(typeof v === 'boolean' ? (v ? 1 : 0) : v);
    case 'string': case 'json': case 'duration': return quoteString(String(v));
    case 'bytes': return null;
    case 'date': return `CONVERT(date, ${quoteString(normaliseDate(String(v)))}, 23)`;
    case 'time': return `CONVERT(${columnType(t)}, ${quoteString(normaliseTime(String(v)))}, 121)`;
    case 'timestamp': return `CONVERT(${columnType(t)}, ${quoteString(normaliseTimestamp(String(v)))}, 121)`;
    case 'timestamptz': return `CONVERT(${columnType(t)}, ${quoteString(normaliseTimestampTz(String(v)))}, 127)`;
    case 'uuid': return `CONVERT(uniqueidentifier, ${quoteString(normaliseUuid(String(v)))})`;
  }
}

function normaliseIntLiteral(v: string | number | boolean | bigint): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  const s = String(v).trim();
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`integer default is not an integer: ${s}`);
  return BigInt(s).toString();
}
