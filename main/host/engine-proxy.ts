/**
 * The parent side of the engine child: an EngineControl whose calls cross a Port. `status()` is
 * synchronous in the interface, so it returns the last snapshot the child pushed (at most
 * STATUS_INTERVAL_MS old, refreshed after every call). Errors come back as MirrorError, rebuilt by code.
 */
import type { EngineEventName, EngineEvents, EngineStatus } from '../../preload/contract/status.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import type { EngineControl, SchemaCheckResult } from '../engine/engine-control.ts';
import { MirrorError } from '../engine/errors.ts';
import type { EngineMethod, Port, ToChild, ToParent } from './protocol.ts';

export interface ChildHandle {
  port: Port<ToParent, ToChild>;
  /** Resolves when the child process exits. */
  exited: Promise<number | null>;
  kill(): void;
}

export interface EngineProxy extends EngineControl {
  /** Starts the engine in the child; rejects with the child's coded error. */
  start(settings: Settings, opts?: { provision?: boolean }): Promise<void>;
  readonly exited: Promise<number | null>;
}

export function createEngineProxy(child: ChildHandle, opts: { onLog?: (level: string, message: string) => void; stopTimeoutMs?: number } = {}): EngineProxy {
  let last: EngineStatus | null = null;
  let nextId = 1;
  let alive = true;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const listeners = new Map<EngineEventName, Set<(payload: never) => void>>();
  let ready!: () => void;
  const readyP = new Promise<void>((r) => { ready = r; });
  let startWaiter: { resolve: () => void; reject: (e: unknown) => void } | null = null;

  const emit = (name: EngineEventName, payload: unknown): void => {
    for (const l of listeners.get(name) ?? []) {
      try { (l as (p: unknown) => void)(payload); } catch { /* a listener's failure is its own */ }
    }
  };

  child.port.onMessage((msg) => {
    if (!alive) return; // a message still in flight when the child exited: its last status is 'stopped'
    switch (msg.t) {
      case 'ready': ready(); break;
      case 'started': last = msg.status; startWaiter?.resolve(); startWaiter = null; break;
      case 'start-failed': startWaiter?.reject(MirrorError.fromData(msg.error)); startWaiter = null; break;
      case 'status': last = msg.status; break;
      case 'event': emit(msg.name, msg.payload); break;
      case 'log': opts.onLog?.(msg.level, msg.message); break;
      case 'result': {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (!p) break;
        if (msg.ok) p.resolve(msg.value);
        else p.reject(MirrorError.fromData(msg.error));
        break;
      }
    }
  });

  void child.exited.then(() => {
    alive = false;
    const err = new MirrorError('ENGINE_STOPPED', 'the engine process exited', { retriable: true });
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    startWaiter?.reject(err);
    startWaiter = null;
    if (last) last = { ...last, state: 'stopped', updatedAt: Date.now() };
  });

  const call = (method: EngineMethod, ...args: unknown[]): Promise<unknown> => {
    if (!alive) return Promise.reject(new MirrorError('ENGINE_STOPPED', 'the engine process has exited', { retriable: true }));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.port.post({ t: 'call', id, method, args });
    });
  };

  return {
    exited: child.exited,
    async start(settings, startOpts = {}) {
      await Promise.race([readyP, child.exited.then(() => { throw new MirrorError('ENGINE_STOPPED', 'the engine process exited before it was ready'); })]);
      await new Promise<void>((resolve, reject) => {
        startWaiter = { resolve, reject };
        child.port.post({ t: 'start', settings, provision: startOpts.provision ?? false });
      });
    },
    status() {
      if (!last) throw new MirrorError('ENGINE_STOPPED', 'the engine has not started', { retriable: true });
      return last;
    },
    pause: async () => { await call('pause'); },
    resume: async () => { await call('resume'); },
    resyncTables: async (tables) => (await call('resyncTables', tables)) as { requested: string[] },
    updateSchema: async () => (await call('updateSchema')) as SchemaCheckResult,
    on<K extends EngineEventName>(event: K, listener: (payload: EngineEvents[K]) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => { set.delete(listener as (payload: never) => void); };
    },
    async stop() {
      if (!alive) return;
      const timeout = new Promise<void>((r) => setTimeout(r, opts.stopTimeoutMs ?? 10_000).unref?.());
      await Promise.race([call('stop').catch(() => undefined), timeout]);
      await Promise.race([child.exited, timeout]);
      if (alive) child.kill();
    },
  };
}
