/**
 * What the engine holds in memory of the replica's `_ReplicationState`, dropped when the replica turns
 * out to stand earlier than this process committed (REPLICA_WENT_BACK): the next load reads it all again,
 * as a restarted process would.
 */
import type { EngineContext } from '../context.ts';
import { forgetRecentWrites } from '../apply/recent-writes.ts';

export type MemoryResetDeps = Pick<EngineContext, 'completed' | 'fullSnapshot' | 'fullProgressAt' | 'fullStalled' | 'gaps' | 'historyNext' | 'initialScan' | 'scansPaused' | 'nextOffsets' | 'notifNext' | 'registry'>;

export function forgetReplicaState(ctx: MemoryResetDeps): void {
  ctx.nextOffsets.clear();
  ctx.notifNext.clear();
  ctx.registry.takeDirty();
  ctx.registry.records.clear();
  ctx.gaps = [];
  ctx.fullSnapshot = null;
  ctx.fullProgressAt = undefined; // the stall clocks start again with what is read back
  ctx.fullStalled = undefined;
  ctx.completed = { key: null, ts: null };
  ctx.initialScan = null;
  ctx.scansPaused = null;
  ctx.historyNext = null;
  forgetRecentWrites(ctx);
}
