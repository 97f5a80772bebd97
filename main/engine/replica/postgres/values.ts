/**
 * Row values -> COPY text format / query parameters, and PostgreSQL text output -> row-value shapes.
 * Every column is read as text (no pg type parser runs), then converted per ColumnType, so int8 never
 * goes through a double, numeric stays exact and timestamps never pass through a JS Date.
 */
import type { ColumnType, RowValue } from '../../schema/table-model.ts';
import { canonicalTimestamptz, padFraction } from '../value-text.ts';
import { gatherer } from '../../schema/row-code.ts';
import { canonicalOffsetTimestamp } from '../offset-timestamp.ts';

const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPES = /[\\\n\r\t]/g;
function escapeChar(c: string): string {
  switch (c) {
    case '\\': return '\\\\';
    case '\n': return '\\n';
    case '\r': return '\\r';
    default: return '\\t';
  }
}

/**
 * One field of COPY … FROM STDIN (text format): NULL is `\N`, the empty string an empty field;
 * backslash, newline, carriage return and tab are backslash-escaped; bytea is `\x<hex>` whose
 * backslash is itself escaped (`\\x…`).
 */
export function copyField(v: RowValue | undefined): string {
  if (v === null || v === undefined) return '\\N';
  switch (typeof v) {
    case 'string': return NEEDS_ESCAPE.test(v) ? v.replace(ESCAPES, escapeChar) : v;
    case 'number': return String(v);
    case 'bigint': return v.toString();
    case 'boolean': return v ? 't' : 'f';
    default: return '\\\\x' + (v as Buffer).toString('hex');
  }
}

/** One row's COPY line without its newline: the fields of `values` (read in column order) tab-separated. */
function copyLine(values: readonly (RowValue | undefined)[], n: number): string {
  let line = copyField(values[0]);
  for (let c = 1; c < n; c++) line += '\t' + copyField(values[c]);
  return line;
}

/** A COPY text-format payload for `rows` restricted to `columns` (one line per row, tab-separated). */
export function copyPayload(rows: readonly Record<string, RowValue>[], columns: readonly string[]): string {
  const lines: string[] = new Array<string>(rows.length);
  const n = columns.length;
  const gather = gatherer(columns);
  const values = new Array<RowValue | undefined>(n);
  for (let r = 0; r < rows.length; r++) {
    gather(rows[r]!, values);
    lines[r] = copyLine(values, n);
  }
  return lines.join('\n') + '\n';
}

/** Bytes of COPY text per piece sent (a line longer than that is a piece of its own). */
export const COPY_CHUNK_BYTES = 256 * 1024;

/**
 * The same payload in pieces of about `chunkBytes`, produced as the COPY stream asks for them: each row's
 * line is encoded straight into the piece's buffer, so a batch never exists as one string, nor its text
 * twice (as a joined string, then as its UTF-8 copy: 2.0 KB of garbage per row of the bench's tables
 * against 1.7 KB now, docs/benchmarks.md, "Allocation"). A piece is a fresh buffer, never reused once handed over.
 */
export function* copyChunks(rows: readonly Record<string, RowValue>[], columns: readonly string[], chunkBytes = COPY_CHUNK_BYTES): Generator<Buffer> {
  const n = columns.length;
  const gather = gatherer(columns);
  const values = new Array<RowValue | undefined>(n);
  let buf = Buffer.allocUnsafe(chunkBytes);
  let at = 0;
  for (let r = 0; r < rows.length; r++) {
    gather(rows[r]!, values);
    const line = copyLine(values, n);
    // A UTF-16 code unit takes at most 3 bytes in UTF-8; the exact length is asked only when that bound does not fit.
    if (at + line.length * 3 + 1 > buf.length) {
      const bytes = Buffer.byteLength(line, 'utf8') + 1;
      if (at + bytes > buf.length) {
        if (at > 0) yield buf.subarray(0, at);
        buf = Buffer.allocUnsafe(Math.max(chunkBytes, bytes));
        at = 0;
      }
    }
    at += buf.write(line, at, 'utf8');
    buf[at++] = 0x0a;
  }
  if (at > 0) yield buf.subarray(0, at);
}

/** A query parameter (pg sends it as text; Buffers as bytea). */
export function paramValue(v: RowValue | undefined): string | Buffer | null {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string': return v;
    case 'boolean': return v ? 't' : 'f';
    case 'number': case 'bigint': return v.toString();
    default: return v as Buffer;
  }
}

/**
 * PostgreSQL has no year 0: the row values' ISO (astronomical) years ≤ 0 ('0000-…' is 1 BC, '-0001-…' 2 BC),
 * e.g. a DATETIMEOFFSET of 0001-01-01 00:00 +14:00 in UTC, are written to its date/time columns with BC,
 * and read back from them the same way.
 */
const ISO_YEAR = /^(-?\d{4,})(-\d{2}-\d{2}.*)$/;

export function toPgYear(v: string): string {
  if (v.charCodeAt(0) !== 45 && !v.startsWith('0000')) return v; // fast path: a year ≥ 1
  const m = ISO_YEAR.exec(v);
  if (!m || Number(m[1]) > 0) return v;
  return `${String(1 - Number(m[1])).padStart(4, '0')}${m[2]} BC`;
}

function fromPgYear(v: string): string {
  if (!v.endsWith(' BC')) return v;
  const m = ISO_YEAR.exec(v.slice(0, -3));
  if (!m) return v;
  const y = 1 - Number(m[1]);
  return `${y < 0 ? '-' : ''}${String(Math.abs(y)).padStart(4, '0')}${m[2]}`;
}

/** `rows` with the values of `columns` (PostgreSQL date/time columns) passed through toPgYear; untouched rows are kept as they are. */
export function withPgYears(rows: Record<string, RowValue>[], columns: readonly string[]): Record<string, RowValue>[] {
  return rows.map((r) => {
    let out = r;
    for (const c of columns) {
      const v = r[c];
      if (typeof v !== 'string') continue;
      const w = toPgYear(v);
      if (w !== v) { if (out === r) out = { ...r }; out[c] = w; }
    }
    return out;
  });
}

/** PostgreSQL text output of a column -> the row-value shape of its ColumnType. */
export function decodePgText(v: string | null, t: ColumnType): RowValue {
  if (v === null) return null;
  if (t.kind === 'date' || t.kind === 'timestamp' || t.kind === 'timestamptz') v = fromPgYear(v);
  switch (t.kind) {
    case 'bool': return v === 't' || v === 'true';
    case 'int': return t.bits === 64 ? BigInt(v) : Number(v);
    case 'float': return Number(v);
    case 'bytes': return v.startsWith('\\x') ? Buffer.from(v.slice(2), 'hex') : Buffer.from(v, 'binary');
    case 'time': case 'duration': case 'timestamp': return padFraction(v, Math.min(6, t.precision));
    case 'timestamptz': return t.offset ? canonicalOffsetTimestamp(v, t.precision) : canonicalTimestamptz(v, Math.min(6, t.precision));
    default: return v; // decimal (exact, scale digits), string, date (ISO), uuid, json
  }
}

/** pg per-query type parser returning every column as its text form. */
export const textTypes = { getTypeParser: () => (value: string) => value };
