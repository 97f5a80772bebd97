/**
 * A Connect struct schema (a table's Value or Key) → column definitions and a row decoder that turns
 * payload objects into canonical rows. Built once per distinct schema and cached by the caller.
 */
import { MirrorError } from '../errors.ts';
import { mapSourceType } from '../schema/source-types.ts';
import type { ColumnDef, ColumnType, Row, RowValue } from '../schema/table-model.ts';
import { sourceTypeOf } from './connect-schema.ts';
import type { ConnectField } from './connect-schema.ts';
import { logicalType } from './logical/index.ts';
import { formatDecimal, rescale } from './logical/decimal.ts';
import { toBigInt } from './logical/types.ts';
import { followWireType } from './wire-type.ts';
import { builder, codeable, gatherer } from '../schema/row-code.ts';
import { isUnsignedBigint, unsignedFromSigned64, UNSIGNED_BIGINT, UNSIGNED_BIGINT_SOURCE } from './unsigned-bigint.ts';

export const UNAVAILABLE = '__debezium_unavailable_value';
const UNAVAILABLE_B64 = Buffer.from(UNAVAILABLE).toString('base64');

/** Semantic names whose payload is the plain literal value. */
const PLAIN_NAMES = new Set(['io.debezium.time.Year', 'io.debezium.data.Enum']);

function primitiveColumnType(f: ConnectField): ColumnType | null {
  switch (f.type) {
    case 'boolean': return { kind: 'bool' };
    case 'int8': return { kind: 'int', bits: 8 };
    case 'int16': return { kind: 'int', bits: 16 };
    case 'int32': return { kind: 'int', bits: 32 };
    case 'int64': return { kind: 'int', bits: 64 };
    case 'float': case 'float32': return { kind: 'float', bits: 32 };
    case 'double': case 'float64': return { kind: 'float', bits: 64 };
    case 'string': return { kind: 'string', length: null, fixed: false };
    case 'bytes': return { kind: 'bytes', length: null, fixed: false };
    default: return null;
  }
}

export function fieldColumnType(f: ConnectField, connector?: string): ColumnType {
  const src = sourceTypeOf(f);
  const lt = logicalType(f.name);
  if (src) {
    const t = mapSourceType({ ...src, ...(connector === undefined ? {} : { connector }) });
    if (t) return followWireType(t, f);
  }
  if (lt) return lt.columnType(f, connector);
  if (f.name && !PLAIN_NAMES.has(f.name)) {
    throw new MirrorError('UNKNOWN_TYPE', `unknown logical type ${f.name} (${f.type}) on column ${f.field}`, { detail: { column: f.field ?? null, type: f.name } });
  }
  const p = primitiveColumnType(f);
  if (!p) throw new MirrorError('UNKNOWN_TYPE', `unsupported Connect type ${f.type} on column ${f.field}`, { detail: { column: f.field ?? null, type: f.type } });
  return p;
}

/** Plain payload value → canonical value for the target column type. */
export function coerce(v: unknown, col: ColumnType): RowValue {
  switch (col.kind) {
    case 'bool': return typeof v === 'boolean' ? v : Number(v) !== 0;
    case 'int':
      if (col.bits === 64) return toBigInt(v);
      if (typeof v === 'number') return v;
      return Number(toBigInt(v));
    case 'float': return typeof v === 'number' ? v : Number(v);
    case 'decimal':
      if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return formatDecimal(BigInt(v), 0) + (col.scale > 0 ? '.' + '0'.repeat(col.scale) : '');
      return rescale(String(v), col.scale);
    case 'bytes': return typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.from(v as Uint8Array);
    default:
      if (typeof v === 'string') return v;
      if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
      return JSON.stringify(v);
  }
}

type FieldDecoder = (v: unknown) => RowValue;

function fieldDecoder(f: ConnectField, col: ColumnType): FieldDecoder {
  const lt = logicalType(f.name);
  if (lt) return (v) => lt.decode(v, f, col);
  return (v) => coerce(v, col);
}

/** The default a Connect schema carries, decoded like a value (undefined when absent). */
function decodeDefault(f: ConnectField, dec: FieldDecoder): RowValue | undefined {
  if (f.default === undefined) return undefined;
  if (f.default === null) return null;
  try { return dec(f.default); } catch { return undefined; }
}

export interface StructDecoder {
  columns: ColumnDef[];
  /** Decodes a payload struct; columns whose value is unavailable (placeholder) are left out. */
  decode(payload: Record<string, unknown>): Row;
}

/**
 * `unsignedBigints`: columns the schema history says are BIGINT UNSIGNED, for connectors that do not
 * propagate source types (a propagated type always wins). Their int64 values are read back unsigned.
 */
export function buildStructDecoder(schema: ConnectField, connector?: string, unsignedBigints?: ReadonlySet<string>): StructDecoder {
  const fields = schema.fields ?? [];
  const columns: ColumnDef[] = [];
  const names: string[] = [];
  const decs: FieldDecoder[] = [];
  for (const f of fields) {
    const name = f.field!;
    const src = sourceTypeOf(f);
    const unsigned64 = f.type === 'int64' && !f.name && (src ? isUnsignedBigint(src.typeName) : unsignedBigints?.has(name) === true);
    const type = unsigned64 && !src ? UNSIGNED_BIGINT : fieldColumnType(f, connector);
    const dec: FieldDecoder = unsigned64 ? (v) => coerce(unsignedFromSigned64(toBigInt(v)), type) : fieldDecoder(f, type);
    const col: ColumnDef = { name, type, nullable: f.optional === true };
    const d = decodeDefault(f, dec);
    if (d !== undefined) col.defaultValue = d as ColumnDef['defaultValue'];
    if (src) col.sourceType = src.typeName + (src.length !== null ? `(${src.length}${src.scale !== null ? ',' + src.scale : ''})` : '');
    else if (unsigned64) col.sourceType = UNSIGNED_BIGINT_SOURCE;
    columns.push(col);
    names.push(name);
    decs.push(dec);
  }
  const n = names.length;
  /** The generic loop: leaves unavailable columns out, names the column a value failed in. */
  const decodeEach = (payload: Record<string, unknown>): Row => {
    const row: Row = {};
    for (let i = 0; i < n; i++) {
      const name = names[i]!;
      const v = payload[name];
      if (v === null || v === undefined) { row[name] = null; continue; }
      if (v === UNAVAILABLE || v === UNAVAILABLE_B64) continue;
      try {
        row[name] = decs[i]!(v);
      } catch (err) {
        throw new MirrorError('DECODE_FAILED', `column ${name}: ${(err as Error).message}`, { cause: err, detail: { column: name } });
      }
    }
    return row;
  };
  if (!codeable(names)) return { columns, decode: decodeEach };
  // The common case in generated code (schema/row-code.ts): every column present and decodable. Anything
  // else (an unavailable value, a value that fails) is decoded again by the generic loop, which gives the
  // row without the unavailable columns, or the error with its column.
  const gather = gatherer(names);
  const build = builder(names);
  const values: (RowValue | undefined)[] = new Array<RowValue | undefined>(n).fill(null);
  return {
    columns,
    decode(payload) {
      gather(payload as Row, values);
      try {
        for (let i = 0; i < n; i++) {
          const v = values[i];
          if (v === null || v === undefined) { values[i] = null; continue; }
          if (v === UNAVAILABLE || v === UNAVAILABLE_B64) return decodeEach(payload);
          values[i] = decs[i]!(v);
        }
      } catch {
        return decodeEach(payload);
      }
      return build(values as RowValue[]);
    },
  };
}
