import { fraction, pad, precisionOf, toBigInt } from './types.ts';
import type { LogicalType } from './types.ts';
import { isMysqlFamily } from '../../schema/source-types.ts';

/** Time of day from units past midnight (ms, µs or ns). Hours may exceed 23 (MySQL TIME ranges ±838h). */
export function formatTime(units: bigint, unitDigits: number, precision: number): string {
  const per = 10n ** BigInt(unitDigits);
  const neg = units < 0n;
  const u = neg ? -units : units;
  const secs = u / per;
  const sub = u % per;
  const h = secs / 3600n, m = (secs / 60n) % 60n, s = secs % 60n;
  return `${neg ? '-' : ''}${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${fraction(sub, unitDigits, precision)}`;
}

/**
 * MySQL/MariaDB TIME is a duration (±838:59:59.999999, Debezium sends the signed µs): a `duration`
 * column, which every replica stores exactly (docs/values.md); elsewhere a time of day.
 */
const timeOf = (names: string[], unitDigits: number, dfltPrecision: number): LogicalType => ({
  names,
  columnType: (_f, connector) => (isMysqlFamily(connector)
    ? { kind: 'duration', precision: Math.min(dfltPrecision, 6) }
    : { kind: 'time', precision: dfltPrecision }),
  decode: (v, _f, col) => formatTime(toBigInt(v), unitDigits, precisionOf(col, dfltPrecision)),
});

export const timeMillis = timeOf(['io.debezium.time.Time', 'org.apache.kafka.connect.data.Time'], 3, 3);
export const timeMicros = timeOf(['io.debezium.time.MicroTime'], 6, 6);
export const timeNanos = timeOf(['io.debezium.time.NanoTime'], 9, 7);
