import { fraction, pad, precisionOf } from './types.ts';
import type { LogicalType } from './types.ts';
import { zonedKeepingOffset } from './temporal-zoned-offset.ts';

const ZONED = /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * io.debezium.time.ZonedTimestamp (ISO-8601 with offset) → canonical UTC form
 * 'YYYY-MM-DDTHH:MM:SS[.f…]Z' at the column's precision (sub-second digits are kept exactly).
 */
export function normaliseZoned(text: string, precision: number): string {
  const m = ZONED.exec(text);
  if (!m) throw new TypeError(`not an ISO-8601 zoned timestamp: ${text.slice(0, 40)}`);
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  let offsetMin = 0;
  if (zone !== 'Z') {
    const z = zone.replace(':', '');
    offsetMin = (z.startsWith('-') ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)));
  }
  // setUTCFullYear, not Date.UTC (which reads years 0–99 as 1900–1999); the text is built from the parts,
  // not toISOString (whose years outside 0–9999 are '+010000' / '-000001').
  const t = new Date(0);
  t.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  t.setUTCHours(Number(h), Number(mi) - offsetMin, Number(s), 0);
  const year = t.getUTCFullYear();
  const sub = BigInt((frac + '000000000').slice(0, 9));
  const date = `${year < 0 ? '-' : ''}${pad(Math.abs(year), 4)}-${pad(t.getUTCMonth() + 1, 2)}-${pad(t.getUTCDate(), 2)}`;
  return `${date}T${pad(t.getUTCHours(), 2)}:${pad(t.getUTCMinutes(), 2)}:${pad(t.getUTCSeconds(), 2)}${fraction(sub, 9, precision)}Z`;
}

export const zonedTimestamp: LogicalType = {
  names: ['io.debezium.time.ZonedTimestamp', 'io.debezium.time.IsoTimestamp'],
  columnType: () => ({ kind: 'timestamptz', precision: 6 }),
  decode: (v, _f, col) => {
    if (typeof v !== 'string') throw new TypeError(`ZonedTimestamp expects a string, got ${typeof v}`);
    if (col.kind === 'timestamptz' && col.offset) return zonedKeepingOffset(v, col.precision);
    return normaliseZoned(v, precisionOf(col, 6));
  },
};

/** io.debezium.time.ZonedTime: kept as given ('HH:MM:SS[.f]Z'). */
export const zonedTime: LogicalType = {
  names: ['io.debezium.time.ZonedTime', 'io.debezium.time.IsoTime'],
  columnType: () => ({ kind: 'string', length: null, fixed: false }),
  decode: (v) => String(v),
};

export { pad };
