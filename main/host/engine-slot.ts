/**
 * Holds the engine currently running (replaced when settings change) and gives subscribers one
 * stable event source: tray, notifications and pushes subscribe once and survive restarts.
 */
import { ENGINE_EVENT_NAMES } from '../../preload/contract/status.ts';
import type { EngineEventName, EngineEvents, EngineStatus } from '../../preload/contract/status.ts';
import type { EngineControl } from '../engine/engine-control.ts';

export interface EngineSlot {
  current(): EngineControl | null;
  /** Swaps the engine; the previous one is NOT stopped here (the caller owns its life). */
  set(engine: EngineControl | null): void;
  /** Status of the current engine, or null when none runs or it has no status yet. */
  status(): EngineStatus | null;
  on<K extends EngineEventName>(event: K, listener: (payload: EngineEvents[K]) => void): () => void;
  /** Called after every swap. */
  onSwap(listener: (engine: EngineControl | null) => void): () => void;
}

export function createEngineSlot(): EngineSlot {
  let engine: EngineControl | null = null;
  let detach: Array<() => void> = [];
  const listeners = new Map<EngineEventName, Set<(p: never) => void>>();
  const swapListeners = new Set<(e: EngineControl | null) => void>();

  const forward = (name: EngineEventName, payload: unknown): void => {
    for (const l of listeners.get(name) ?? []) {
      try { (l as (p: unknown) => void)(payload); } catch { /* isolated */ }
    }
  };

  return {
    current: () => engine,
    set(next) {
      detach.forEach((d) => d());
      detach = [];
      engine = next;
      if (next) detach = ENGINE_EVENT_NAMES.map((name) => next.on(name, (p) => forward(name, p)));
      for (const l of swapListeners) l(next);
    },
    status() {
      if (!engine) return null;
      try { return engine.status(); } catch { return null; }
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (p: never) => void);
      return () => { set.delete(listener as (p: never) => void); };
    },
    onSwap(listener) {
      swapListeners.add(listener);
      return () => { swapListeners.delete(listener); };
    },
  };
}
