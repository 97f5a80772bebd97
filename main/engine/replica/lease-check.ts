/**
 * The check every guarded transaction makes (apply, writeState with a lease): the `lease` row, read
 * under a lock inside the same transaction, must still name this owner and epoch. Shared by the dialects.
 */
import { MirrorError } from '../errors.ts';
import { leaseFound, parseLease } from '../state/lease-rules.ts';
import { processGone } from '../state/process-gone.ts';
import type { LeaseGuard } from './replica.ts';

/**
 * Throws unless `value` (the lease row's JSON, null when absent) holds `guard`: REPLICA_WENT_BACK (retriable)
 * when the row is gone or older because the replica went back under this process (restored from a backup:
 * lease-rules.ts leaseFound; the engine takes the lease again and reads on from the stored position),
 * REPLICA_LEASE_LOST (not retriable) when another process took it over.
 */
export function assertLeaseHeld(value: string | null | undefined, guard: LeaseGuard, now = Date.now()): void {
  const found = leaseFound(value, guard, now, undefined, processGone);
  if (found === 'held') return;
  const holder = parseLease(value);
  const who = holder ? `\`${holder.command}\` on ${holder.host} pid ${holder.pid} (epoch ${holder.epoch})` : null;
  if (found === 'went-back') {
    throw new MirrorError('REPLICA_WENT_BACK',
      `the replica's writer lease row ${who ? `names ${who}, an older lease than this process's (epoch ${guard.epoch})` : `is gone (this process holds epoch ${guard.epoch})`}: the replica went back to an earlier state (restored from a backup?). Nothing of this write was committed; the engine takes the lease again and reads on from the replica's stored position.`,
      { retriable: true, detail: { row: 'lease', epoch: guard.epoch, holder: holder?.ownerId ?? null } });
  }
  throw new MirrorError('REPLICA_LEASE_LOST',
    `this process no longer holds the writer lease of the replica (it writes under epoch ${guard.epoch}; it is now held by ${who}). Nothing of this write was committed; this process stops writing.`,
    { retriable: false, detail: { ownerId: guard.ownerId, epoch: guard.epoch, holder: holder?.ownerId ?? null } });
}
