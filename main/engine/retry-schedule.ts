/**
 * One schedule for "this may be cured by waiting, try again": the engine runner of serve and the desktop
 * app, `sync` started before its servers are up, and a command waiting on the running engine through a
 * replica or Kafka outage all wait by it, and say the time of the next try the same way.
 */

/** 5 s, 15 s, 30 s, then every 60 s. */
export const RETRY_DELAYS_MS: readonly number[] = [5_000, 15_000, 30_000, 60_000];

/** The wait before try `tries + 1` (0-based tries so far): the n-th delay, the last one from then on. */
export function delayBefore(tries: number, delays: readonly number[] = RETRY_DELAYS_MS): number {
  return delays[Math.min(tries, delays.length - 1)]!;
}

/** hh:mm:ss of `ms` (since the epoch) in UTC, as said to the user for the next try. */
export const clockUtc = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

export interface ScheduleOptions {
  /** Waits between tries (default RETRY_DELAYS_MS). */
  delays?: readonly number[];
  /**
   * The wait after this failure instead of the schedule's (undefined: the schedule's). Such a failure does
   * not move the schedule on: a `sync` that waited ten minutes for a command to end still tries again 5 s
   * after its first Kafka refusal.
   */
  waitAfter?: (err: unknown) => number | undefined;
  /** No try is planned after this (ms since the epoch): the failure is thrown instead. */
  until?: number;
  /** Whether waiting may cure this failure; any other failure is thrown at once. */
  cured: (err: unknown) => boolean;
  /** True once the caller stops (Ctrl+C): the failure is thrown instead of waiting. */
  stopped?: () => boolean;
  /** Told before each wait: the failure, when the next try is, and how many tries by the schedule failed so far. */
  onWait?: (err: unknown, atMs: number, failed: number) => void;
}

/** Runs `attempt` until it resolves, waiting by the schedule after each failure `cured` says waiting may cure. */
export async function retryOnSchedule<T>(attempt: () => Promise<T>, o: ScheduleOptions): Promise<T> {
  for (let failed = 0; ; ) {
    try {
      return await attempt();
    } catch (err) {
      const own = o.waitAfter?.(err);
      const wait = own ?? delayBefore(failed, o.delays);
      if (!o.cured(err) || o.stopped?.() || (o.until !== undefined && Date.now() + wait > o.until)) throw err;
      if (own === undefined) failed++;
      o.onWait?.(err, Date.now() + wait, failed);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
