/** Runs every sweep whose fence has been reached (cheap when nothing is pending). Inside the control loop. */
import type { EngineContext } from '../context.ts';
import type { GapDeps } from './gaps.ts';
import type { SweepDeps } from './sweep.ts';
import type { FullSnapshotDeps } from './full-snapshot.ts';
import { completeFullSnapshot, notificationsReached } from './full-snapshot.ts';
import { fenceReached } from './fence.ts';
import { resolveGaps } from './gaps.ts';
import { finishSweep } from './sweep.ts';

/** What this module uses of the engine's state (a narrow view of EngineContext). */
export type FenceCheckDeps = Pick<EngineContext, 'fullSnapshot' | 'nextOffsets' | 'persist' | 'registry' | 'watermarks'> & FullSnapshotDeps & SweepDeps & GapDeps;

export async function checkFences(ctx: FenceCheckDeps): Promise<void> {
  const fs = ctx.fullSnapshot;
  if (fs?.fence && fenceReached(fs.fence, ctx.nextOffsets, ctx.watermarks) && notificationsReached(ctx, fs)) await completeFullSnapshot(ctx);
  for (const r of ctx.registry.all()) {
    if (r.sweep?.kind === 'incremental' && r.sweep.fence && fenceReached(r.sweep.fence, ctx.nextOffsets, ctx.watermarks)) await finishSweep(ctx, r);
  }
  if (ctx.registry.hasDirty()) await ctx.persist(ctx.registry.takeDirty());
  await resolveGaps(ctx);
}
