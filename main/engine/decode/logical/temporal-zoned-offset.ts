import { fraction } from './types.ts';

const ZONED = /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * io.debezium.time.ZonedTimestamp of a column that keeps each value's own offset (SQL Server
 * DATETIMEOFFSET, `timestamptz` with `offset: true`; the SQL Server connector sends the local time and
 * its offset): kept as the source holds it, 'YYYY-MM-DDTHH:MM:SS[.f…]±hh:mm' at the column's precision
 * (Debezium pads to the column's digits, so nothing is cut), a zero offset written '+00:00'.
 */
export function zonedKeepingOffset(text: string, precision: number): string {
  const m = ZONED.exec(text);
  if (!m) throw new TypeError(`not an ISO-8601 zoned timestamp: ${text.slice(0, 40)}`);
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  if (frac.length > precision && /[^0]/.test(frac.slice(precision))) throw new RangeError(`${text} has more than ${precision} fractional digits`);
  const z = zone === 'Z' ? '+0000' : zone.replace(':', '');
  const sub = BigInt((frac + '000000000').slice(0, 9));
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction(sub, 9, precision)}${z.slice(0, 3)}:${z.slice(3, 5)}`;
}
