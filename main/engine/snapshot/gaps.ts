/** Offline longer than retention: offsets [from, to) of a partition are gone. Never silently skipped. */
import type { GapInfo } from '../../../preload/contract/status.ts';
import type { EngineContext } from '../context.ts';
import { toStateJson } from '../state/json.ts';
import { stateIds } from '../state/records.ts';
import { failSweep } from './sweep.ts';
import type { SweepDeps } from './sweep.ts';

/** What this module uses of the engine's state (a narrow view of EngineContext). */
export type GapDeps = Pick<EngineContext, 'events' | 'gaps' | 'log' | 'nextOffsets' | 'persist' | 'registry' | 'topics'> & SweepDeps;

/**
 * Seen sets running when records are purged unread lost the marks those records carried (a resync's
 * scan rows, a full snapshot's): a sweep on them would delete rows the source still has (a resync whose
 * scan ended while the engine was offline emptied its table and called it ok). A resync ends failed,
 * nothing deleted; a full snapshot's tables are not swept at its end (completeFullSnapshot).
 */
async function voidSweeps(ctx: GapDeps, reason: string): Promise<void> {
  for (const r of ctx.registry.all()) {
    if (r.sweep?.kind === 'incremental') await failSweep(ctx, r, `records of the resync's scan may be among those purged: ${reason}`);
    else if (r.sweep?.kind === 'full' && !r.sweep.purged) { r.sweep.purged = reason; ctx.registry.put(r); }
  }
}

export async function recordGap(ctx: GapDeps, partition: number, from: bigint, to: bigint): Promise<GapInfo> {
  // From here on the partition is read from its low watermark: the gap is recorded once, not again per batch.
  const known = ctx.gaps.find((g) => g.partition === partition && g.fromOffset === from.toString() && g.topic === ctx.topics.cdc);
  if (known) { ctx.nextOffsets.set(partition, to); return known; }
  const reason = `events ${from}–${to - 1n} of ${ctx.topics.cdc} partition ${partition} were purged before they were applied (offline longer than retention)`;
  // Before the partition's position moves in memory: these writes go with the position the replica still stores.
  await voidSweeps(ctx, reason);
  ctx.nextOffsets.set(partition, to);
  const tables = ctx.registry.all().map((r) => r.id);
  const gap: GapInfo = { topic: ctx.topics.cdc, partition, fromOffset: from.toString(), toOffset: to.toString(), detectedAt: Date.now(), tables, resolved: false };
  ctx.gaps.push(gap);
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
