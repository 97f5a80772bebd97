/** Runs every sweep whose fence has been reached (cheap when nothing is pending). Inside the control loop. */
import type { EngineContext } from '../context.ts';
import type { GapDeps } from './gaps.ts';
import type { SweepDeps } from './sweep.ts';
import type { FullSnapshotDeps } from './full-snapshot.ts';
import { completeFullSnapshot, notificationsReached, takeDueFence } from './full-snapshot.ts';
import { fenceReached } from './fence.ts';
import type { FenceTime } from './fence.ts';
import { resolveGaps } from './gaps.ts';
import { finishSweep } from './sweep.ts';

/** What this module uses of the engine's state (a narrow view of EngineContext). */
export type FenceCheckDeps = Pick<EngineContext, 'fenceClock' | 'fullSnapshot' | 'nextOffsets' | 'persist' | 'registry' | 'settings' | 'watermarks'> & FullSnapshotDeps & SweepDeps & GapDeps;

export async function checkFences(ctx: FenceCheckDeps): Promise<void> {
  // A partition counts as quiet once reads this far apart found its high watermark unchanged (the tick
  // reads every 2 s, and a fence is read when taken): a producer with a backlog moves it at every request.
  const quietMs = Math.max(3000, ctx.settings.snapshotFenceDelayMs);
  const time = (ts: number | null | undefined): FenceTime | null => (typeof ts === 'number' ? { ts, quietMs, clock: ctx.fenceClock } : null);
  await takeDueFence(ctx);
  const fs = ctx.fullSnapshot;
  if (fs?.fence && fenceReached(fs.fence, ctx.nextOffsets, ctx.watermarks, time(fs.fenceTs)) && notificationsReached(ctx, fs)) await completeFullSnapshot(ctx);
  for (const r of ctx.registry.all()) {
    if (r.sweep?.kind === 'incremental' && r.sweep.fence && fenceReached(r.sweep.fence, ctx.nextOffsets, ctx.watermarks, time(r.sweep.fenceTs))) await finishSweep(ctx, r);
  }
  if (ctx.registry.hasDirty()) await ctx.persist(ctx.registry.takeDirty());
  await resolveGaps(ctx);
}
