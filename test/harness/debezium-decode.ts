/**
 * Reference decoder (tests only): a Debezium MariaDB row struct (JsonConverter `{schema, payload}`,
 * parsed with topic-reader's lossless parseJson) → the canonical row form of source-db.ts. Used to
 * prove that the canonical form is exactly reachable from the events; the engine has its own decoder.
 */
import type { Row, RowValue } from '../../main/engine/schema/table-model.ts';
import { decodeDecimal } from './topic-reader.ts';

export interface FieldSchema {
  field: string;
  type: string;
  optional?: boolean;
  name?: string;
  parameters?: Record<string, string>;
  fields?: FieldSchema[];
}

const pad = (n: number | bigint, w = 2): string => String(n).padStart(w, '0');

function precisionOf(f: FieldSchema, dflt: number): number {
  const l = f.parameters?.['__debezium.source.column.length'];
  return l === undefined ? dflt : Number(l);
}

function fraction(sub: bigint, digits: number, p: number): string {
  if (p === 0) return '';
  return '.' + pad(sub, digits).slice(0, p).padEnd(p, '0');
}

/** Splits an epoch value in `unit`s per second into a UTC wall-clock string. */
function epochToString(v: bigint, unitsPerSecond: bigint, digits: number, p: number): string {
  let secs = v / unitsPerSecond;
  let sub = v % unitsPerSecond;
  if (sub < 0n) { sub += unitsPerSecond; secs -= 1n; }
  const d = new Date(Number(secs) * 1000);
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction(sub, digits, p)}`;
}

export function decodeValue(f: FieldSchema, v: unknown): RowValue {
  if (v === null || v === undefined) return null;
  const big = (x: unknown): bigint => (typeof x === 'bigint' ? x : BigInt(x as number));
  switch (f.name) {
    case 'org.apache.kafka.connect.data.Decimal':
      return decodeDecimal(String(v), Number(f.parameters?.scale ?? 0));
    case 'io.debezium.time.Date':
      return new Date(Number(v) * 86_400_000).toISOString().slice(0, 10);
    case 'io.debezium.time.Timestamp':
      return epochToString(big(v), 1000n, 3, precisionOf(f, 0));
    case 'io.debezium.time.MicroTimestamp':
      return epochToString(big(v), 1_000_000n, 6, precisionOf(f, 6));
    case 'io.debezium.time.MicroTime': {
      const us = big(v);
      const s = us / 1_000_000n;
      return `${pad(s / 3600n)}:${pad((s / 60n) % 60n)}:${pad(s % 60n)}${fraction(us % 1_000_000n, 6, precisionOf(f, 6))}`;
    }
    case 'io.debezium.time.ZonedTimestamp': {
      // e.g. 2010-10-16T15:12:34.3617Z (trailing zeros trimmed) → exactly p digits
      const m = /^(\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(String(v));
      if (!m) return String(v);
      const p = precisionOf(f, 0);
      return `${m[1]}${p ? '.' + (m[2] ?? '').padEnd(p, '0').slice(0, p) : ''}Z`;
    }
    case 'io.debezium.data.Bits': {
      // BIT(n>1): Debezium's bytes are little-endian; the source reads the bit pattern as an unsigned number.
      let n = 0n;
      for (const byte of [...Buffer.from(String(v), 'base64')].reverse()) n = (n << 8n) | BigInt(byte);
      return n;
    }
    default:
      break;
  }
  // BIGINT UNSIGNED in Debezium's default long mode: the bits as a signed long (the propagated type says so).
  if (f.type === 'int64' && /UNSIGNED/i.test(String(f.parameters?.['__debezium.source.column.type'] ?? ''))) {
    const x = big(v);
    return x < 0n ? x + (1n << 64n) : x;
  }
  switch (f.type) {
    case 'int8': case 'int16': case 'int32': case 'double':
      return Number(v);
    case 'float':
      return Math.fround(Number(v));
    case 'int64':
      return big(v);
    case 'boolean':
      return Boolean(v);
    case 'bytes': {
      const b = Buffer.from(String(v), 'base64');
      // BINARY(n): MariaDB pads with 0x00 to n bytes; pad in case the event carries fewer.
      const len = f.parameters?.['__debezium.source.column.length'];
      if (f.parameters?.['__debezium.source.column.type'] === 'BINARY' && len && b.length < Number(len)) {
        return Buffer.concat([b, Buffer.alloc(Number(len) - b.length)]);
      }
      return b;
    }
    default:
      return typeof v === 'string' ? v : String(v);
  }
}

/** Decodes `before`/`after` of an envelope using the envelope's value schema. */
export function decodeRow(envelopeSchema: FieldSchema, which: 'before' | 'after', payload: Record<string, unknown> | null): Row | null {
  if (!payload) return null;
  const struct = envelopeSchema.fields?.find((x) => x.field === which);
  if (!struct?.fields) throw new Error(`no ${which} schema`);
  const row: Row = {};
  for (const f of struct.fields) row[f.field] = decodeValue(f, payload[f.field]);
  return row;
}
