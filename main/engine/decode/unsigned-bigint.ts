/**
 * MySQL/MariaDB BIGINT UNSIGNED (0 … 2^64 − 1). Under Debezium's default
 * `bigint.unsigned.handling.mode=long` the connector sends the column's 64 bits as a signed int64, so
 * 2^64 − 1 arrives as −1 and 2^63 as −2^63. A column known to be unsigned (its propagated source type, or
 * the schema history's `BIGINT UNSIGNED` when the type is not propagated) is read back exactly: an unsigned
 * column holds no negative value, so a negative int64 there is always a wrapped one. `precise` mode
 * (a Connect Decimal) and `string` mode need no recovery.
 */
import type { ColumnType } from '../schema/table-model.ts';

const TWO_64 = 1n << 64n;

/** The replica column of a BIGINT UNSIGNED: decimal(20,0) holds 0 … 18446744073709551615. */
export const UNSIGNED_BIGINT: ColumnType = { kind: 'decimal', precision: 20, scale: 0 };
export const UNSIGNED_BIGINT_SOURCE = 'BIGINT UNSIGNED';

/** `BIGINT UNSIGNED`, `bigint(20) unsigned zerofill`, `SERIAL` (an alias of BIGINT UNSIGNED NOT NULL AUTO_INCREMENT). */
export function isUnsignedBigint(typeName: string): boolean {
  const t = typeName.trim().toLowerCase();
  return t === 'serial' || (/^bigint\b/.test(t) && /\bunsigned\b/.test(t));
}

/** The signed int64 Debezium sent for a BIGINT UNSIGNED → the unsigned value. */
export function unsignedFromSigned64(v: bigint): bigint {
  if (v < -(1n << 63n) || v >= TWO_64) throw new RangeError(`${v} is not a 64-bit value`);
  return v < 0n ? v + TWO_64 : v;
}
