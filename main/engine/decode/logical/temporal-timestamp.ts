import { civilDate, FIRST_CIVIL_DAY, LAST_CIVIL_DAY, two } from './civil-date.ts';
import { fraction, precisionOf, toBigInt } from './types.ts';
import type { LogicalType } from './types.ts';

/**
 * Zone-less timestamps: Debezium encodes the wall-clock value as if it were UTC, in ms / µs / ns since
 * the epoch. Rendered back as 'YYYY-MM-DD HH:MM:SS[.f…]' with the column's precision.
 */
export function formatTimestamp(units: bigint | number, unitDigits: number, precision: number): string {
  let secs: number;
  let sub: bigint | number;
  if (typeof units === 'number' && Number.isSafeInteger(units)) {
    // The common case without BigInt arithmetic: `%` and the division of an exact multiple are exact.
    const per = 10 ** unitDigits;
    sub = units % per;
    if (sub < 0) sub += per;
    secs = (units - sub) / per;
  } else {
    const per = 10n ** BigInt(unitDigits);
    const u = typeof units === 'bigint' ? units : toBigInt(units);
    let s = u / per;
    sub = u % per;
    if (sub < 0n) { sub += per; s -= 1n; }
    secs = Number(s);
  }
  const days = Math.floor(secs / 86_400);
  if (days >= FIRST_CIVIL_DAY && days <= LAST_CIVIL_DAY) {
    const sod = secs - days * 86_400;
    const min = Math.floor(sod / 60);
    return `${civilDate(days)} ${two(Math.floor(min / 60))}:${two(min % 60)}:${two(sod % 60)}${fraction(sub, unitDigits, precision)}`;
  }
  const iso = new Date(secs * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction(sub, unitDigits, precision)}`;
}

const tsOf = (names: string[], unitDigits: number, dfltPrecision: number): LogicalType => ({
  names,
  columnType: () => ({ kind: 'timestamp', precision: dfltPrecision }),
  decode: (v, _f, col) => formatTimestamp(typeof v === 'number' && Number.isSafeInteger(v) ? v : toBigInt(v), unitDigits, precisionOf(col, dfltPrecision)),
});

export const timestampMillis = tsOf(['io.debezium.time.Timestamp', 'org.apache.kafka.connect.data.Timestamp'], 3, 3);
export const timestampMicros = tsOf(['io.debezium.time.MicroTimestamp'], 6, 6);
export const timestampNanos = tsOf(['io.debezium.time.NanoTimestamp'], 9, 7);
