/**
 * Holds the engine currently running (replaced when settings change) and gives subscribers one
 * stable event source: tray, notifications and pushes subscribe once and survive restarts.
 */
import { ENGINE_EVENT_NAMES } from '../../preload/contract/status.ts';
import type { EngineEventName, EngineEvents, EngineStatus } from '../../preload/contract/status.ts';
import type { EngineControl } from '../engine/engine-control.ts';
import { EngineEmitter } from '../engine/events.ts';

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
  const events = new EngineEmitter({ isolateListeners: true });
  const swapListeners = new Set<(e: EngineControl | null) => void>();
  const forward = <K extends EngineEventName>(e: EngineControl, name: K): (() => void) => e.on(name, (p) => events.emit(name, p));

  return {
    current: () => engine,
    set(next) {
      detach.forEach((d) => d());
      detach = [];
      engine = next;
      if (next) detach = ENGINE_EVENT_NAMES.map((name) => forward(next, name));
      for (const l of swapListeners) l(next);
    },
    status() {
      if (!engine) return null;
      try { return engine.status(); } catch { return null; }
    },
    on: (event, listener) => events.on(event, listener),
    onSwap(listener) {
      swapListeners.add(listener);
      return () => { swapListeners.delete(listener); };
    },
  };
}
