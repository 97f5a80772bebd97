/**
 * Canonical text of a timestamp that keeps its own UTC offset (SQL Server DATETIMEOFFSET, a
 * `timestamptz` column with `offset: true`): 'YYYY-MM-DDTHH:MM:SS[.f…]±hh:mm', the fraction padded (never
 * cut) to `precision` digits, a zero offset written '+00:00'. Accepts a space before the offset and
 * instead of 'T' (SQL Server's CONVERT style 121). Unparseable text is returned unchanged.
 */
const OFFSET_TS = /^(\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)$/;

export function canonicalOffsetTimestamp(s: string, precision: number): string {
  const m = OFFSET_TS.exec(s.trim());
  if (!m) return s;
  const [, y, mo, d, h, mi, se, frac = '', zone = 'Z'] = m;
  let offset = '+00:00';
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    offset = `${zone[0]}${digits.slice(0, 2)}:${digits.slice(2, 4) || '00'}`;
  }
  const f = frac.length < precision ? frac + '0'.repeat(precision - frac.length) : frac;
  return `${y}-${mo}-${d}T${h}:${mi}:${se}${f ? '.' + f : ''}${offset}`;
}
