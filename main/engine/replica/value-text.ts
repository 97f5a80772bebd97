/**
 * Canonical value text every dialect writes and reads back: decimal scale, fractional seconds, UTC
 * timestamptz.
 */

/**
 * Canonical decimal text: at least `scale` fractional digits (pads with zeros, never rounds), so
 * '1.5' in a decimal(9,2) reads back as '1.50' from every dialect. Non-numeric text is returned as is.
 */
export function canonicalDecimal(s: string, scale: number): string {
  if (scale <= 0) return s;
  const dot = s.indexOf('.');
  if (dot < 0) {
    if (!/^[+-]?\d+$/.test(s)) return s;
    return s + '.' + '0'.repeat(scale);
  }
  const have = s.length - dot - 1;
  return have >= scale ? s : s + '0'.repeat(scale - have);
}

/**
 * Pads the fractional seconds at the end of a time / timestamp text to `precision` digits
 * ('12:00:00' with precision 3 -> '12:00:00.000'). Never truncates.
 */
export function padFraction(s: string, precision: number): string {
  if (precision <= 0) return s;
  if (hasFraction(s, precision)) return s; // already `…hh:mm:ss.` and `precision` digits: the common case, without a RegExp
  const m = /(\d{2}:\d{2}:\d{2})(?:\.(\d*))?$/.exec(s);
  if (!m) return s;
  const frac = m[2] ?? '';
  if (frac.length >= precision) return s;
  const head = s.slice(0, m.index) + m[1];
  return head + '.' + frac + '0'.repeat(precision - frac.length);
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Whether `s` ends in `dd:dd:dd.` and exactly `precision` digits (then padFraction has nothing to do). */
function hasFraction(s: string, precision: number): boolean {
  const dot = s.length - precision - 1;
  if (dot < 8 || s.charCodeAt(dot) !== 46 || s.charCodeAt(dot - 3) !== 58 || s.charCodeAt(dot - 6) !== 58) return false;
  for (let i = dot - 8; i < s.length; i++) if (i !== dot && i !== dot - 3 && i !== dot - 6 && !isDigit(s.charCodeAt(i))) return false;
  return true;
}

const TSTZ = /^(-?\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/;

function pad(n: number, w: number): string {
  const s = String(Math.abs(n)).padStart(w, '0');
  return n < 0 ? '-' + s : s;
}

/**
 * Canonical timestamptz text: UTC, ISO-8601 with 'T' and 'Z', fractional seconds padded to
 * `precision` digits: '2024-02-29T12:34:56.123456Z'. Accepts an offset (+02:00, +0200, +02) or a
 * space instead of 'T' (PostgreSQL's output). Unparseable text is returned unchanged.
 */
export function canonicalTimestamptz(s: string, precision: number): string {
  const m = TSTZ.exec(s);
  if (!m) return s;
  const [, y, mo, d, h, mi, se, frac = '', off = 'Z'] = m;
  let offsetSec = 0;
  if (off !== 'Z' && off !== 'z') {
    const sign = off[0] === '-' ? -1 : 1;
    const digits = off.slice(1).replace(/:/g, '');
    offsetSec = sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || '0') * 60 + Number(digits.slice(4, 6) || '0'));
  }
  let out: string;
  if (offsetSec === 0) {
    out = `${y}-${mo}-${d}T${h}:${mi}:${se}`;
  } else {
    const t = new Date(0);
    t.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
    t.setUTCHours(Number(h), Number(mi), Number(se) - offsetSec, 0);
    out = `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1, 2)}-${pad(t.getUTCDate(), 2)}T${pad(t.getUTCHours(), 2)}:${pad(t.getUTCMinutes(), 2)}:${pad(t.getUTCSeconds(), 2)}`;
  }
  let f = frac;
  if (f.length < precision) f += '0'.repeat(precision - f.length);
  return out + (f ? '.' + f : '') + 'Z';
}
