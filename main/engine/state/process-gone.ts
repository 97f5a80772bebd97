/**
 * Whether the process a lease row names is known to have ended: one of this host that no longer exists.
 * Used by the lease's take (writer-lease.ts) and by the look at a lease row older than this process's
 * (lease-rules.ts leaseFound: a restored row naming a process that ended is the replica gone back, not a takeover).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { LeaseRecord } from './lease-rules.ts';

/**
 * A holder on this host whose process no longer exists (killed, crashed) is not waited for: a restart
 * right after a kill -9 takes over at once. A reused pid only makes us wait for the heartbeat to age.
 */
export function processGone(holder: LeaseRecord): boolean {
  if (holder.host !== hostname() || holder.pid === process.pid) return false;
  try { process.kill(holder.pid, 0); } catch (err) { return (err as NodeJS.ErrnoException).code === 'ESRCH'; }
  return isZombie(holder.pid);
}

/**
 * Killed but not yet reaped by its parent (Linux: state `Z` in /proc/<pid>/stat): signal 0 still reaches
 * it. Seen when a shell's background `provision` was killed -9 and a new one started at once: refused
 * (exit 6, "wait 20 s") by a process that no longer ran.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch { return false; }
}
