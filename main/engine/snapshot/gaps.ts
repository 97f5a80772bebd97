/** Offline longer than retention: offsets [from, to) of a partition are gone. Never silently skipped. */
import type { GapInfo } from '../../../preload/contract/status.ts';
import type { EngineContext } from '../context.ts';
import { toStateJson } from '../state/json.ts';
import { stateIds } from '../state/records.ts';

/** What this module uses of the engine's state (a narrow view of EngineContext). */
export type GapDeps = Pick<EngineContext, 'events' | 'gaps' | 'log' | 'nextOffsets' | 'persist' | 'registry' | 'topics'>;

export async function recordGap(ctx: GapDeps, partition: number, from: bigint, to: bigint): Promise<GapInfo> {
  // From here on the partition is read from its low watermark: the gap is recorded once, not again per batch.
  ctx.nextOffsets.set(partition, to);
  const known = ctx.gaps.find((g) => g.partition === partition && g.fromOffset === from.toString() && g.topic === ctx.topics.cdc);
  if (known) return known;
  const tables = ctx.registry.all().map((r) => r.id);
  const gap: GapInfo = { topic: ctx.topics.cdc, partition, fromOffset: from.toString(), toOffset: to.toString(), detectedAt: Date.now(), tables, resolved: false };
  ctx.gaps.push(gap);
  const reason = `events ${from}–${to - 1n} of ${ctx.topics.cdc} partition ${partition} were purged before they were applied (offline longer than retention)`;
  // One table-stale event per table going stale: a gap in several partitions does not repeat it.
  const newlyStale: string[] = [];
  for (const r of ctx.registry.all()) {
    if (r.state === 'halted') continue;
    if (r.state !== 'stale') newlyStale.push(r.id);
    r.state = 'stale';
    r.staleReason = reason;
    ctx.registry.put(r);
  }
  // The gap record and the move of the partition's offset past it are written together.
  await ctx.persist([
    ...ctx.registry.takeDirty(),
    { id: stateIds.gap(gap.topic, partition, gap.fromOffset), kind: 'gap', value: toStateJson(gap) },
    { id: stateIds.offset(ctx.topics.cdc, partition), kind: 'offset', value: JSON.stringify({ next: to.toString(), at: Date.now() }) },
  ]);
  ctx.nextOffsets.set(partition, to); // what the replica stores now (a batch's position check expects it)
  ctx.log.warn('gap detected', { partition, from: from.toString(), to: to.toString(), tables: tables.length });
  for (const t of newlyStale) ctx.events.emit('table-stale', { table: t, reason, gap });
  return gap;
}

/** A gap is resolved once every table it made stale is ok again. */
export async function resolveGaps(ctx: GapDeps): Promise<void> {
  const rows = [];
  for (const g of ctx.gaps) {
    if (g.resolved) continue;
    if (g.tables.every((t) => { const r = ctx.registry.get(t); return !r || r.state === 'ok'; })) {
      g.resolved = true;
      rows.push({ id: stateIds.gap(g.topic, g.partition, g.fromOffset), kind: 'gap' as const, value: toStateJson(g) });
    }
  }
  if (rows.length) await ctx.persist(rows);
}
