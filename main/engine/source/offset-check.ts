/**
 * Offsets that cannot be right are loud. Before consuming, every stored `<ctx>-cdc` offset must lie within
 * its partition (at most the high watermark; below the low watermark is a gap, handled elsewhere), and the
 * topic must have the partitions the replica recorded. Otherwise the topic was recreated, or the replica
 * was restored into another environment: reading on would skip or re-apply events silently.
 */
import type { EngineContext } from '../context.ts';
import { MirrorError } from '../errors.ts';
import { fromStateJson, toStateJson } from '../state/json.ts';

export const TOPIC_ROW_ID = (topic: string): string => `topic:${topic}`;

export function recoveryCommand(): string {
  return '`tenant-mirror reset-offsets -c <config>` (reads on from the topic\'s current end and resyncs every table)';
}

export async function checkStoredOffsets(ctx: EngineContext): Promise<void> {
  const topic = ctx.topics.cdc;
  const ahead: string[] = [];
  const missing: number[] = [];
  for (const [p, next] of ctx.nextOffsets) {
    const w = ctx.watermarks.get(p);
    if (!w) missing.push(p);
    else if (next > BigInt(w.high)) ahead.push(`partition ${p}: stored next offset ${next}, end of partition ${w.high}`);
  }
  if (ahead.length) {
    throw new MirrorError('OFFSET_AHEAD', `the replica's offsets are beyond the end of ${topic} (${ahead.join('; ')}): the topic was recreated or this replica comes from another environment, so reading on would skip events. Nothing was applied. To recover: ${recoveryCommand()}`, { detail: { topic, ahead: ahead.join('; ') } });
  }
  const row = (await ctx.replica.readState()).find((r) => r.id === TOPIC_ROW_ID(topic));
  const recorded = row ? fromStateJson<{ partitions: number }>(row.value).partitions : null;
  const now = ctx.watermarks.size;
  if (missing.length || (recorded !== null && recorded !== now)) {
    throw new MirrorError('TOPIC_CHANGED', `${topic} has ${now} partition(s) but the replica recorded ${recorded ?? 'offsets for partitions'} ${missing.length ? `(partitions ${missing.join(', ')} no longer exist)` : ''}: keys may have moved between partitions, so per-key order is lost. Nothing was applied. To recover: ${recoveryCommand()}`, { detail: { topic, partitions: now, recorded } });
  }
  if (recorded === null) await ctx.persist([{ id: TOPIC_ROW_ID(topic), kind: 'session', value: toStateJson({ partitions: now, at: Date.now() }) }]);
}
