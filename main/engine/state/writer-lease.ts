/**
 * One writer per replica. The process that writes to a replica holds the `lease` row of
 * `_ReplicationState`: acquired in one locked transaction (refused while another owner's heartbeat is
 * fresh), refreshed every `heartbeatMs`, taken over with epoch + 1 once stale. Every batch carries
 * `guard()` and the replica checks it inside the batch transaction, so a process that lost the lease
 * (paused, partitioned, overtaken) cannot commit another row: its write fails with REPLICA_LEASE_LOST.
 * Released, the row stays (marked released, its epoch kept): a row gone or older than this process's is a
 * replica that went back under it (restored from a backup), and the lease is written again (leaseFound).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { MirrorError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { LeaseGuard, Replica } from '../replica/replica.ts';
import { LEASE_ID } from '../replica/replica.ts';
import { DEFAULT_STALE_AFTER_MS, decideHeartbeat, decideRelease, decideTake, endsByItself, heldUntilItEnds, inUseError, isLive, parseLease } from './lease-rules.ts';
import { processGone } from './process-gone.ts';

export { DEFAULT_STALE_AFTER_MS, processGone };
import type { LeaseRecord } from './lease-rules.ts';

export const DEFAULT_HEARTBEAT_MS = 5000;
/** The longest a heartbeat waits for the replica's write lock. */
const HEARTBEAT_WAIT_MS = 250;

export interface WriterLeaseOptions {
  /** What this process runs, shown to whoever is refused: `sync`, `serve`, `desktop app` … */
  command: string;
  heartbeatMs?: number;
  staleAfterMs?: number;
  log?: Logger;
  /** Called once when a heartbeat finds the lease taken over (REPLICA_LEASE_LOST): stop the engine. */
  onLost?: (err: MirrorError) => void;
  /** Clock and identity (tests). */
  now?: () => number;
  host?: string;
  pid?: number;
}

export class WriterLease {
  readonly ownerId = randomUUID();
  private readonly replica: Replica;
  private readonly command: string;
  private readonly heartbeatMs: number;
  readonly staleAfterMs: number;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly host: string;
  private readonly pid: number;
  private readonly onLost: ((err: MirrorError) => void) | undefined;
  private mine: LeaseRecord | null = null;
  private timer: NodeJS.Timeout | null = null;
  private beating = false;

  constructor(replica: Replica, opts: WriterLeaseOptions) {
    this.replica = replica;
    this.command = opts.command;
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.staleAfterMs = opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.log = opts.log ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.host = opts.host ?? hostname();
    this.pid = opts.pid ?? process.pid;
    this.onLost = opts.onLost;
  }

  /** The lease as held now (null before acquire, after release or loss). */
  get record(): LeaseRecord | null { return this.mine; }

  /** Takes the lease or throws REPLICA_IN_USE naming the live holder. */
  async acquire(): Promise<void> {
    const now = this.now();
    const candidate = { ownerId: this.ownerId, host: this.host, pid: this.pid, heartbeatAt: now, startedAt: now, command: this.command };
    const r = await this.replica.updateLease((current) => decideTake(current, candidate, this.staleAfterMs, processGone));
    if (!r.ok) throw inUseError(r.holder, now, this.staleAfterMs);
    if (r.lease.epoch > 1) this.log.info('writer lease taken', { epoch: r.lease.epoch, command: this.command });
    this.mine = r.lease;
  }

  /** What every batch transaction checks (ApplyUnit.lease, writeState's lease). */
  guard(): LeaseGuard {
    if (!this.mine) throw new MirrorError('REPLICA_LEASE_LOST', 'this process does not hold the writer lease of the replica (not acquired, released or lost)');
    return { ownerId: this.mine.ownerId, epoch: this.mine.epoch };
  }

