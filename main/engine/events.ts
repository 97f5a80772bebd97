/**
 * Typed engine events: the tray, IPC stream, CLI progress and the log all subscribe here. The one
 * emitter of engine events, in the engine and in the hosts that relay them (the engine proxy, the
 * engine slot).
 */
import type { EngineEventName, EngineEvents } from '../../preload/contract/status.ts';

type Listener = (payload: never) => void;

export interface EngineEmitterOptions {
  /**
   * A listener that throws is skipped and the others still run (hosts: the tray, pushes and the
   * activity log are independent subscribers). Off (the engine): the throw reaches the emitting step,
   * and later listeners do not run, as with node's EventEmitter.
   */
  isolateListeners?: boolean;
}

export class EngineEmitter {
  private readonly listeners = new Map<EngineEventName, Listener[]>();
  private readonly isolate: boolean;

  constructor(opts: EngineEmitterOptions = {}) {
    this.isolate = opts.isolateListeners ?? false;
  }

  emit<K extends EngineEventName>(event: K, payload: EngineEvents[K]): void {
    // A snapshot: listeners added or removed by a listener take effect from the next emit.
    for (const l of this.listeners.get(event) ?? []) {
      const call = l as (p: EngineEvents[K]) => void;
      if (!this.isolate) call(payload);
      else try { call(payload); } catch { /* a listener's failure is its own */ }
    }
  }

  /** Adds `listener` (once per call, as EventEmitter does); the returned function removes it. */
  on<K extends EngineEventName>(event: K, listener: (payload: EngineEvents[K]) => void): () => void {
    const l = listener as Listener;
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), l]);
    return () => {
      const now = this.listeners.get(event) ?? [];
      const at = now.lastIndexOf(l);
      if (at >= 0) this.listeners.set(event, [...now.slice(0, at), ...now.slice(at + 1)]);
    };
  }
}
