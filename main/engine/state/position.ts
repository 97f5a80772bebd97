/**
 * The replica's position as this process left it: between batches (inside the control loop) every
 * offset row of the change topic holds what this process committed there. Checked every few seconds,
 * so a replica that went back while no batch was written (restored from a backup, a crash that lost
 * acknowledged commits) is found even when the topic is quiet.
 */
import type { EngineContext } from '../context.ts';
import { assertPositionHeld } from '../replica/position-check.ts';
import type { PositionGuard, StateRow } from '../replica/replica.ts';
import { stateIds } from './records.ts';

export type PositionDeps = Pick<EngineContext, 'nextOffsets' | 'replica' | 'topics'>;

/**
 * The position checks a state write makes in its transaction: every offset row of the change topic this
 * process committed — except the rows this write itself sets or removes (a gap or an offset reset moves
 * them together with what it records).
 */
export function heldPositions(ctx: Pick<EngineContext, 'nextOffsets' | 'topics'>, rows: readonly StateRow[], remove: readonly string[] = []): PositionGuard[] {
  const written = new Set([...rows.map((r) => r.id), ...remove]);
  const out: PositionGuard[] = [];
  for (const [p, next] of ctx.nextOffsets) {
    const id = stateIds.offset(ctx.topics.cdc, p);
    if (!written.has(id)) out.push({ id, next: next.toString() });
  }
  return out;
}

/** REPLICA_WENT_BACK when an offset row of the change topic differs from what this process committed. */
export async function checkStoredPosition(ctx: PositionDeps): Promise<void> {
  if (ctx.nextOffsets.size === 0) return;
  const rows = new Map((await ctx.replica.readState('offset')).map((r) => [r.id, r.value]));
  for (const [p, next] of ctx.nextOffsets) {
    const id = stateIds.offset(ctx.topics.cdc, p);
    assertPositionHeld(rows.get(id), { id, next: next.toString() });
  }
}
