/**
 * Throughput as a windowed rate: events applied in the last `windowMs`, divided by the span they
 * could have been applied in — the window, or less when the engine started (or resumed) within it,
 * so the first reading is not diluted by start-up time. 0 when idle for a whole window, 0 when paused.
 */
export interface RateWindow {
  add(events: number, at: number): void;
  /** Counting starts (again) at `at`: engine start or resume (what came before is forgotten). */
  begin(at: number): void;
  perSecond(now: number, paused: boolean): number;
}

/** Below this span a rate is not computed from the span (one batch right after start is not 1000×/s). */
const MIN_SPAN_MS = 1000;

export function createRateWindow(windowMs = 10_000): RateWindow {
  const samples: Array<[number, number]> = [];
  let since: number | null = null;
  const prune = (now: number): void => {
    while (samples.length && samples[0]![0] <= now - windowMs) samples.shift();
  };
  return {
    add(events, at) {
      samples.push([at, events]);
      prune(at);
    },
    begin(at) { since = at; samples.length = 0; },
    perSecond(now, paused) {
      prune(now);
      if (paused) return 0;
      const events = samples.reduce((s, [, n]) => s + n, 0);
      if (events === 0) return 0;
      const span = Math.min(windowMs, Math.max(MIN_SPAN_MS, since === null ? windowMs : now - since));
      return events / (span / 1000);
    },
  };
}
