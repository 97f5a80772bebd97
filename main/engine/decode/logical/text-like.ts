import type { ConnectField } from '../connect-schema.ts';
import type { LogicalType } from './types.ts';

const asString = (v: unknown): string => {
  if (typeof v !== 'string') throw new TypeError(`expected a string, got ${typeof v}`);
  return v;
};

export const jsonType: LogicalType = { names: ['io.debezium.data.Json'], columnType: () => ({ kind: 'json' }), decode: asString };
export const uuidType: LogicalType = { names: ['io.debezium.data.Uuid'], columnType: () => ({ kind: 'uuid' }), decode: asString };
export const enumType: LogicalType = {
  names: ['io.debezium.data.Enum', 'io.debezium.data.EnumSet', 'io.debezium.data.Xml', 'io.debezium.data.Ltree'],
  columnType: () => ({ kind: 'string', length: null, fixed: false }),
  decode: asString,
};
/**
 * io.debezium.data.Bits (BIT(n > 1)): Debezium sends the bits little-endian (least significant byte
 * first). The replica keeps them in the source's order, big-endian, as MySQL `HEX(col)` and `b'…'` show
 * them: BIT(16) b'0000000100000010' (0x0102) arrives as [0x02, 0x01] and is written 0x0102, left-padded
 * with zero bytes to ceil(n / 8) bytes.
 */
export function bitsToBigEndian(littleEndian: Buffer, bits: number | null): Buffer {
  const out = Buffer.from(littleEndian).reverse();
  const want = bits !== null && bits > 0 ? Math.ceil(bits / 8) : out.length;
  if (out.length >= want) return out;
  return Buffer.concat([Buffer.alloc(want - out.length), out]);
}

const bitsLength = (f: ConnectField): number | null => {
  const n = Number(f.parameters?.length);
  return Number.isInteger(n) && n > 0 ? n : null;
};

export const bitsType: LogicalType = {
  names: ['io.debezium.data.Bits'],
  columnType: (f) => ({ kind: 'bytes', length: Math.ceil((bitsLength(f) ?? 8) / 8), fixed: true }),
  decode: (v, f) => bitsToBigEndian(Buffer.from(asString(v), 'base64'), bitsLength(f)),
};
