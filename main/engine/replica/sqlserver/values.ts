/**
 * Row values (table-model shapes) -> values bulk-loaded into the `#temp` staging table, and values read
 * back from SQL Server -> row shapes.
 *
 * Everything that a JS number or a JS Date would damage is staged as text and converted server-side
 * (see types.ts `fromStage`): int64 (beyond 2^53), decimal (exact), date/time/timestamp/
 * timestamptz (mssql's bulk path turns date types into JS Dates, truncating to milliseconds, node-mssql
 * #1644; datetime2(7) keeps 100 ns here) and uuid. A value that cannot be staged throws a
 * `StageValueError`; the replica adds the table and column and halts only that table.
 */
import type { ColumnType, RowValue } from '../../schema/table-model.ts';
import { canonicalDecimal, canonicalTimestamptz, padFraction } from '../value-text.ts';
import { canonicalOffsetTimestamp } from '../offset-timestamp.ts';

export class StageValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageValueError';
  }
}

export type StagedValue = string | number | boolean | Buffer | null;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const TIMESTAMP_RE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$/;
const TIMESTAMPTZ_RE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))? ?(Z|[+-]\d{2}(?::?\d{2})?)$/i;
const UUID_RE = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;
const INT_RE = /^[+-]?\d+$/;
const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/** SQL Server keeps at most 7 fractional digits (100 ns). Extra digits (nanoseconds) are truncated. */
function fraction7(f: string | undefined): string {
  return f ? `.${f.slice(0, 7)}` : '';
}

export function normaliseDate(v: string): string {
  if (!DATE_RE.test(v)) throw new StageValueError(`not a date 'YYYY-MM-DD': ${JSON.stringify(v)}`);
  return v;
}

export function normaliseTime(v: string): string {
  const m = TIME_RE.exec(v);
  if (!m) throw new StageValueError(`not a time 'HH:MM:SS[.f]': ${JSON.stringify(v)}`);
  return `${m[1]}:${m[2]}:${m[3]}${fraction7(m[4])}`;
}

/** 'YYYY-MM-DD HH:MM:SS[.fffffff]' (style 121). */
export function normaliseTimestamp(v: string): string {
  const m = TIMESTAMP_RE.exec(v);
  if (!m) throw new StageValueError(`not a timestamp 'YYYY-MM-DD HH:MM:SS[.f]': ${JSON.stringify(v)}`);
  return `${m[1]} ${m[2]}${fraction7(m[3])}`;
}

/** ISO 8601 with a numeric offset, 'YYYY-MM-DDTHH:MM:SS[.fffffff]+hh:mm' (style 127). */
export function normaliseTimestampTz(v: string): string {
  const m = TIMESTAMPTZ_RE.exec(v.trim());
  if (!m) throw new StageValueError(`not a timestamp with offset (ISO 8601): ${JSON.stringify(v)}`);
  const time = m[2]!.length === 5 ? `${m[2]}:00` : m[2]!;
  const zone = m[4]!.toUpperCase();
  let offset = '+00:00';
  if (zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offset = `${zone[0]}${digits.slice(0, 2)}:${digits.slice(2, 4) || '00'}`;
  }
  return `${m[1]}T${time}${fraction7(m[3])}${offset}`;
}

/** Plain decimal notation ('-123.45'), exponent forms expanded, no precision lost. */
export function normaliseDecimal(v: string | number | bigint): string {
  const text = typeof v === 'string' ? v.trim() : String(v);
  const m = DECIMAL_RE.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new StageValueError(`not a decimal number: ${JSON.stringify(text)}`);
  const sign = m[1] === '-' ? '-' : '';
  let digits = (m[2] ?? '') + (m[3] ?? '');
  let point = (m[2] ?? '').length + Number(m[4] ?? 0);
  if (point < 0) { digits = '0'.repeat(-point) + digits; point = 0; }
  if (point > digits.length) digits = digits + '0'.repeat(point - digits.length);
  const intPart = digits.slice(0, point).replace(/^0+(?=\d)/, '') || '0';
  const fracPart = digits.slice(point).replace(/0+$/, '');
  const out = fracPart ? `${intPart}.${fracPart}` : intPart;
  if (out.length > 100) throw new StageValueError(`decimal has more than 100 digits: ${text.slice(0, 40)}…`);
  return /^0(\.0*)?$/.test(out) ? out : sign + out;
}