  /**
   * Refreshes the heartbeat; REPLICA_LEASE_LOST when another owner holds the row now. A row gone or older
   * because the replica went back under this process (restored from a backup: lease-rules.ts leaseFound) is
   * written again, said in the log: nobody else took the replica, and the batches' position guard finds
   * what else went back.
   */
  async heartbeat(): Promise<void> {
    const mine = this.mine;
    if (!mine) throw new MirrorError('REPLICA_LEASE_LOST', 'the writer lease is not held');
    // A short wait for the lock: a failed heartbeat is retried by the next one (the lease is stale only
    // after `staleAfterMs`), and on SQLite the wait blocks the engine's thread.
    const next = await this.replica.updateLease((current) => decideHeartbeat(current, mine, this.now(), this.staleAfterMs, processGone), HEARTBEAT_WAIT_MS);
    if (next) {
      if (next.retaken) this.log.warn('the writer lease row was gone or older (the replica went back to an earlier state: restored from a backup?): taken again', { epoch: mine.epoch });
      if (this.mine === mine) this.mine = next.lease;
      return;
    }
    this.mine = null;
    this.stop();
    throw new MirrorError('REPLICA_LEASE_LOST', `another process took over the writer lease of the replica (this one held epoch ${mine.epoch}); it stops writing`);
  }

  /** Heartbeats every heartbeatMs (unref'd). A lost lease calls onLost; other failures are logged and retried. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => { void this.beat(); }, this.heartbeatMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async beat(): Promise<void> {
    if (this.beating || !this.mine) return;
    this.beating = true;
    try {
      await this.heartbeat();
    } catch (err) {
      const e = MirrorError.from(err);
      if (e.code === 'REPLICA_LEASE_LOST') {
        this.log.error('writer lease lost', { error: e.message });
        this.onLost?.(e);
      } else {
        this.log.warn('writer lease heartbeat failed; retrying', { error: e.message });
      }
    } finally {
      this.beating = false;
    }
  }

  /** The lease was found taken over (by a batch's check): not held any more, no heartbeat; the row is not written. */
  forget(): void {
    this.mine = null;
    this.stop();
  }

  /** Stops the heartbeat and marks the row released (its epoch kept) if this process still holds it. */
  async release(): Promise<void> {
    this.stop();
    const mine = this.mine;
    this.mine = null;
    if (mine) await this.replica.updateLease((current) => decideRelease(current, mine, this.now()));
  }
}

/** The lease row as stored (null when none). For the CLI, which must not start a second writer. */
export async function readLease(replica: Replica): Promise<LeaseRecord | null> {
  const rows = await replica.readState('lease');
  return parseLease(rows.find((r) => r.id === LEASE_ID)?.value);
}

/** The holder when its heartbeat is fresh, else null (no lease, or a stale one that may be taken over). */
export async function readLiveLease(replica: Replica, staleAfterMs = DEFAULT_STALE_AFTER_MS, now = Date.now()): Promise<LeaseRecord | null> {
  const holder = await readLease(replica);
  return holder && isLive(holder, now, staleAfterMs, processGone) ? holder : null;
}

/** Whether a command that ends by itself holds the replica now (a live lease row naming one); false when unreadable. */
export async function heldByCommandThatEnds(replica: Replica, staleAfterMs = DEFAULT_STALE_AFTER_MS): Promise<boolean> {
  const holder = await readLiveLease(replica, staleAfterMs).catch(() => null);
  return holder !== null && endsByItself(holder.command);
}

/**
 * After this process lost the lease: REPLICA_IN_USE naming the process that took it when that is a command
 * that ends by itself (lease-rules.ts heldUntilItEnds: a `resync-tables` that found no live writer, as when
 * the replica was restored under this process) — running, or ended or killed already (a process paused past
 * its lease that wakes after it: nobody writes the replica now) — else null (another `sync`, serve or desktop
 * app took it, or the row is gone or unreadable).
 */
export async function holderThatEnds(replica: Replica, lost: MirrorError, staleAfterMs = DEFAULT_STALE_AFTER_MS): Promise<MirrorError | null> {
  const holder = await readLease(replica).catch(() => null);
  if (!holder) return null;
  const e = inUseError(holder, Date.now(), staleAfterMs);
  if (!heldUntilItEnds(e)) return null;
  return new MirrorError('REPLICA_IN_USE', `\`${holder.command}\` on ${holder.host} pid ${holder.pid}, a command that ends by itself, took the replica over (${lost.message}): the engine reads on from the replica's stored position once that command has ended`, { retriable: true, detail: e.detail });
}
