/**
 * Folder main/engine/decode/logical/: one module per Debezium logical type, registered in this list.
 *
 * Every logical type the decoder knows, registered in one list.
 */
import { dateType } from './temporal-date.ts';
import { timeMillis, timeMicros, timeNanos } from './temporal-time.ts';
import { timestampMillis, timestampMicros, timestampNanos } from './temporal-timestamp.ts';
import { zonedTimestamp, zonedTime } from './temporal-zoned.ts';
import { decimalType, variableScaleDecimal } from './decimal.ts';
import { jsonType, uuidType, enumType, bitsType } from './text-like.ts';
import type { LogicalType } from './types.ts';

export const LOGICAL_TYPES: readonly LogicalType[] = [
  dateType, timeMillis, timeMicros, timeNanos, timestampMillis, timestampMicros, timestampNanos,
  zonedTimestamp, zonedTime, decimalType, variableScaleDecimal, jsonType, uuidType, enumType, bitsType,
];

const BY_NAME = new Map<string, LogicalType>();
for (const t of LOGICAL_TYPES) for (const n of t.names) BY_NAME.set(n, t);

export function logicalType(name: string | undefined): LogicalType | undefined {
  return name === undefined ? undefined : BY_NAME.get(name);
}
export type { LogicalType };
