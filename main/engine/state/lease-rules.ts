/**
 * The writer-lease rules, pure: given the `lease` row as read under a lock, what to write. The replica
 * runs these inside one transaction (Replica.updateLease); writer-lease.ts drives them.
 */
import { MirrorError } from '../errors.ts';
import type { LeaseDecision } from '../replica/replica.ts';

/** The writer lease (row `lease`, kind `lease`): which process may write to this replica. */
export interface LeaseRecord {
  /** Random per WriterLease instance. */
  ownerId: string;
  host: string;
  pid: number;
  /** Incremented by every acquire; batches carry the epoch they were written under. */
  epoch: number;
  /** Epoch milliseconds, by the owner's clock. */
  heartbeatAt: number;
  startedAt: number;
  /** What runs: `sync`, `serve`, `desktop app`, `resync-tables` … */
  command: string;
  /**
   * Set when its owner released it (stopped): the row stays, so its epoch stays too. A process that lost the
   * lease (paused past staleAfterMs, taken over) and wakes after the new owner stopped must find a newer
   * epoch, not an empty row it would read as the replica gone back (leaseFound) and take again.
   */
  releasedAt?: number;
}

export type TakeResult = { ok: true; lease: LeaseRecord } | { ok: false; holder: LeaseRecord };

export function parseLease(value: string | null | undefined): LeaseRecord | null {
  if (!value) return null;
  try {
    const v = JSON.parse(value) as Partial<LeaseRecord>;
    if (typeof v.ownerId !== 'string' || typeof v.epoch !== 'number' || typeof v.heartbeatAt !== 'number') return null;
    const rec: LeaseRecord = { ownerId: v.ownerId, host: String(v.host ?? '?'), pid: Number(v.pid ?? 0), epoch: v.epoch, heartbeatAt: v.heartbeatAt, startedAt: Number(v.startedAt ?? v.heartbeatAt), command: String(v.command ?? '?') };
    if (typeof v.releasedAt === 'number') rec.releasedAt = v.releasedAt;
    return rec;
  } catch {
    return null;
  }
}

/** A holder whose last heartbeat is younger than `staleAfterMs` is alive. */
/** `gone`: the holder is known dead (a process of this host that no longer exists): not live, whatever its heartbeat. */
export function isLive(holder: LeaseRecord, now: number, staleAfterMs: number, gone?: (h: LeaseRecord) => boolean): boolean {
  return holder.releasedAt === undefined && now - holder.heartbeatAt < staleAfterMs && !(gone?.(holder) ?? false);
}

/**
 * Acquire: refused while another owner's heartbeat is fresh; otherwise `candidate` is written with the
 * previous epoch + 1 (a stale or unreadable lease is taken over; the same owner re-acquiring bumps too).
 */
export function decideTake(current: string | null, candidate: Omit<LeaseRecord, 'epoch'>, staleAfterMs: number, gone?: (h: LeaseRecord) => boolean): LeaseDecision<TakeResult> {
  const holder = parseLease(current);
  if (holder && holder.ownerId !== candidate.ownerId && isLive(holder, candidate.heartbeatAt, staleAfterMs, gone)) {
    return { result: { ok: false, holder } };
  }
  const lease: LeaseRecord = { ...candidate, epoch: (holder?.epoch ?? 0) + 1 };
  return { result: { ok: true, lease }, write: JSON.stringify(lease) };
}

/** How long a holder's heartbeat keeps the lease alive (writer-lease.ts re-exports it). */
export const DEFAULT_STALE_AFTER_MS = 20000;

/**
 * What a lease row read under a lock says to the process that writes under `mine`. `held`: it names this
 * owner and epoch. `went-back`: the replica went back to an earlier state under this process (restored
 * from a backup taken before this process took the lease): no row (or an unreadable one), a row of this
 * owner with an older epoch, or a stale row of an older epoch — nobody took the replica since (whoever
 * takes it writes a fresh heartbeat, and a takeover raises the epoch), so this process may take it again.
 * `lost`: anything else — another process took it over. `gone` (process-gone.ts): an older row naming a
 * process known to have ended is not live whatever its heartbeat (a backup taken seconds before the
 * restore keeps a fresh one): until 2026-12-07 evening that read as a takeover and the engine stopped with
 * REPLICA_LEASE_LOST, exit 6, while nobody else wrote.
 */
export function leaseFound(current: string | null | undefined, mine: { ownerId: string; epoch: number }, now: number, staleAfterMs = DEFAULT_STALE_AFTER_MS, gone?: (h: LeaseRecord) => boolean): 'held' | 'went-back' | 'lost' {
  const holder = parseLease(current);
  if (!holder) return 'went-back';
  if (holder.ownerId === mine.ownerId && holder.epoch === mine.epoch) return 'held';
  if (holder.epoch >= mine.epoch) return 'lost';
  return holder.ownerId === mine.ownerId || !isLive(holder, now, staleAfterMs, gone) ? 'went-back' : 'lost';
}

