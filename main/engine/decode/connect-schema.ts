/**
 * Folder main/engine/decode/: Debezium envelopes and Connect schemas -> typed change events (logical/: one module per logical type).
 *
 * Kafka Connect JSON schema objects, as JsonConverter writes them with schemas.enable=true.
 */
export type ConnectType =
  | 'boolean' | 'int8' | 'int16' | 'int32' | 'int64' | 'float' | 'float32' | 'double' | 'float64'
  | 'bytes' | 'string' | 'array' | 'map' | 'struct';

export interface ConnectField {
  type: ConnectType;
  optional?: boolean;
  name?: string;
  version?: number;
  doc?: string;
  parameters?: Record<string, string>;
  default?: unknown;
  field?: string;
  fields?: ConnectField[];
  items?: ConnectField;
  keys?: ConnectField;
  values?: ConnectField;
}

export function structField(schema: ConnectField, name: string): ConnectField | undefined {
  return schema.fields?.find((f) => f.field === name);
}

/** Source column type propagated by `column.propagate.source.type`. */
export function sourceTypeOf(f: ConnectField): { typeName: string; length: number | null; scale: number | null } | null {
  const p = f.parameters;
  const t = p?.['__debezium.source.column.type'];
  if (!p || !t) return null;
  const len = p['__debezium.source.column.length'];
  const scale = p['__debezium.source.column.scale'];
  return { typeName: t, length: len === undefined ? null : Number(len), scale: scale === undefined ? null : Number(scale) };
}
