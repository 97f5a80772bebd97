/**
 * The engine's side of the CLI hand-off: runs pending `request:<id>` rows one by one through `handle`
 * (the engine's control loop), marking each running, then done with its result or failed with its error
 * (not when its row is gone by then: the replica went back under the run). One left `running` by a run that
 * did not end is run again.
 * Finished rows nobody collected (the CLI gave up) are deleted after an hour.
 */
import { MirrorError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { LeaseGuard, Replica } from '../replica/replica.ts';
import type { RequestRecord } from './requests.ts';
import { readRequests, requestRowId, updateRequest } from './requests.ts';

export const FORGET_FINISHED_MS = 3_600_000;

export interface PollOptions {
  /** The writer lease's guard: status writes are checked like batches. */
  lease?: () => LeaseGuard;
  now?: () => number;
}

/** One poll: returns how many requests were run. Never throws for a request's own failure. */
export async function pollRequests(replica: Replica, handle: (req: RequestRecord) => Promise<unknown>, log: Logger, opts: PollOptions = {}): Promise<number> {
  const now = opts.now ?? Date.now;
  const all = await readRequests(replica);
  const old = all.filter((r) => (r.status === 'done' || r.status === 'failed') && now() - r.updatedAt > FORGET_FINISHED_MS);
  if (old.length) await replica.writeState([], old.map((r) => requestRowId(r.id)), opts.lease?.());
  // Only the lease holder runs requests, one poll at a time: a row still `running` when a poll begins was
  // left so by a process that stopped (or lost the lease) mid-run, or by this one when the replica failed
  // under its outcome write. Nobody would finish it, and its command would wait for its timeout: it is run
  // again (a resync or a schema check asked twice does no harm).
  const pending = all.filter((r) => r.status === 'pending' || r.status === 'running').sort((a, b) => a.submittedAt - b.submittedAt);
  for (const req of pending) {
    if (req.status === 'running') log.warn('a request left running by a run that did not end is run again', { id: req.id, kind: req.kind, by: req.submittedBy });
    log.info('running a request handed over by the command line', { id: req.id, kind: req.kind, by: req.submittedBy });
    const running = await updateRequest(replica, req, 'running', undefined, opts.lease?.());
    let outcome: { result: unknown } | { error: ReturnType<MirrorError['toData']> };
    try {
      outcome = { result: (await handle(running)) ?? null };
    } catch (err) {
      const e = MirrorError.from(err);
      if (e.code === 'REPLICA_LEASE_LOST') throw e;
      log.warn('request failed', { id: req.id, kind: req.kind, code: e.code, error: e.message });
      outcome = { error: e.toData() };
    }
    // Its row gone meanwhile (the replica restored from a backup under the run, or provisioned again): the
    // outcome is of a run on a state the replica no longer has. Written, it would re-create the row, and the
    // waiting command could print it as the outcome; left out, the command sees its request gone, says so
    // and hands it over again (lease-handoff.ts).
    if (!(await readRequests(replica)).some((r) => r.id === req.id)) {
      log.warn('a request\'s row is gone before its outcome was written (the replica went back?): not written', { id: req.id, kind: req.kind });
      continue;
    }
    await updateRequest(replica, running, 'error' in outcome ? 'failed' : 'done', outcome, opts.lease?.());
  }
  return pending.length;
}
