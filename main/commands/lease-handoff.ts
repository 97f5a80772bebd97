/**
 * The CLI and the writer lease: a command that would start a second writer first looks at the lease.
 * `sync` / `provision` / `reset-offsets` are refused (REPLICA_IN_USE, exit 6) while another `sync`, serve or
 * desktop app writes, and wait for a command that ends by itself; `resync-tables`
 * and `update-schema` are handed to that process as request rows and their outcome is printed here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Settings } from '../../preload/contract/settings.ts';
import type { SchemaCheckResult } from '../engine/engine-control.ts';
import { MirrorError } from '../engine/errors.ts';
import type { Logger } from '../engine/log.ts';
import { createReplica } from '../engine/replica/create-replica.ts';
import { connectReplica } from '../engine/replica/classified-error.ts';
import type { Replica } from '../engine/replica/replica.ts';
import { retryOnSchedule } from '../engine/retry-schedule.ts';
import { fromStateJson } from '../engine/state/json.ts';
import { describeHolder, heldUntilItEnds, heldUntilItEndsText, inUseError, ONE_SHOT_LOOK_MS } from '../engine/state/lease-rules.ts';
import type { LeaseRecord } from '../engine/state/lease-rules.ts';
import { patientReplica } from './patient-replica.ts';
import { BUSY_STATES, endedInStep, goneOutcome, resyncReportLine, waitingLine } from './resync-report.ts';
import { UNMIRRORED_KIND, unmirroredFromRows } from '../engine/unmirrored-tables.ts';
import type { TableOutcome } from './resync-report.ts';
import { readHeldRequests, requestGone, requestRowId, submitRequest, updateRequest, waitForResult } from '../engine/state/requests.ts';
import type { RequestRecord, RequestSpec } from '../engine/state/requests.ts';
import { DEFAULT_STALE_AFTER_MS, readLiveLease } from '../engine/state/writer-lease.ts';

export interface Out { out(line: string): void; json: boolean }

/** The live writer, or null (none, stale, or a replica not readable yet: the engine reports that itself). */
async function liveWriter(replica: Replica, log: Logger): Promise<LeaseRecord | null> {
  try {
    return await readLiveLease(replica, DEFAULT_STALE_AFTER_MS);
  } catch (err) {
    log.debug('writer lease not readable; going on without it', { error: (err as Error).message });
    return null;
  }
}

async function withReplica<T>(settings: Settings, fn: (r: Replica) => Promise<T>): Promise<T> {
  const replica = await createReplica(settings);
  await connectReplica(replica);
  try { return await fn(replica); } finally { await replica.close(); }
}

/**
 * Throws REPLICA_IN_USE when another process writes to the replica (for sync, provision, reset-offsets).
 * With `wait` (provision, reset-offsets): a command that ends by itself holding it (a `resync-tables` run
 * from another terminal) is waited for until `wait.until`, said once per holder — before 2026-12-07 night these
 * two ended at once with exit 6 next to it. Another `sync`, serve or desktop app is still refused at once.
 */
export async function refuseIfInUse(settings: Settings, log: Logger, wait?: { until: number; say: (line: string) => void }): Promise<void> {
  await withReplica(settings, async (r) => {
    let told = '';
    for (let holder = await liveWriter(r, log); holder; holder = await liveWriter(r, log)) {
      const e = inUseError(holder, Date.now(), DEFAULT_STALE_AFTER_MS);
      if (!wait || !heldUntilItEnds(e)) throw e;
      if (Date.now() >= wait.until) throw new MirrorError('REPLICA_IN_USE', `${heldUntilItEndsText(e)}, had not ended within --timeout; nothing was done`, { detail: e.detail });
      if (told !== holder.ownerId) wait.say(`${heldUntilItEndsText(e)}: this command starts once it has ended (within --timeout; Ctrl+C to stop)`);
      told = holder.ownerId;
      await sleep(Math.min(ONE_SHOT_LOOK_MS, Math.max(0, wait.until - Date.now())));
    }
  });
}

/**
 * `provision` / `reset-offsets` with an engine of their own, once no other process writes the replica
 * (refuseIfInUse, waiting for a command that ends by itself until `wait.until`). A command that ends by
 * itself taking the replica in the moment between that look and the engine's own lease refuses the
 * engine's start (REPLICA_IN_USE naming it; nothing is written before the lease) — waited for the same way,
 * within the same `until`, where until 2026-12-07 night it ended the command with exit 6.
 */
export async function runWhenFree<T>(settings: Settings, log: Logger, wait: { until: number; say: (line: string) => void }, run: () => Promise<T>, look = refuseIfInUse): Promise<T> {
  for (;;) {
    await look(settings, log, wait);
    try {
      return await run();
    } catch (err) {
      if (!heldUntilItEnds(MirrorError.from(err)) || Date.now() >= wait.until) throw err;
      log.info('a command that ends by itself took the replica before this one could: waiting for it', { error: (err as Error).message });
    }
  }
}

