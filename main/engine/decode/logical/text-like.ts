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
export const bitsType: LogicalType = {
  names: ['io.debezium.data.Bits'],
  columnType: (f) => ({ kind: 'bytes', length: Math.ceil(Number(f.parameters?.length ?? 8) / 8), fixed: true }),
  decode: (v) => Buffer.from(asString(v), 'base64'),
};
