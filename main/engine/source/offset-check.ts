/**
 * Offsets that cannot be right are loud. Before consuming, every stored `<ctx>-cdc` offset must lie within
 * its partition (at most the high watermark; below the low watermark is a gap, handled elsewhere), and the
 * topic must have the partitions the replica recorded. Otherwise the topic was recreated, or the replica
 * was restored into another environment: reading on would skip or re-apply events silently.
 */
import type { EngineContext } from '../context.ts';
import { MirrorError } from '../errors.ts';
import type { StateRow } from '../replica/replica.ts';
import { fromStateJson, toStateJson } from '../state/json.ts';
import type { OffsetRecord } from '../state/records.ts';
import { stateIds } from '../state/records.ts';
import { recordTimestamps } from './record-times.ts';
import type { Watermark } from './watermarks.ts';

/** What this module uses of the engine's state (a narrow view of EngineContext). */
export type OffsetCheckDeps = Pick<EngineContext, 'kafka' | 'log' | 'nextOffsets' | 'persist' | 'replica' | 'topics' | 'watermarks'>;

export const TOPIC_ROW_ID = (topic: string): string => `topic:${topic}`;

export function recoveryCommand(): string {
  return '"Reset offsets" in the app, or `tenant-mirror reset-offsets -c <config>` (reads on from the topic\'s current end and resyncs every table)';
}

/** The partitions whose next offset lies beyond the partition's end, and those the topic no longer has. */
function compareWithTopic(next: ReadonlyMap<number, bigint>, marks: ReadonlyMap<number, Watermark>): { ahead: string[]; missing: number[] } {
  const ahead: string[] = [];
  const missing: number[] = [];
  for (const [p, n] of next) {
    const w = marks.get(p);
    if (!w) missing.push(p);
    else if (n > BigInt(w.high)) ahead.push(`partition ${p}: next offset ${n}, end of partition ${w.high}`);
  }
  return { ahead, missing };
}

export async function checkStoredOffsets(ctx: OffsetCheckDeps): Promise<void> {
  const topic = ctx.topics.cdc;
  const { ahead, missing } = compareWithTopic(ctx.nextOffsets, ctx.watermarks);
  if (ahead.length) {
    throw new MirrorError('OFFSET_AHEAD', `the replica's offsets are beyond the end of ${topic} (${ahead.join('; ')}): the topic was recreated or this replica comes from another environment, so reading on would skip events. Nothing was applied. To recover: ${recoveryCommand()}`, { detail: { topic, ahead: ahead.join('; ') } });
  }
  const rows = await ctx.replica.readState();
  await checkWitnesses(ctx, rows);
  const row = rows.find((r) => r.id === TOPIC_ROW_ID(topic));
  const recorded = row ? fromStateJson<{ partitions: number }>(row.value).partitions : null;
  const now = ctx.watermarks.size;
  if (missing.length || (recorded !== null && recorded !== now)) {
    throw new MirrorError('TOPIC_CHANGED', `${topic} has ${now} partition(s) but the replica recorded ${recorded ?? 'offsets for partitions'} ${missing.length ? `(partitions ${missing.join(', ')} no longer exist)` : ''}: keys may have moved between partitions, so per-key order is lost. Nothing was applied. To recover: ${recoveryCommand()}`, { detail: { topic, partitions: now, recorded } });
  }
  if (recorded === null) await ctx.persist([{ id: TOPIC_ROW_ID(topic), kind: 'session', value: toStateJson({ partitions: now, at: Date.now() }) }]);
}

/**
 * The same rule while the engine runs (each status tick): the change topic deleted and created again under
 * a running engine answers high watermarks below what the replica applied (offsets `applied`, taken before
 * the watermarks were read), or another partition count. Reading on would skip the new topic's records
 * below the stored offsets silently; the caller stops the engine with this error instead. Null: all well.
 */
export function topicBehindReplica(topic: string, applied: ReadonlyMap<number, bigint>, marks: ReadonlyMap<number, Watermark>, partitions: number): MirrorError | null {
  const { ahead, missing: gone } = compareWithTopic(applied, marks);
  if (ahead.length) {
    return new MirrorError('OFFSET_AHEAD', `${topic} now ends before what this replica applied (${ahead.join('; ')}): the topic was deleted and created again under the running engine, so reading on would skip events. The engine stops; nothing more is applied. To recover: ${recoveryCommand()}`, { detail: { topic, ahead: ahead.join('; ') } });
  }
  if (gone.length || (partitions > 0 && marks.size !== partitions)) {
    return new MirrorError('TOPIC_CHANGED', `${topic} has ${marks.size} partition(s) now, ${partitions} when the engine started${gone.length ? ` (partitions ${gone.join(', ')} no longer exist)` : ''}: keys may have moved between partitions, so per-key order is lost. The engine stops; nothing more is applied. To recover: ${recoveryCommand()}`, { detail: { topic, partitions: marks.size, recorded: partitions } });
  }
  return null;
}

/**
 * A topic deleted and recreated that already holds more records than the replica applied passes the
 * bounds check. So each stored offset keeps the Kafka timestamp of the last record applied, and the
 * record at `next - 1` must still carry it (where retention has not purged it).
 */
async function checkWitnesses(ctx: OffsetCheckDeps, rows: StateRow[]): Promise<void> {
  const topic = ctx.topics.cdc;
  const want = new Map<number, bigint>();
  const ts = new Map<number, number>();
  for (const [p, next] of ctx.nextOffsets) {
    const row = rows.find((r) => r.id === stateIds.offset(topic, p));
    const o = row ? fromStateJson<OffsetRecord>(row.value) : null;
    const low = BigInt(ctx.watermarks.get(p)?.low ?? '0');
    if (o?.ts === undefined || next < 1n || next - 1n < low) continue;
    want.set(p, next - 1n);
    ts.set(p, o.ts);
  }
  if (!want.size) return;
  const found = await recordTimestamps(ctx.kafka, topic, want, 15_000, true).catch((err: unknown) => {
    ctx.log.warn('could not read the last applied records back to check the topic is the same one', { error: (err as Error).message });
    return new Map<number, number>();
  });
  const differ: string[] = [];
  for (const [p, t] of found) if (t !== ts.get(p)) differ.push(`partition ${p}: the record at offset ${want.get(p)} was produced at ${new Date(t).toISOString()}, the one applied at ${new Date(ts.get(p)!).toISOString()}`);
  if (differ.length) {
    throw new MirrorError('TOPIC_CHANGED', `${topic} is not the topic this replica was reading (${differ.join('; ')}): it was recreated, or this replica comes from another environment, so reading on would skip events. Nothing was applied. To recover: ${recoveryCommand()}`, { detail: { topic, differ: differ.join('; ') } });
  }
}