/** The schema report: each list, then each change as applied with what it did (when known). */
export function schemaResultText(r: SchemaCheckResult): string {
  const lines = [
    `created: ${r.created.join(', ') || '-'}`, `altered: ${r.altered.join(', ') || '-'}`, `recreated: ${r.recreated.join(', ') || '-'}`,
    `dropped: ${r.dropped.join(', ') || '-'}`, `snapshots requested: ${r.snapshotsRequested.join(', ') || '-'}`,
  ];
  const applied = (r.changes ?? []).filter((c) => c.change !== 'snapshot requested');
  if (applied.length) lines.push('applied:', ...applied.map((c) => `  ${c.change} ${c.table}${c.detail ? ` (${c.detail})` : ''}`));
  else if (!r.created.length && !r.altered.length && !r.recreated.length && !r.dropped.length) lines.push('the replica already had every table as the source has it: nothing to change');
  return lines.join('\n');
}

/**
 * How long a command waiting on a resync handed to an engine that stopped gives another process (a sync
 * service restarted after a crash, the desktop app started again) to take the replica over before it goes
 * on with the resync itself: taking it at once locked out a `sync` restarted a second after a kill -9
 * (REPLICA_IN_USE, exit 6, for the rest of the resync).
 */
export const TAKEOVER_GRACE_MS = 15_000;

/** After the holder stopped (`stopped` says what it left): true once another process holds the replica (within `graceMs`), else false. */
async function holderBack(alive: () => Promise<boolean>, io: Out, graceMs: number, pollMs: number, stopped = 'the engine that was resyncing stopped', goesOn = 'it goes on with the resync'): Promise<boolean> {
  io.out(`${stopped}; waiting up to ${Math.round(graceMs / 1000)} s for another process to take the replica over…`);
  for (const until = Date.now() + graceMs; Date.now() < until;) {
    await new Promise((r) => setTimeout(r, pollMs));
    if (await alive()) { io.out(`another process took the replica over: ${goesOn}`); return true; }
  }
  return false;
}

/**
 * `waitForResult`'s watch of the holder a request was handed to (every `every`-th poll): when it is gone,
 * another process gets `graceMs` to take the replica over (a sync service restarted after a crash) and
 * the request is left to it (the new holder runs it, also one the stopped holder had taken up and left
 * `running`: request-runner.ts); when none does, ENGINE_STOPPED (a pending request is withdrawn and the
 * command runs here). Withdrawing at once locked a `sync` restarted a second after a kill -9 out for the command's run.
 */
export function holderWatch(alive: () => Promise<boolean>, io: Out, opts: { graceMs?: number; pollMs?: number; every?: number } = {}): (r: RequestRecord) => Promise<void> {
  let polls = 0;
  return async (r) => {
    if (++polls % (opts.every ?? 10) !== 0 || await alive()) return;
    const what = `the engine that held the replica stopped before it ${r.status === 'pending' ? 'took up' : 'finished'} the ${r.kind} request`;
    if (!(await holderBack(alive, io, opts.graceMs ?? TAKEOVER_GRACE_MS, opts.pollMs ?? 1000, what, 'the request is left to it'))) {
      throw new MirrorError('ENGINE_STOPPED', `${what}${r.status === 'pending' ? ' (withdrawn)' : ''}`);
    }
  };
}

/** What `resync-tables` adds to a table it waits for that carries a mark of the source connector. */
const WAIT_MARKS: Readonly<Record<string, string>> = {
  RESYNC_STALLED: ' (stalled at the source connector: no progress; restart the tenant\'s connector)',
  RESYNC_PAUSED: ' (paused at the source connector: a pause-snapshot signal; it goes on once resumed)',
};

/**
 * Table states from `_ReplicationState` until none of `ids` is busy; true when every one ended in step
 * (`ok`, or dropped at the source meanwhile). `alive` (asked every 10 s): whether an engine still holds the
 * replica; when none does and none takes it over within `graceMs`, 'stopped' is returned (the resync is
 * recorded in the replica and goes on wherever an engine next runs), instead of waiting for the timeout.
 * `each` runs before every poll (a check that may throw); `begun` is given, for each table seen busy, when
 * its resync began (the engine's clock, as the table's record says).
 */
