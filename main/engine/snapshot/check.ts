/** Runs every sweep whose fence has been reached (cheap when nothing is pending). Inside the control loop. */
import type { EngineContext } from '../context.ts';
import type { TableRecord } from '../state/records.ts';
import type { GapDeps } from './gaps.ts';
import type { SweepDeps } from './sweep.ts';
import type { FullSnapshotDeps } from './full-snapshot.ts';
import { completeFullSnapshot, fullFenceDue, notificationsReached, takeDueFence } from './full-snapshot.ts';
import { fenceReached, takeFence } from './fence.ts';
import type { FenceTime } from './fence.ts';
import { resolveGaps } from './gaps.ts';
import { failSweep, finishSweep } from './sweep.ts';

/** What this module uses of the engine's state (a narrow view of EngineContext). */
export type FenceCheckDeps = Pick<EngineContext, 'fenceClock' | 'fullSnapshot' | 'loop' | 'nextOffsets' | 'persist' | 'registry' | 'settings' | 'stopping' | 'watermarks'> & FullSnapshotDeps & SweepDeps & GapDeps;

/**
 * Fences are read a delay after the end they follow (full-snapshot.ts takeDueFence, and resyncs' scan
 * ends below), by these checks: after every batch, at the tick, and at a wake-up armed here for the
 * earliest one not yet due, so that an idle stream does not wait for the tick. The timer only enqueues.
 */
const wakes = new WeakMap<object, { at: number; timer: NodeJS.Timeout }>();

/** When a resync's fence is due (its scan ended, its fence not read yet), or null. */
const resyncFenceDue = (r: TableRecord): number | null =>
  (r.sweep?.kind === 'incremental' && !r.sweep.fence && typeof r.sweep.fenceDueAt === 'number' ? r.sweep.fenceDueAt : null);

export function wakeForDueFences(ctx: FenceCheckDeps): void {
  let at = fullFenceDue(ctx.fullSnapshot) ?? Infinity;
  for (const r of ctx.registry.all()) at = Math.min(at, resyncFenceDue(r) ?? Infinity);
  const armed = wakes.get(ctx);
  if (at === Infinity || (armed && armed.at <= at)) return;
  if (armed) clearTimeout(armed.timer);
  const timer = setTimeout(() => {
    wakes.delete(ctx);
    if (!ctx.stopping) void ctx.loop.run('snapshot fence', () => checkFences(ctx)).catch((err: unknown) => ctx.log.warn('snapshot fence not read yet; retrying at the next tick', { error: (err as Error).message }));
  }, Math.max(0, at - Date.now()));
  timer.unref();
  wakes.set(ctx, { at, timer });
}

/** Resyncs whose scan ended and whose fence is due: one read of the watermarks serves them all. */
async function takeDueResyncFences(ctx: FenceCheckDeps, now: number): Promise<void> {
  const due = ctx.registry.all().filter((r) => (resyncFenceDue(r) ?? Infinity) <= now);
  if (!due.length) return;
  const fence = await takeFence(ctx.admin, ctx.topics.cdc, ctx);
  for (const r of due) { r.sweep!.fence = fence; r.sweep!.fenceDueAt = null; ctx.registry.put(r); }
}

export async function checkFences(ctx: FenceCheckDeps): Promise<void> {
  // A partition counts as quiet once reads this far apart found its high watermark unchanged (the tick
  // reads every 2 s, and a fence is read when taken): a producer with a backlog moves it at every request.
  const quietMs = Math.max(3000, ctx.settings.snapshotFenceDelayMs);
  const time = (ts: number | null | undefined): FenceTime | null => (typeof ts === 'number' ? { ts, quietMs, clock: ctx.fenceClock } : null);
  await takeDueFence(ctx);
  await takeDueResyncFences(ctx, Date.now());
  const fs = ctx.fullSnapshot;
  if (fs?.fence && fenceReached(fs.fence, ctx.nextOffsets, ctx.watermarks, time(fs.fenceTs)) && notificationsReached(ctx, fs)) await completeFullSnapshot(ctx);
  const now = Date.now();
  for (const r of ctx.registry.all()) {
    if (r.sweep?.kind === 'incremental' && r.sweep.fence && fenceReached(r.sweep.fence, ctx.nextOffsets, ctx.watermarks, time(r.sweep.fenceTs))) await finishSweep(ctx, r);
    else if (r.sweep?.kind === 'incremental' && r.sweep.failing && r.sweep.failing.dueAt <= now) await failSweep(ctx, r, r.sweep.failing.why);
  }
  if (ctx.registry.hasDirty()) await ctx.persist(ctx.registry.takeDirty());
  await resolveGaps(ctx);
  wakeForDueFences(ctx);
}
