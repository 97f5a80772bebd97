/**
 * A command started while Kafka or the replica's server cannot be reached (a broker restarting, a server not
 * up yet at boot) waits for it by the one retry schedule (retry-schedule.ts), saying when it tries again:
 * `sync` always (with --until-caught-up within --timeout), `provision`, `reset-offsets`, `resync-tables` and
 * `update-schema` within their --timeout. Until 2026-12-07 night those four ended at once with exit 1
 * (KAFKA_UNREACHABLE / REPLICA_UNREACHABLE) where `sync` and a command handed to a running engine waited.
 */
import { MirrorError } from '../engine/errors.ts';
import { clockUtc, retryOnSchedule } from '../engine/retry-schedule.ts';

/** A start that failed for a server not up yet (the replica's, or Kafka): waiting may cure it. */
export const curedByWaiting = (e: MirrorError): boolean => e.retriable && (e.code === 'REPLICA_UNREACHABLE' || e.code === 'KAFKA_UNREACHABLE');

/** "Kafka cannot be reached (…); <command> tries again at hh:mm:ss UTC (…)" — the line said before each wait. */
export function unreachableLine(err: unknown, command: string, atMs: number, withinTimeout: boolean): string {
  const e = MirrorError.from(err);
  return `${e.code === 'KAFKA_UNREACHABLE' ? 'Kafka' : 'the replica'} cannot be reached (${e.message}); ${command} tries again at ${clockUtc(atMs)} UTC (${withinTimeout ? 'within --timeout; ' : ''}Ctrl+C to stop)`;
}

/**
 * Runs `attempt` (the whole command: its look at the lease, its engine's start) again after a failure
 * waiting may cure, by the schedule, until `wait.until`; any other failure, or one still there when the
 * next try would come after `until`, is thrown as it is. `attempt` must be safe to run again after such a
 * failure (each command's own note says why it is).
 */
export function ridingOutages<T>(command: string, wait: { until: number; say: (line: string) => void }, attempt: () => Promise<T>): Promise<T> {
  return retryOnSchedule(attempt, {
    until: wait.until,
    cured: (err) => curedByWaiting(MirrorError.from(err)),
    onWait: (err, at) => wait.say(unreachableLine(err, command, at, true)),
  });
}
