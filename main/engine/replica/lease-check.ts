/**
 * The check every guarded transaction makes (apply, writeState with a lease): the `lease` row, read
 * under a lock inside the same transaction, must still name this owner and epoch. Shared by the dialects.
 */
import { MirrorError } from '../errors.ts';
import { parseLease } from '../state/lease-rules.ts';
import type { LeaseGuard } from './replica.ts';

/** Throws REPLICA_LEASE_LOST (not retriable) unless `value` (the lease row's JSON, null when absent) holds `guard`. */
export function assertLeaseHeld(value: string | null | undefined, guard: LeaseGuard): void {
  const now = parseLease(value);
  if (now && now.ownerId === guard.ownerId && now.epoch === guard.epoch) return;
  const who = now
    ? `it is now held by \`${now.command}\` on ${now.host} pid ${now.pid} (epoch ${now.epoch})`
    : 'its lease row is gone';
  throw new MirrorError('REPLICA_LEASE_LOST',
    `this process no longer holds the writer lease of the replica (it writes under epoch ${guard.epoch}; ${who}). Nothing of this write was committed; this process stops writing.`,
    { retriable: false, detail: { ownerId: guard.ownerId, epoch: guard.epoch, holder: now?.ownerId ?? null } });
}
