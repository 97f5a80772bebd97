import type { Admin } from 'kafkajs';

export interface Watermark { partition: number; low: string; high: string }

/** Low (log start) and high watermarks of every partition of a topic. */
export async function fetchWatermarks(admin: Admin, topic: string): Promise<Map<number, Watermark>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const out = new Map<number, Watermark>();
  for (const o of offsets) out.set(o.partition, { partition: o.partition, low: o.low, high: o.high });
  return out;
}
