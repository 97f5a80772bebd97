/**
 * The replica's position as this process left it: between batches (inside the control loop) every
 * offset row of the change topic holds what this process committed there. Checked every few seconds,
 * so a replica that went back while no batch was written (restored from a backup, a crash that lost
 * acknowledged commits) is found even when the topic is quiet.
 */
import type { EngineContext } from '../context.ts';
import { assertPositionHeld } from '../replica/position-check.ts';
import { stateIds } from './records.ts';

export type PositionDeps = Pick<EngineContext, 'nextOffsets' | 'replica' | 'topics'>;

/** REPLICA_WENT_BACK when an offset row of the change topic differs from what this process committed. */
export async function checkStoredPosition(ctx: PositionDeps): Promise<void> {
  if (ctx.nextOffsets.size === 0) return;
  const rows = new Map((await ctx.replica.readState('offset')).map((r) => [r.id, r.value]));
  for (const [p, next] of ctx.nextOffsets) {
    const id = stateIds.offset(ctx.topics.cdc, p);
    assertPositionHeld(rows.get(id), { id, next: next.toString() });
  }
}
