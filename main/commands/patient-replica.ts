/**
 * A command that has handed its request to the running engine (`resync-tables`, `update-schema`) reads the
 * replica every few seconds for minutes. The replica's server restarting meanwhile is an outage the engine
 * rides out (it retries); the waiting command must ride it out too, instead of ending with the driver's
 * bare error as INTERNAL (seen in the control-plane soak: `resync-tables` exited 1 with
 * "error [INTERNAL]: connect ECONNREFUSED" while the engine it waited for went on and finished the resync).
 */
import type { MirrorError } from '../engine/errors.ts';
import { openingError } from '../engine/replica/classified-error.ts';
import type { Replica } from '../engine/replica/replica.ts';
import { retryOnSchedule } from '../engine/retry-schedule.ts';

type Patient = Pick<Replica, 'readState' | 'writeState' | 'classifyError'>;

/**
 * `replica` with readState / writeState retried every `retryMs` while its classifier says the replica
 * cannot be reached and retrying may cure it (REPLICA_UNREACHABLE, retry), until `until` (ms since the
 * epoch): said once when it starts and once when the replica answers again. Any other error, or one still
 * there at `until`, is thrown as the classified MirrorError (its code and hint, not INTERNAL).
 */
export function patientReplica<R extends Patient>(replica: R, say: (line: string) => void, until: number, retryMs = 2000): R {
  let waiting = false;
  const patiently = <A extends unknown[], T>(fn: (...a: A) => Promise<T>) => async (...args: A): Promise<T> => {
    const r = await retryOnSchedule(async () => {
      try { return await fn.apply(replica, args); } catch (err) { throw openingError(replica.classifyError, err); }
    }, {
      delays: [retryMs],
      until,
      cured: (e) => (e as MirrorError).code === 'REPLICA_UNREACHABLE' && (e as MirrorError).retriable,
      onWait: (e) => {
        if (!waiting) say(`the replica cannot be reached (${(e as MirrorError).message}); the engine retries, and this command waits for it`);
        waiting = true;
      },
    });
    if (waiting) { waiting = false; say('the replica answers again; waiting on'); }
    return r;
  };
  const readState = patiently(replica.readState);
  const writeState = patiently(replica.writeState);
  return new Proxy(replica, {
    get(target, prop) {
      if (prop === 'readState') return readState;
      if (prop === 'writeState') return writeState;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
