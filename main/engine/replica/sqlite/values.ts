/** Row values <-> SQLite bind / column values, per ColumnType (see dialect.ts for the storage choices). */
import type { ColumnType, RowValue } from '../../schema/table-model.ts';
import { canonicalDecimal, canonicalTimestamptz, padFraction } from '../value-text.ts';
import { canonicalOffsetTimestamp } from '../offset-timestamp.ts';

/** What better-sqlite3 binds. */
export type SqliteBind = number | bigint | string | Buffer | null;
export type Encoder = (v: RowValue) => SqliteBind;
export type Decoder = (v: unknown) => RowValue;

/** Canonical text for text-stored kinds (decimal scale, fractional-second digits, UTC timestamptz, lower-case uuid). */
export function canonicalText(v: string, t: ColumnType): string {
  switch (t.kind) {
    case 'decimal': return canonicalDecimal(v, t.scale);
    case 'time': case 'duration': case 'timestamp': return padFraction(v, t.precision);
    case 'timestamptz': return t.offset ? canonicalOffsetTimestamp(v, t.precision) : canonicalTimestamptz(v, t.precision);
    case 'uuid': return v.toLowerCase();
    default: return v;
  }
}

function plain(v: RowValue): SqliteBind {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v as SqliteBind;
}

/** Encoder for one column, or null when values bind as they are (the common, fast case). */
export function encoderFor(t: ColumnType): Encoder | null {
  switch (t.kind) {
    case 'bool':
      return (v) => (v === null ? null : typeof v === 'string' ? (/^(1|true|t)$/i.test(v) ? 1 : 0) : v ? 1 : 0);
    case 'int':
      return (v) => (typeof v === 'string' ? BigInt(v) : plain(v));
    case 'float':
      return (v) => (typeof v === 'string' ? Number(v) : plain(v));
    case 'string': case 'json': case 'date':
      return null;
    case 'bytes':
      return (v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : plain(v));
    case 'decimal': case 'time': case 'duration': case 'timestamp': case 'timestamptz': case 'uuid':
      return (v) => (v === null ? null : canonicalText(typeof v === 'string' ? v : String(v), t));
  }
}

/** Decoder from a value read with safeIntegers(true) to the row-value shape of the column type. */
export function decoderFor(t: ColumnType): Decoder {
  switch (t.kind) {
    case 'bool': return (v) => (v === null || v === undefined ? null : v !== 0n && v !== 0);
    case 'int':
      if (t.bits === 64) return (v) => (v === null || v === undefined ? null : typeof v === 'bigint' ? v : BigInt(v as number | string));
      return (v) => (v === null || v === undefined ? null : Number(v));
    case 'float': return (v) => (v === null || v === undefined ? null : Number(v));
    case 'bytes': return (v) => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'));
    case 'decimal': case 'time': case 'duration': case 'timestamp': case 'timestamptz': case 'uuid':
      return (v) => (v === null || v === undefined ? null : canonicalText(String(v), t));
    default: return (v) => (v === null || v === undefined ? null : String(v));
  }
}
