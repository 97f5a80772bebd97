/** Typed engine events: the tray, IPC stream, CLI progress and the log all subscribe here. */
import { EventEmitter } from 'node:events';
import type { EngineEventName, EngineEvents } from '../../preload/contract/status.ts';

export class EngineEmitter {
  private readonly ee = new EventEmitter();
  constructor() { this.ee.setMaxListeners(100); }
  emit<K extends EngineEventName>(event: K, payload: EngineEvents[K]): void { this.ee.emit(event, payload); }
  on<K extends EngineEventName>(event: K, listener: (payload: EngineEvents[K]) => void): () => void {
    this.ee.on(event, listener as (p: unknown) => void);
    return () => { this.ee.off(event, listener as (p: unknown) => void); };
  }
}