export function normaliseInt64(v: RowValue): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'string' && INT_RE.test(v.trim())) return BigInt(v.trim()).toString();
  throw new StageValueError(`not a 64-bit integer: ${String(v)}`);
}

export function normaliseUuid(v: string): string {
  const m = UUID_RE.exec(v.trim());
  if (!m) throw new StageValueError(`not a uuid: ${JSON.stringify(v)}`);
  return m[1]!.toLowerCase();
}

function asString(v: RowValue, what: string): string {
  if (typeof v === 'string') return v;
  throw new StageValueError(`expected a string for ${what}, got ${typeof v}`);
}

function asSmallNumber(v: RowValue, bits: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && INT_RE.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw new StageValueError(`not an integer: ${String(v)}`);
  const limit = 2 ** (bits - 1);
  if (n < -limit || n >= limit) throw new StageValueError(`${n} is out of range for a ${bits}-bit integer`);
  return n;
}

/** The value to put in the staging column of a column of `type`. */
export function stageValue(type: ColumnType, v: RowValue): StagedValue {
  if (v === null || v === undefined) return null;
  switch (type.kind) {
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 0 || v === 1) return v === 1;
      if (v === 'true' || v === 'false') return v === 'true';
      throw new StageValueError(`not a boolean: ${String(v)}`);
    case 'int':
      return type.bits === 64 ? normaliseInt64(v) : asSmallNumber(v, type.bits);
    case 'float': {
      const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
      if (!Number.isFinite(n)) throw new StageValueError(`SQL Server float/real cannot hold ${String(v)} (NaN and infinities are not storable)`);
      return n;
    }
    case 'decimal':
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return normaliseDecimal(v);
      throw new StageValueError(`not a decimal: ${typeof v}`);
    case 'string': case 'json':
      if (typeof v === 'string') return v;
      if (Buffer.isBuffer(v)) throw new StageValueError('expected a string, got bytes');
      return String(v);
    case 'bytes':
      if (Buffer.isBuffer(v)) return v;
      if ((v as unknown) instanceof Uint8Array) return Buffer.from(v as unknown as Uint8Array);
      throw new StageValueError(`expected bytes (Buffer), got ${typeof v}`);
    case 'date': return normaliseDate(asString(v, 'a date'));
    case 'time': return normaliseTime(asString(v, 'a time'));
    case 'duration': return asString(v, 'a duration');
    case 'timestamp': return normaliseTimestamp(asString(v, 'a timestamp'));
    case 'timestamptz': return normaliseTimestampTz(asString(v, 'a timestamp with offset'));
    case 'uuid': return normaliseUuid(asString(v, 'a uuid'));
  }
}

/**
 * A value read with the expressions of `readExpression` (types.ts) -> row shape, in the
 * canonical text every dialect returns (../value-text.ts): int64 -> bigint, decimal -> exact string with
 * `scale` fraction digits ('1.50' for decimal(5,2)), time/timestamp -> fraction padded to the column
 * precision (SQL Server keeps 7 digits at most, so digits 8-9 of a timestamp(9) read back as 0),
 * timestamptz -> UTC ISO 8601 with 'Z', uuid -> lower case.
 */
export function readValue(type: ColumnType, v: unknown): RowValue {
  if (v === null || v === undefined) return null;
  switch (type.kind) {
    case 'int': return type.bits === 64 ? BigInt(String(v)) : Number(v);
    case 'bool': return Boolean(v);
    case 'float': return Number(v);
    case 'bytes': return Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array);
    case 'uuid': return String(v).toLowerCase();
    case 'decimal': return canonicalDecimal(String(v), type.scale);
    case 'time': case 'duration': case 'timestamp': return padFraction(String(v), type.precision);
    case 'timestamptz': return type.offset ? canonicalOffsetTimestamp(String(v), type.precision) : canonicalTimestamptz(String(v), type.precision);
    default: return String(v);
  }
}
