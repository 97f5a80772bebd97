import type { Admin } from 'kafkajs';

export interface Watermark { partition: number; low: string; high: string }

/**
 * Answers a broker gives for a moment after a topic was created again or a partition's leader moved;
 * kafkajs's admin gives up on them at once (it retries only UNKNOWN_TOPIC_OR_PARTITION).
 */
const LEADER_MOVING = new Set(['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_OR_FOLLOWER', 'UNKNOWN_LEADER_EPOCH', 'FENCED_LEADER_EPOCH']);

/**
 * Low (log start) and high watermarks of every partition of a topic. A leader that is moving is waited
 * for (metadata refreshed, up to ~7 s); anything else fails at once.
 */
export async function fetchWatermarks(admin: Admin, topic: string, attempts = 8): Promise<Map<number, Watermark>> {
  for (let attempt = 1; ; attempt++) {
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      const out = new Map<number, Watermark>();
      for (const o of offsets) out.set(o.partition, { partition: o.partition, low: o.low, high: o.high });
      return out;
    } catch (err) {
      if (attempt >= attempts || !LEADER_MOVING.has((err as { type?: string }).type ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 250 * attempt));
      await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined); // refreshes the client's metadata
    }
  }
}
