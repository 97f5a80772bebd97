/**
 * Turns engine events into contract pushes for one transport's sink (webContents.send or WebSocket
 * broadcast): every engine event as itself, plus a `status` snapshot on state changes, after
 * batches (at most every `statusMinMs`) and on a timer.
 */
import { ENGINE_EVENT_NAMES } from '../../preload/contract/status.ts';
import type { EngineEventName, EngineEvents, EngineStatus } from '../../preload/contract/status.ts';
import type { PushName, Pushes } from '../../preload/contract/api.ts';

export type PushSink = <K extends PushName>(name: K, payload: Pushes[K]) => void;

/** What the pushes follow: the host's engine slot (`main/host/engine-slot.ts`), which outlives restarts. */
export interface PushSource {
  /** Status of the current engine, or null when none runs. */
  status(): EngineStatus | null;
  on<K extends EngineEventName>(event: K, listener: (payload: EngineEvents[K]) => void): () => void;
  /** Called after the engine is replaced (or gone). */
  onSwap(listener: () => void): () => void;
}

export function wirePushes(slot: PushSource, sink: PushSink, opts: { statusEveryMs?: number; statusMinMs?: number } = {}): () => void {
  let lastStatusAt = 0;
  const pushStatus = (force: boolean): void => {
    const now = Date.now();
    if (!force && now - lastStatusAt < (opts.statusMinMs ?? 250)) return;
    const status = slot.status();
    if (!status) return;
    lastStatusAt = now;
    sink('status', status);
  };
  const offs = ENGINE_EVENT_NAMES.map((name) => slot.on(name, (payload) => {
    sink(name, payload as Pushes[typeof name]);
    if (name === 'state-changed' || name === 'table-stale' || name === 'table-recovered' || name === 'table-resynced') pushStatus(true);
    else if (name === 'batch-applied' || name === 'progress') pushStatus(false);
  }));
  offs.push(slot.onSwap(() => pushStatus(true)));
  const timer = setInterval(() => pushStatus(true), opts.statusEveryMs ?? 2000);
  timer.unref?.();
  return () => {
    clearInterval(timer);
    offs.forEach((o) => o());
  };
}
