/**
 * Starts, restarts and stops the engine child for a front end (desktop shell or serve command).
 * Each (re)start spawns a fresh child (a crashed or wedged engine never lingers), then swaps it into
 * the slot. A child that dies on its own is cleared from the slot and reported.
 */
import type { ErrorData } from '../../preload/contract/errors.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { MirrorError } from '../engine/errors.ts';
import { createEngineProxy } from './engine-proxy.ts';
import type { ChildHandle, EngineProxy } from './engine-proxy.ts';
import type { EngineSlot } from './engine-slot.ts';

export interface EngineRunner {
  /** Stops the running engine (if any) and starts one on `settings`. Rejects with the start error. */
  restart(settings: Settings, opts?: { provision?: boolean }): Promise<void>;
  stop(): Promise<void>;
  /** Why the last start failed or the child died, for ENGINE_STOPPED messages and the UI. */
  lastError(): ErrorData | null;
}

export interface RunnerOptions {
  slot: EngineSlot;
  spawn: () => ChildHandle;
  onLog?: (level: string, message: string) => void;
  onExit?: (code: number | null, expected: boolean) => void;
}

export function createEngineRunner(opts: RunnerOptions): EngineRunner {
  let current: EngineProxy | null = null;
  let lastError: ErrorData | null = null;
  let chain: Promise<unknown> = Promise.resolve();

  const stopCurrent = async (): Promise<void> => {
    const e = current;
    current = null;
    if (opts.slot.current() === e) opts.slot.set(null);
    if (e) await e.stop();
  };

  // Serialise restarts/stops so two quick saves cannot start two engines.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  };

  return {
    restart: (settings, startOpts = {}) => serial(async () => {
      await stopCurrent();
      const proxy = createEngineProxy(opts.spawn(), opts.onLog ? { onLog: opts.onLog } : {});
      void proxy.exited.then((code) => {
        const expected = current !== proxy;
        if (!expected) {
          lastError = { code: 'ENGINE_STOPPED', message: `the engine process exited unexpectedly (code ${code})`, retriable: true };
          current = null;
          if (opts.slot.current() === proxy) opts.slot.set(null);
        }
        opts.onExit?.(code, expected);
      });
      current = proxy;
      try {
        await proxy.start(settings, startOpts);
      } catch (err) {
        lastError = MirrorError.from(err).toData();
        await stopCurrent().catch(() => undefined);
        throw err;
      }
      lastError = null;
      opts.slot.set(proxy);
    }),
    stop: () => serial(stopCurrent),
    lastError: () => lastError,
  };
}
