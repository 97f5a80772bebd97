/**
 * The position check every batch makes inside its transaction (apply with `unit.position`): the offset
 * row it moves still holds what this process wrote there last. Shared by the dialects.
 */
import { MirrorError } from '../errors.ts';
import type { HeldRowGuard, PositionGuard, StateGuard } from './replica.ts';

/** What an offset row's JSON says is the next offset (null: no row, or a row without `next`). */
export function offsetRowNext(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  try {
    const next = (JSON.parse(value) as { next?: unknown }).next;
    // Written as a string; a number (hand-edited or an older row) is read as the engine's loadState reads it.
    if (typeof next === 'string' && /^\d+$/.test(next)) return BigInt(next).toString();
    if (typeof next === 'number' && Number.isSafeInteger(next)) return String(next);
    return null;
  } catch {
    return null;
  }
}

/** Throws REPLICA_WENT_BACK (retriable: the engine re-reads its position) unless `value` (the offset row's JSON) holds `guard.next`. */
export function assertPositionHeld(value: string | null | undefined, guard: PositionGuard): void {
  const now = offsetRowNext(value);
  if (now === guard.next) return;
  throw new MirrorError('REPLICA_WENT_BACK',
    `the replica's ${guard.id} says ${now ?? 'nothing (no row)'}, but this process had committed up to ${guard.next ?? 'nothing'}: the replica lost commits it had acknowledged (a crash with asynchronous commit, or a restore from a backup). Nothing of this batch was written; the engine reads on from the replica's stored position.`,
    { retriable: true, detail: { row: guard.id, stored: now, expected: guard.next } });
}

/** Throws REPLICA_WENT_BACK (retriable) unless `value` (the row's JSON, null when there is none) is exactly `guard.value`. */
export function assertRowHeld(value: string | null | undefined, guard: HeldRowGuard): void {
  if (value === guard.value) return;
  throw new MirrorError('REPLICA_WENT_BACK',
    `the replica's ${guard.id} is ${value === null || value === undefined ? 'gone' : 'not as this process last wrote or read it'}: the replica went back to an earlier state (restored from a backup, or provisioned again), or a command withdrew the row. Nothing was written.`,
    { retriable: true, detail: { row: guard.id, gone: value === null || value === undefined } });
}

/** The check of one of writeState's guards (replica.ts StateGuard) against the row's JSON read under a lock. */
export function assertStateHeld(value: string | null | undefined, guard: StateGuard): void {
  if ('value' in guard) assertRowHeld(value, guard);
  else assertPositionHeld(value, guard);
}
