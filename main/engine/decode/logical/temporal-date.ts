import { civilDate, FIRST_CIVIL_DAY, LAST_CIVIL_DAY } from './civil-date.ts';
import type { LogicalType } from './types.ts';

/** io.debezium.time.Date / org.apache.kafka.connect.data.Date: days since the epoch (int32). */
export function daysToDate(days: number): string {
  if (days >= FIRST_CIVIL_DAY && days <= LAST_CIVIL_DAY && Number.isInteger(days)) return civilDate(days);
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

export const dateType: LogicalType = {
  names: ['io.debezium.time.Date', 'org.apache.kafka.connect.data.Date'],
  columnType: () => ({ kind: 'date' }),
  decode: (v) => {
    if (typeof v !== 'number') throw new TypeError(`Date expects int32 days, got ${typeof v}`);
    return daysToDate(v);
  },
};
