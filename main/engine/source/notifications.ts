/** Debezium notifications (`<ctx>-notifications`, sink channel, JsonConverter with schemas). */
import { parseLossless } from '../decode/json.ts';

export interface Notification {
  id: string;
  aggregateType: string; // 'Initial Snapshot' | 'Incremental Snapshot' | …
  type: string; //          STARTED | IN_PROGRESS | TABLE_SCAN_COMPLETED | COMPLETED | ABORTED | …
  data: Record<string, string>;
  timestamp: number;
  /** Where it was read (`partition:offset` of `<ctx>-notifications`): a scan's end is counted once (read again after a kill, retried). */
  at?: string;
  /** Its record's Kafka timestamp: when the connector's producer was handed it (the fence's time rule, snapshot/fence.ts). */
  sentAt?: number;
}

export function parseNotification(value: string): Notification | null {
  const v = parseLossless(value) as { payload?: Record<string, unknown> } & Record<string, unknown>;
  const p = (v && typeof v === 'object' && 'payload' in v ? v.payload : v) as Record<string, unknown> | null;
  if (!p || typeof p.aggregate_type !== 'string') return null;
  return {
    id: String(p.id ?? ''),
    aggregateType: p.aggregate_type,
    type: String(p.type ?? ''),
    data: (p.additional_data ?? {}) as Record<string, string>,
    timestamp: Number(p.timestamp ?? 0),
  };
}
