/**
 * Source column type (as SQL Server, MariaDB/MySQL or PostgreSQL spell it, e.g. `DATETIME2`, `VARCHAR`,
 * `INT UNSIGNED`, `numeric`) + length + scale → neutral ColumnType. Used for both schema-change events
 * and propagated field parameters so both paths yield the same definition.
 */
import type { ColumnType } from './table-model.ts';
import { sqlServerSourceType } from './source-types-sqlserver.ts';

type Mapper = (len: number | null, scale: number | null, unsigned: boolean) => ColumnType;

const prec = (len: number | null, dflt: number, max = 9): number =>
  len === null || Number.isNaN(len) || len < 0 ? dflt : Math.min(len, max);
const strLen = (len: number | null): number | null => (len === null || len <= 0 || len >= 2 ** 30 ? null : len);

const str = (fixed: boolean): Mapper => (len) => ({ kind: 'string', length: strLen(len), fixed });
const text: Mapper = () => ({ kind: 'string', length: null, fixed: false });
const bin = (fixed: boolean): Mapper => (len) => ({ kind: 'bytes', length: strLen(len), fixed });
const blob: Mapper = () => ({ kind: 'bytes', length: null, fixed: false });
const int = (bits: 8 | 16 | 32 | 64, wider: ColumnType): Mapper => (_l, _s, unsigned) => (unsigned ? wider : { kind: 'int', bits });
const dec: Mapper = (len, scale) => ({ kind: 'decimal', precision: len && len > 0 ? Math.min(len, 38) : 38, scale: scale ?? 0 });

const TYPES: Record<string, Mapper> = {
  // integers
  bit: (len) => (len === null || len <= 1 ? { kind: 'bool' } : { kind: 'bytes', length: Math.ceil(len / 8), fixed: true }),
  bool: () => ({ kind: 'bool' }), boolean: () => ({ kind: 'bool' }),
  tinyint: int(8, { kind: 'int', bits: 16 }),
  smallint: int(16, { kind: 'int', bits: 32 }), int2: int(16, { kind: 'int', bits: 32 }), smallserial: int(16, { kind: 'int', bits: 32 }),
  mediumint: int(32, { kind: 'int', bits: 32 }),
  int: int(32, { kind: 'int', bits: 64 }), integer: int(32, { kind: 'int', bits: 64 }), int4: int(32, { kind: 'int', bits: 64 }), serial: int(32, { kind: 'int', bits: 64 }),
  bigint: int(64, { kind: 'decimal', precision: 20, scale: 0 }), int8: int(64, { kind: 'decimal', precision: 20, scale: 0 }), bigserial: int(64, { kind: 'decimal', precision: 20, scale: 0 }),
  year: () => ({ kind: 'int', bits: 32 }),
  // exact and approximate numbers
  decimal: dec, numeric: dec, dec: dec, fixed: dec,
  money: () => ({ kind: 'decimal', precision: 19, scale: 4 }), smallmoney: () => ({ kind: 'decimal', precision: 10, scale: 4 }),
  float: (len) => (len !== null && len > 0 && len <= 24 ? { kind: 'float', bits: 32 } : { kind: 'float', bits: 64 }),
  real: () => ({ kind: 'float', bits: 32 }), float4: () => ({ kind: 'float', bits: 32 }),
  double: () => ({ kind: 'float', bits: 64 }), 'double precision': () => ({ kind: 'float', bits: 64 }), float8: () => ({ kind: 'float', bits: 64 }),
  // strings
  char: str(true), nchar: str(true), character: str(true), bpchar: str(true),
  varchar: str(false), nvarchar: str(false), 'character varying': str(false), varchar2: str(false),
  tinytext: text, text: text, mediumtext: text, longtext: text, ntext: text, clob: text, citext: text,
  enum: text, set: text, xml: text, sysname: () => ({ kind: 'string', length: 128, fixed: false }),
  // binary
  binary: bin(true), varbinary: bin(false), bytea: blob, image: blob,
  tinyblob: blob, blob: blob, mediumblob: blob, longblob: blob,
  rowversion: () => ({ kind: 'bytes', length: 8, fixed: true }), timestamp_sqlserver: () => ({ kind: 'bytes', length: 8, fixed: true }),
  // temporal
  date: () => ({ kind: 'date' }),
  time: (len) => ({ kind: 'time', precision: prec(len, 0) }),
  datetime: (len) => ({ kind: 'timestamp', precision: prec(len, 0) }),
  datetime2: (len) => ({ kind: 'timestamp', precision: prec(len, 7) }),
  smalldatetime: () => ({ kind: 'timestamp', precision: 0 }),
  'timestamp without time zone': (len) => ({ kind: 'timestamp', precision: prec(len, 6) }),
  datetimeoffset: (len) => ({ kind: 'timestamptz', precision: prec(len, 7) }),
  timestamptz: (len) => ({ kind: 'timestamptz', precision: prec(len, 6) }),
  'timestamp with time zone': (len) => ({ kind: 'timestamptz', precision: prec(len, 6) }),
  // MySQL/MariaDB TIMESTAMP is zoned (stored UTC); PostgreSQL `timestamp` is not — see mapSourceType.
  timestamp: (len) => ({ kind: 'timestamptz', precision: prec(len, 0) }),
  // other
  uniqueidentifier: () => ({ kind: 'uuid' }), uuid: () => ({ kind: 'uuid' }),
  json: () => ({ kind: 'json' }), jsonb: () => ({ kind: 'json' }),
};

export interface SourceTypeInput {
  typeName: string;
  length: number | null;
  scale: number | null;
  /** `postgresql` makes plain `timestamp` zone-less; SQL Server `timestamp` is rowversion. */
  connector?: string;
}

/** Debezium's MySQL and MariaDB connectors (`source.connector`). */
export const isMysqlFamily = (connector: string | undefined): boolean => connector === 'mysql' || connector === 'mariadb';

/** Returns null for a type this table does not know; the caller decides (Connect fallback or UNKNOWN_TYPE). */
export function mapSourceType(input: SourceTypeInput): ColumnType | null {
  let name = input.typeName.trim().toLowerCase().replace(/\s*\(.*\)\s*/, ' ').replace(/\s+/g, ' ').trim();
  const unsigned = /\bunsigned\b/.test(name);
  name = name.replace(/\b(unsigned|zerofill|identity|signed)\b/g, '').replace(/\s+/g, ' ').trim();
  if (name === 'timestamp' && input.connector === 'postgresql') name = 'timestamp without time zone';
  if (name === 'timestamp' && input.connector === 'sqlserver') name = 'timestamp_sqlserver';
  // MySQL/MariaDB TIME is a duration (-838:59:59 … 838:59:59), not a time of day.
  if (name === 'time' && isMysqlFamily(input.connector)) return { kind: 'duration', precision: prec(input.length, 0, 6) };
  const ss = input.connector === 'sqlserver' ? sqlServerSourceType(name, input.length, input.scale) : null;
  if (ss) return ss;
  const m = TYPES[name];
  return m ? m(input.length, input.scale, unsigned) : null;
}
