/**
 * Throttling for desktop notifications, so a flapping connection does not spam. Pure (clock injected).
 * Rules:
 *  - a problem (`stale`, `halted`, `error`) for one key shows at most once per `perKeyMs`;
 *  - a recovery shows only if the problem it ends was shown and not yet followed by a shown recovery;
 *  - at most `maxPerWindow` notifications in any `windowMs`, whatever the key;
 *  - suppressed notifications are counted and reported on the next one shown.
 */
export interface ThrottleOptions { perKeyMs: number; maxPerWindow: number; windowMs: number; now: () => number }
export interface Admission { show: boolean; suppressedBefore: number }

export interface NotifyThrottle {
  admit(key: string, kind: 'problem' | 'recovery'): Admission;
}

export function createNotifyThrottle(opts: ThrottleOptions): NotifyThrottle {
  const lastProblem = new Map<string, number>();
  const openProblems = new Set<string>();
  let shownAt: number[] = [];
  let suppressed = 0;

  const suppress = (): Admission => {
    suppressed++;
    return { show: false, suppressedBefore: 0 };
  };

  return {
    admit(key, kind) {
      const t = opts.now();
      shownAt = shownAt.filter((s) => t - s < opts.windowMs);
      if (kind === 'problem') {
        const last = lastProblem.get(key);
        if (last !== undefined && t - last < opts.perKeyMs) return suppress();
      } else if (!openProblems.has(key)) {
        return suppress();
      }
      if (shownAt.length >= opts.maxPerWindow) return suppress();
      shownAt.push(t);
      if (kind === 'problem') {
        lastProblem.set(key, t);
        openProblems.add(key);
      } else {
        openProblems.delete(key);
      }
      const before = suppressed;
      suppressed = 0;
      return { show: true, suppressedBefore: before };
    },
  };
}
