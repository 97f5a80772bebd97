/**
 * The engine's side of the CLI hand-off: runs pending `request:<id>` rows one by one through `handle`
 * (the engine's control loop), marking each running, then done with its result or failed with its error
 * (not when its row is gone by then: the replica went back under the run, or its command withdrew it; each
 * status is written only while the row is as the runner read or wrote it). One left `running` by a run that
 * did not end is run again, up to MAX_REQUEST_RUNS runs begun in all; then it is failed (REQUEST_ABANDONED).
 * Finished rows nobody collected (the CLI gave up) are deleted after an hour.
 */
import { MirrorError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { LeaseGuard, Replica } from '../replica/replica.ts';
import type { HeldRequest, RequestOutcome, RequestRecord } from './requests.ts';
import { readHeldRequests, requestRowId, updateRequest } from './requests.ts';

export const FORGET_FINISHED_MS = 3_600_000;
/** Runs of one request begun (each by an engine that then stopped, or lost the replica, mid-run) before it is failed instead of run again. */
export const MAX_REQUEST_RUNS = 3;

export interface PollOptions {
  /** The writer lease's guard: status writes are checked like batches. */
  lease?: () => LeaseGuard;
  now?: () => number;
}

/** One poll: returns how many requests were run (or failed as abandoned). Never throws for a request's own failure. */
export async function pollRequests(replica: Replica, handle: (req: RequestRecord) => Promise<unknown>, log: Logger, opts: PollOptions = {}): Promise<number> {
  const now = opts.now ?? Date.now;
  const all = await readHeldRequests(replica);
  const old = all.filter(({ rec: r }) => (r.status === 'done' || r.status === 'failed') && now() - r.updatedAt > FORGET_FINISHED_MS);
  if (old.length) await replica.writeState([], old.map(({ rec: r }) => requestRowId(r.id)), opts.lease?.());
  // Only the lease holder runs requests, one poll at a time: a row still `running` when a poll begins was
  // left so by a process that stopped (or lost the lease) mid-run, or by this one when the replica failed
  // under its outcome write. Nobody would finish it, and its command would wait for its timeout: it is run
  // again (a resync or a schema check asked twice does no harm) — but not forever: a request whose runs
  // themselves stop the engine would be begun again on every restart.
  const pending = all.filter(({ rec: r }) => r.status === 'pending' || r.status === 'running').sort((a, b) => a.rec.submittedAt - b.rec.submittedAt);
  let ran = 0;
  for (const held of pending) {
    const req = held.rec;
    const begun = req.attempts ?? (req.status === 'running' ? 1 : 0);
    if (req.status === 'running' && begun >= MAX_REQUEST_RUNS) {
      const e = new MirrorError('REQUEST_ABANDONED', `the ${req.kind} request ${req.id} (from ${req.submittedBy}) was begun ${begun} times and no run of it ended (the engine running it stopped, or lost the replica, each time): it is not run again. The engine's log tells why it stopped; ask again once that is mended.`, { detail: { request: req.id, runs: begun } });
      log.error('a request begun again and again with no run ending is failed, not run again', { id: req.id, kind: req.kind, by: req.submittedBy, runs: begun });
      if (await writeStatus(replica, held, 'failed', { error: e.toData() }, log, opts)) ran++;
      continue;
    }
    if (req.status === 'running') log.warn('a request left running by a run that did not end is run again', { id: req.id, kind: req.kind, by: req.submittedBy, run: begun + 1 });
    const running = await writeStatus(replica, held, 'running', undefined, log, opts, begun + 1);
    if (!running) continue;
    ran++;
    log.info('running a request handed over by the command line', { id: req.id, kind: req.kind, by: req.submittedBy });
    let outcome: RequestOutcome;
    try {
      outcome = { result: (await handle(running.rec)) ?? null };
    } catch (err) {
      const e = MirrorError.from(err);
      if (e.code === 'REPLICA_LEASE_LOST') throw e;
      log.warn('request failed', { id: req.id, kind: req.kind, code: e.code, error: e.message });
      outcome = { error: e.toData() };
    }
    await writeStatus(replica, running, 'error' in outcome ? 'failed' : 'done', outcome, log, opts);
  }
  return ran;
}

/**
 * Writes a request's next status only while its row is as `held` says, in one transaction. Its row gone or
 * changed meanwhile (the replica restored from a backup under the run, or provisioned again; a pending one
 * withdrawn by its command at its timeout) is not written: written, it would come back, a withdrawn request
 * would be run after its command said it would not be, and a waiting command could print a run's outcome
 * on a state the replica no longer has. Such a command sees its request gone, says so and hands it over
 * again (lease-handoff.ts). Returns what was written, or null when nothing was.
 */
async function writeStatus(replica: Replica, held: HeldRequest, status: 'running' | 'done' | 'failed', outcome: RequestOutcome | undefined, log: Logger, opts: PollOptions, attempts?: number): Promise<HeldRequest | null> {
  const id = requestRowId(held.rec.id);
  try {
    return await updateRequest(replica, held.rec, status, { outcome, lease: opts.lease?.(), held: held.value, attempts });
  } catch (err) {
    const e = MirrorError.from(err);
    if (e.code !== 'REPLICA_WENT_BACK' || e.detail?.row !== id) throw err;
    log.warn(`a request's row is gone or changed before its ${status} status was written (the replica went back, or its command withdrew it): not written`, { id: held.rec.id, kind: held.rec.kind });
    return null;
  }
}