/**
 * Heartbeat: refreshes `heartbeatAt` while the row still holds this owner and epoch; writes this owner's
 * row again (`retaken`) when the replica went back under it (leaseFound); null when lost.
 */
export function decideHeartbeat(current: string | null, mine: LeaseRecord, now: number, staleAfterMs = DEFAULT_STALE_AFTER_MS, gone?: (h: LeaseRecord) => boolean): LeaseDecision<{ lease: LeaseRecord; retaken: boolean } | null> {
  const found = leaseFound(current, mine, now, staleAfterMs, gone);
  if (found === 'lost') return { result: null };
  const lease = { ...mine, heartbeatAt: now };
  return { result: { lease, retaken: found === 'went-back' }, write: JSON.stringify(lease) };
}

/** Release: marks the row released (LeaseRecord.releasedAt; its epoch kept) only while it still holds this owner and epoch. */
export function decideRelease(current: string | null, mine: LeaseRecord, now: number): LeaseDecision<boolean> {
  const holder = parseLease(current);
  if (!holder || holder.ownerId !== mine.ownerId || holder.epoch !== mine.epoch) return { result: false };
  return { result: true, write: JSON.stringify({ ...holder, releasedAt: now }) };
}

/** `` `sync` on host-a pid 4242, stopped at … `` — a released lease's last owner. */
export function describeReleased(holder: LeaseRecord): string {
  return `\`${holder.command}\` on ${holder.host} pid ${holder.pid}, stopped at ${at(holder.releasedAt ?? holder.heartbeatAt)}`;
}

const at = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/** `tenant-mirror sync on host-a pid 4242, running since … (last heartbeat 3 s ago)`. */
export function describeHolder(holder: LeaseRecord, now: number): string {
  const ago = Math.max(0, Math.round((now - holder.heartbeatAt) / 1000));
  return `\`${holder.command}\` on ${holder.host} pid ${holder.pid}, running since ${at(holder.startedAt)} (last heartbeat ${ago} s ago, at ${at(holder.heartbeatAt)})`;
}

/** How often a process waiting for a command that ends by itself looks at the lease row again (sync, provision, reset-offsets, a running engine). */
export const ONE_SHOT_LOOK_MS = 2000;

/** Commands that end by themselves: a replica one of them writes is free again soon. */
const ENDS_BY_ITSELF: ReadonlySet<string> = new Set(['provision', 'resync-tables', 'update-schema', 'reset-offsets']);

/**
 * REPLICA_IN_USE by a command that ends by itself (a `resync-tables` run from a terminal while no engine
 * ran): a process that would run for good (`sync`, serve, the desktop app) waits for it instead of ending.
 * Not the replica held by another `sync`, `serve` or desktop app: which one runs is a person's choice.
 */
export function heldUntilItEnds(e: MirrorError): boolean {
  return e.code === 'REPLICA_IN_USE' && endsByItself(String(e.detail?.command));
}

/** Whether a lease row's command ends by itself (`resync-tables`, `update-schema`, `reset-offsets`, `provision`). */
export const endsByItself = (command: string): boolean => ENDS_BY_ITSELF.has(command);

/**
 * What a process that waits for such a command says, instead of the error's advice to stop the holder:
 * `` the replica is being written by `resync-tables` on host-a pid 4242, a command that ends by itself ``.
 */
export function heldUntilItEndsText(e: MirrorError): string {
  const d = e.detail ?? {};
  return `the replica is being written by \`${String(d.command)}\` on ${String(d.host)} pid ${String(d.pid)}, a command that ends by itself`;
}

/** REPLICA_IN_USE, naming the holder and what to do. */
export function inUseError(holder: LeaseRecord, now: number, staleAfterMs: number): MirrorError {
  const wait = Math.ceil(staleAfterMs / 1000);
  // A command that ends by itself is waited for, not stopped: stopping a resync-tables halfway only leaves it to do again.
  const todo = endsByItself(holder.command)
    ? 'it is a command that ends by itself: start again once it has ended (or stop it in its terminal)'
    : 'stop that one first (its app, service or terminal)';
  return new MirrorError('REPLICA_IN_USE',
    `the replica is already being written by ${describeHolder(holder, now)}. Only one Tenant Mirror process may write to a replica: ` +
    `${todo}. If it was killed, wait ${wait} s after its last heartbeat and start again; its lease then expires and is taken over.`,
    { retriable: false, detail: { host: holder.host, pid: holder.pid, command: holder.command, since: holder.startedAt, heartbeatAt: holder.heartbeatAt, epoch: holder.epoch } });
}
