import type { ConnectField } from '../connect-schema.ts';
import type { ColumnType, RowValue } from '../../schema/table-model.ts';

/** One Debezium / Connect logical type: how its payload decodes and what column it implies. */
export interface LogicalType {
  names: readonly string[];
  /** Column type when the source type was not propagated (`connector`: the event's `source.connector`). */
  columnType(field: ConnectField, connector?: string): ColumnType;
  /** Payload value (already JSON-parsed, int64 possibly bigint) → canonical row value for `col`. */
  decode(value: unknown, field: ConnectField, col: ColumnType): RowValue;
}

export const pad = (n: number | bigint, width: number): string => String(n).padStart(width, '0');

/** Fraction digits of a (seconds, sub-second units) pair at `precision` digits; unitDigits = 3 | 6 | 9. */
export function fraction(sub: bigint | number, unitDigits: number, precision: number): string {
  if (precision <= 0) return '';
  let s = pad(sub, unitDigits);
  s = precision <= unitDigits ? s.slice(0, precision) : s + '0'.repeat(precision - unitDigits);
  return '.' + s;
}

export function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new TypeError(`expected an integer, got ${typeof v} ${String(v).slice(0, 40)}`);
}

export function precisionOf(col: ColumnType, dflt: number): number {
  return col.kind === 'time' || col.kind === 'duration' || col.kind === 'timestamp' || col.kind === 'timestamptz' ? col.precision : dflt;
}
