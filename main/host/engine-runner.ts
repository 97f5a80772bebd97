/**
 * Starts, restarts and stops the engine child for a front end (desktop shell or serve command).
 * Each (re)start spawns a fresh child (a crashed or wedged engine never lingers), then swaps it into
 * the slot. A child that dies on its own is cleared from the slot, reported, and started again after a
 * while; so is one whose start failed with an error trying again may cure, or because a command that ends by
 * itself held the replica (retryLater, triedAgain).
 */
import type { ErrorData } from '../../preload/contract/errors.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { MirrorError } from '../engine/errors.ts';
import { clockUtc, delayBefore, RETRY_DELAYS_MS } from '../engine/retry-schedule.ts';
import { heldUntilItEnds, heldUntilItEndsText } from '../engine/state/lease-rules.ts';
import { createEngineProxy } from './engine-proxy.ts';
import type { ChildHandle, EngineProxy } from './engine-proxy.ts';
import type { EngineSlot } from './engine-slot.ts';
import type { StartOptions } from './protocol.ts';

export interface EngineRunner {
  /** Stops the running engine (if any) and starts one on `settings`. Rejects with the start error. */
  restart(settings: Settings, opts?: StartOptions): Promise<void>;
  stop(): Promise<void>;
  /** Why the last start failed or the child died, for ENGINE_STOPPED messages and the UI. */
  lastError(): ErrorData | null;
}

export interface RunnerOptions {
  slot: EngineSlot;
  spawn: () => ChildHandle;
  onLog?: (level: string, message: string) => void;
  onExit?: (code: number | null, expected: boolean) => void;
  /**
   * Waits before the engine is started again by itself after its child died, or after a start failed with
   * an error retrying may cure (the replica's server or Kafka not up yet when the app starts at login):
   * the n-th try waits the n-th delay, the last one from then on. Default RETRY_DELAYS_MS.
   */
  retryDelaysMs?: readonly number[];
  /**
   * An engine that ran this long before its child died starts the delays over; one that dies sooner goes on
   * with them (a crash loop is tried every minute, not every 5 s). Default STEADY_MS.
   */
  steadyMs?: number;
  /**
   * The longest wait while a command that ends by itself holds the replica: the engine starts within this
   * long of its end, whatever the delays reached. Default HELD_LOOK_MS.
   */
  heldLookMs?: number;
  /** Told each time a try again is planned (the log line of serve and the desktop app). */
  onRetry?: (err: ErrorData, atMs: number) => void;
}

/**
 * 15 s: a `resync-tables` run from a terminal can hold the replica for many minutes, and the delays reach
 * 60 s; each look is a new engine child that opens the replica, so not every 2 s as `sync` looks.
 */
export const HELD_LOOK_MS = 15_000;

/** 10 minutes. */
export const STEADY_MS = 600_000;

/**
 * A failed start tried again later: one trying again may cure, and the replica taken by a command that
 * ends by itself (a `resync-tables` run from a terminal while the engine was down: the engine takes the
 * replica back once it ends). Not the replica held by another `sync`, `serve` or desktop app: which one
 * runs is a person's choice.
 */
function triedAgain(e: MirrorError): boolean {
  return e.retriable || heldUntilItEnds(e);
}

export function createEngineRunner(opts: RunnerOptions): EngineRunner {
  let current: EngineProxy | null = null;
  let lastError: ErrorData | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  const delays = opts.retryDelaysMs ?? RETRY_DELAYS_MS;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let tries = 0;
  let looks = 0; // at a replica held by a command that ends by itself

  const stopCurrent = async (): Promise<void> => {
    const e = current;
    current = null;
    if (opts.slot.current() === e) opts.slot.set(null);
    if (e) await e.stop();
  };
  const cancelRetry = (): void => {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
  };

  // Serialise restarts/stops so two quick saves cannot start two engines.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  };

  /**
   * The engine is not running for `err`, which trying again may cure: said in lastError (the UI shows it
   * as the reason the engine is stopped, with the time of the next try) and started again then.
   */
  const retryLater = (err: ErrorData, settings: Settings): void => {
    cancelRetry();
    // Held by a command that ends by itself: not its advice to stop the holder, only who holds it and the next try.
    // Its looks are not tries: they have their own count, so the engine failing for another reason once the
    // command ended starts that reason's delays from the first (until 2026-12-07 every look counted as a try:
    // after a long command the next reason waited 60 s, and "try N" counted the looks).
    const e = MirrorError.fromData(err);
    const held = heldUntilItEnds(e);
    if (!held) looks = 0;
    const at = Date.now() + (held ? Math.min(delayBefore(looks++, delays), opts.heldLookMs ?? HELD_LOOK_MS) : delayBefore(tries++, delays));
    const message = held
      ? `${heldUntilItEndsText(e)}: Tenant Mirror starts the engine once it has ended; it looks again at ${clockUtc(at)} UTC`
      : `${err.message}; Tenant Mirror starts the engine again by itself at ${clockUtc(at)} UTC (try ${tries + 1})`;
    lastError = { ...err, message, detail: { ...err.detail, retryAt: at } };
    opts.onRetry?.(err, at);
    retryTimer = setTimeout(() => { retryTimer = null; void serial(() => start(settings, {})).catch(() => undefined); }, at - Date.now());
    retryTimer.unref?.();
  };

  const start = async (settings: Settings, startOpts: StartOptions): Promise<void> => {
    await stopCurrent();
    const proxy = createEngineProxy(opts.spawn(), opts.onLog ? { onLog: opts.onLog } : {});
    let runningSince: number | null = null; // set once this child's start succeeded
    void proxy.exited.then((code) => {
      const expected = current !== proxy;
      if (!expected) {
        lastError = { code: 'ENGINE_STOPPED', message: `the engine process exited unexpectedly (code ${code})`, retriable: true };
        current = null;
        if (opts.slot.current() === proxy) opts.slot.set(null);
        if (runningSince !== null && Date.now() - runningSince >= (opts.steadyMs ?? STEADY_MS)) tries = 0;
        retryLater(lastError, settings);
      }
      opts.onExit?.(code, expected);
    });
    current = proxy;
    try {
      await proxy.start(settings, startOpts);
    } catch (err) {
      const e = MirrorError.from(err);
      lastError = e.toData();
      await stopCurrent().catch(() => undefined);
      // A provision is the setup wizard's, which shows its error: tried again only when asked again. A reset
      // of the offsets that failed is tried again as a plain start (retryLater), never as a second reset:
      // its offsets moved, that start goes on; not moved, it stops on OFFSET_AHEAD again and the dashboard
      // offers the reset again.
      if (triedAgain(e) && !startOpts.provision) retryLater(lastError, settings);
      throw err;
    }
    lastError = null;
    runningSince = Date.now();
    opts.slot.set(proxy);
  };

  return {
    restart: (settings, startOpts = {}) => serial(async () => {
      cancelRetry();
      tries = 0;
      looks = 0;
      await start(settings, startOpts);
    }),
    stop: () => serial(async () => { cancelRetry(); await stopCurrent(); }),
    lastError: () => lastError,
  };
}