export async function waitForTables(replica: Pick<Replica, 'readState'>, ids: string[], io: Out, timeoutMs: number, alive?: () => Promise<boolean>, opts: { graceMs?: number; pollMs?: number; each?: () => Promise<void>; begun?: Map<string, number> } = {}): Promise<boolean | 'stopped'> {
  const until = Date.now() + timeoutMs;
  const pollMs = opts.pollMs ?? 2000;
  for (let i = 0; ; i++) {
    await opts.each?.();
    if (alive && i > 0 && i % 5 === 0 && !(await alive()) && !(await holderBack(alive, io, opts.graceMs ?? TAKEOVER_GRACE_MS, Math.min(1000, pollMs)))) return 'stopped';
    const states = new Map((await replica.readState('table')).map((r) => {
      const t = fromStateJson<TableOutcome & { sweep?: { startedAt?: number } | null }>(r.value);
      return [t.id, t] as const;
    }));
    const busy = ids.filter((id) => BUSY_STATES.has(states.get(id)?.state ?? ''));
    for (const id of busy) { const at = states.get(id)?.sweep?.startedAt; if (at !== undefined) opts.begun?.set(id, at); }
    if (!busy.length) {
      const notMirrored = unmirroredFromRows(await replica.readState(UNMIRRORED_KIND));
      const outcome = ids.map((id) => states.get(id) ?? goneOutcome(id, notMirrored));
      for (const t of outcome) io.out(resyncReportLine(t));
      return outcome.every(endedInStep);
    }
    if (Date.now() >= until) throw new MirrorError('SNAPSHOT_TIMEOUT', `still resyncing after ${Math.round(timeoutMs / 1000)} s: ${busy.join(', ')}`);
    if (i % 5 === 0) io.out(`resyncing: ${busy.map((id) => `${id}${WAIT_MARKS[states.get(id)?.error?.code ?? ''] ?? ''}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * What became of a request handed to the running engine: `ok`, or the engine stopped before the resync
 * ended (`ownerStopped`, the tables; `begun`: when each one's resync began, as the replica said).
 */
export type Handed = { ok: boolean } | { ownerStopped: string[]; begun: Record<string, number> };

/** How often a command hands its request over when the replica went back under it (REPLICA_WENT_BACK) before it gives up. */
export const HAND_OVER_TRIES = 3;
/**
 * Runs `attempt` (hand the request to the process that writes the replica, or run it here when none does)
 * again when running here is refused at the writer lease (REPLICA_IN_USE, thrown by the engine's start
 * before it did anything): another process took the replica between this command's look and its own take —
 * a sync service (re)started just then, as after the replica was restored under the command — and the next
 * attempt hands the request to it. At most HAND_OVER_TRIES attempts, within `until`. Before 2026-12-07 the
 * command ended there with exit 6 while that process was ready to run it (the control-plane soak, seed 2026).
 */
export async function toWhoeverWrites(io: Out, until: number, what: string, attempt: () => Promise<number>): Promise<number> {
  return handedAgain(io, until, attempt, (e) => (e.code === 'REPLICA_IN_USE'
    ? `another process took the replica just as this command was to run ${what} here: handing it the request instead` : null));
}

/**
 * Runs `attempt` up to HAND_OVER_TRIES times within `until`: again after a failure `again` gives a line for
 * (said first), else the failure is thrown.
 */
async function handedAgain<T>(io: Out, until: number, attempt: () => Promise<T>, again: (e: MirrorError) => string | null): Promise<T> {
  for (let tries = 1; ; tries++) {
    try { return await attempt(); } catch (err) {
      const line = again(MirrorError.from(err));
      if (line === null || tries >= HAND_OVER_TRIES || Date.now() >= until) throw err;
      io.out(line);
    }
  }
}

/** How often a request the engine could not run for Kafka being unreachable is asked again. */
const KAFKA_RETRY_MS = 5000;
/** A kept request row is written again this often, so the engine never forgets it (FORGET_FINISHED_MS) while its command waits. */
const KEEP_FRESH_MS = 600_000;

/** A guarded write that found its row gone: the next look at the row says so (requestGone); anything else is thrown. */
function wentBackIsSeenNext(err: unknown): void {
  if (MirrorError.from(err).code !== 'REPLICA_WENT_BACK') throw err;
}

/**
 * While a command waits on the tables of a request that is done: its row is still there (else the replica
 * went back under it: requestGone) and written again now and then so the engine does not forget it.
 */
function stillThere(replica: Pick<Replica, 'readState' | 'writeState'>, id: string): () => Promise<void> {
  return async () => {
    const held = (await readHeldRequests(replica)).find((r) => r.rec.id === id);
    if (!held) throw requestGone(id, 'resync-tables');
    // Written only while the row is as read: gone in between, it is not brought back (the next look says so).
    if (Date.now() - held.rec.updatedAt > KEEP_FRESH_MS) await updateRequest(replica, held.rec, held.rec.status, { held: held.value }).catch(wentBackIsSeenNext);
  };
}

/**
 * When another process holds the lease: hands `spec` to it, prints what it did, and returns true
 * (`ok` tells whether it succeeded). Returns null when no live writer exists: run the command here.
 * When the replica goes back to an earlier state while the command waits (restored from a backup: its
 * request, or the resync the request started, is gone from it), the request is handed over again, up to
 * HAND_OVER_TRIES times in all, within the one `timeoutMs`; so is one the engine could not run because
 * Kafka could not be reached, every KAFKA_RETRY_MS.
 */
export async function viaRunningEngine(settings: Settings, spec: RequestSpec, io: Out, log: Logger, timeoutMs: number, opts: { graceMs?: number } = {}): Promise<Handed | null> {
  const until = Date.now() + timeoutMs;
  return withReplica(settings, async (opened) => {
    // From here on, a replica server restarting is waited for (the engine rides it out too), not an error.
    const replica = patientReplica(opened, (line) => io.out(line), until);
    let kafkaSaid = false;
    // Handed over again after the replica went back: the process it was handed to gets the takeover grace.
    let graceMs = 0;
    // The engine could not reach Kafka for it (the schema history unread during a broker outage): it
    // rides the outage out, and the request is asked again, said once, within the timeout.
    const asked = (): Promise<Handed | null> => retryOnSchedule(() => handOver(replica, spec, io, log, until, graceMs), {
      delays: [KAFKA_RETRY_MS],
      until,
      cured: (e) => e instanceof MirrorError && e.code === 'KAFKA_UNREACHABLE' && e.retriable,
      onWait: (e) => {
        if (!kafkaSaid) io.out(`the running engine could not reach Kafka for the ${spec.kind} request (${(e as Error).message}); it retries, and this command asks again every ${KAFKA_RETRY_MS / 1000} s`);
        kafkaSaid = true;
      },
    });
    return handedAgain(io, until, asked, (e) => {
      if (e.code !== 'REPLICA_WENT_BACK') return null;
      graceMs = opts.graceMs ?? TAKEOVER_GRACE_MS;
      return `${e.message}; handing the ${spec.kind} request over again`;
    });
  });
}

/**
 * Hands `spec` to the live writer (handOver's doc at viaRunningEngine). `graceMs` > 0 (handing it over
 * again after the replica went back): when the lease row names no live writer — the restored row names a
 * process that stopped before the backup, while the one the request was handed to is taking the lease
 * again (its next heartbeat or batch finds the replica went back) — that long is given for a process to
 * hold the replica before null (run here). Taking the lease at once took it from under that `sync`, which
 * then ended with REPLICA_LEASE_LOST, exit 6 (the control-plane soak, seed 271828).
 */
async function handOver(replica: Replica, spec: RequestSpec, io: Out, log: Logger, until: number, graceMs: number): Promise<Handed | null> {
  const alive = async (): Promise<boolean> => (await liveWriter(replica, log)) !== null;
  let holder = await liveWriter(replica, log);
  if (!holder && graceMs > 0 && await holderBack(alive, io, Math.min(graceMs, Math.max(0, until - Date.now())), 1000, 'the writer lease row of the replica as it went back names no running process', 'handing it the request')) {
    holder = await liveWriter(replica, log);
  }
  if (!holder) return null;
  io.out(`The replica is being written by ${describeHolder(holder, Date.now())}: that engine handles the ${spec.kind} request (no second consumer is started).`);
  const id = await submitRequest(replica, spec, spec.kind);
  try {
    const result = await waitForResult(replica, id, until - Date.now(), (r) => { if (r.status === 'running') io.out('the running engine is handling it…'); }, holderWatch(alive, io), true);
    if (spec.kind === 'update-schema') {
      io.out(io.json ? JSON.stringify(result, null, 2) : schemaResultText(result as SchemaCheckResult));
      return { ok: true };
    }
    const requested = (result as { requested: string[] }).requested;
    const recs = (await replica.readState('table')).map((r) => fromStateJson<{ id: string; sweep?: { recreated?: boolean } | null }>(r.value));
    io.out(waitingLine(requested, requested.filter((id) => recs.some((t) => t.id === id && t.sweep?.recreated))));
    // The request row is kept until the tables are waited for: gone meanwhile, the replica went back.
    const begun = new Map<string, number>();
    const ok = await waitForTables(replica, requested, io, until - Date.now(), alive, { each: stillThere(replica, id), begun });
    if (ok === 'stopped') return { ownerStopped: requested, begun: Object.fromEntries(begun) };
    io.out(ok ? `resynced: ${requested.join(', ')}` : 'the resync did not leave every table ok (see above)');
    return { ok };
  } finally {
    await replica.writeState([], [requestRowId(id)]).catch(() => undefined);
  }
}
