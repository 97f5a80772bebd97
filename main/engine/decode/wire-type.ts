/**
 * The propagated source type says what the column is at the source; the Connect type says what the event
 * carries. Where a connector setting makes the event carry something else, the column follows the event,
 * so the replica holds exactly what arrived and never a guess:
 *
 *   decimal.handling.mode=double   DECIMAL/NUMERIC/MONEY arrive as float64: a float64 column (a decimal(38,38)
 *                                  column could not even hold 0.99…9 rounded to 1.0)
 *   binary.handling.mode=base64|   BINARY/VARBINARY/IMAGE/ROWVERSION arrive as text whose encoding the event
 *     base64-url-safe|hex          does not name (base64 and hex text can be the same string): a text column
 *                                  holding the text as sent
 */
import type { ConnectField } from './connect-schema.ts';
import type { ColumnType } from '../schema/table-model.ts';

const FLOATS = new Set(['float', 'float32', 'double', 'float64']);

export function followWireType(mapped: ColumnType, f: ConnectField): ColumnType {
  if (f.name) return mapped;
  if (mapped.kind === 'decimal' && FLOATS.has(f.type)) return { kind: 'float', bits: 64 };
  if (mapped.kind === 'bytes' && f.type === 'string') return { kind: 'string', length: null, fixed: false };
  return mapped;
}
