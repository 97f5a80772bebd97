/**
 * The parent side of the engine child: an EngineControl whose calls cross a Port. `status()` is
 * synchronous in the interface, so it returns the last snapshot the child pushed (at most
 * STATUS_INTERVAL_MS old, refreshed after every call). Errors come back as MirrorError, rebuilt by code.
 */
import type { EngineStatus } from '../../preload/contract/status.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import type { EngineControl } from '../engine/engine-control.ts';
import { MirrorError } from '../engine/errors.ts';
import { EngineEmitter } from '../engine/events.ts';
import { callMessage } from './protocol.ts';
import type { EngineArgs, EngineMethod, EngineResult, Port, StartOptions, ToChild, ToParent } from './protocol.ts';

export interface ChildHandle {
  port: Port<ToParent, ToChild>;
  /** Resolves when the child process exits. */
  exited: Promise<number | null>;
  kill(): void;
}

export interface EngineProxy extends EngineControl {
  /** Starts the engine in the child; rejects with the child's coded error. */
  start(settings: Settings, opts?: StartOptions): Promise<void>;
  readonly exited: Promise<number | null>;
}

export function createEngineProxy(child: ChildHandle, opts: { onLog?: (level: string, message: string) => void; stopTimeoutMs?: number } = {}): EngineProxy {
  let last: EngineStatus | null = null;
  let nextId = 1;
  let alive = true;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const events = new EngineEmitter({ isolateListeners: true });
  let ready!: () => void;
  const readyP = new Promise<void>((r) => { ready = r; });
  let startWaiter: { resolve: () => void; reject: (e: unknown) => void } | null = null;

  child.port.onMessage((msg) => {
    if (!alive) return; // a message still in flight when the child exited: its last status is 'stopped'
    switch (msg.t) {
      case 'ready': ready(); break;
      case 'started': last = msg.status; startWaiter?.resolve(); startWaiter = null; break;
      case 'start-failed': startWaiter?.reject(MirrorError.fromData(msg.error)); startWaiter = null; break;
      case 'status': last = msg.status; break;
      case 'event': events.emit(msg.name, msg.payload); break;
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

  // The child answers `result` with the method's EngineResult (the value is paired with the call by id).
  const call = <M extends EngineMethod>(method: M, ...args: EngineArgs<M>): Promise<EngineResult<M>> => {
    if (!alive) return Promise.reject(new MirrorError('ENGINE_STOPPED', 'the engine process has exited', { retriable: true }));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.port.post(callMessage(id, method, ...args));
    });
  };

  return {
    exited: child.exited,
    async start(settings, startOpts = {}) {
      await Promise.race([readyP, child.exited.then(() => { throw new MirrorError('ENGINE_STOPPED', 'the engine process exited before it was ready'); })]);
      await new Promise<void>((resolve, reject) => {
        startWaiter = { resolve, reject };
        child.port.post({ t: 'start', settings, provision: startOpts.provision ?? false, resetOffsets: startOpts.resetOffsets ?? false });
      });
    },
    status() {
      if (!last) throw new MirrorError('ENGINE_STOPPED', 'the engine has not started', { retriable: true });
      return last;
    },
    pause: async () => { await call('pause'); },
    resume: async () => { await call('resume'); },
    resyncTables: (tables) => call('resyncTables', tables),
    updateSchema: () => call('updateSchema'),
    on: (event, listener) => events.on(event, listener),
    async stop() {
      if (!alive) return;
      const timeout = new Promise<void>((r) => setTimeout(r, opts.stopTimeoutMs ?? 10_000).unref?.());
      await Promise.race([call('stop').catch(() => undefined), timeout]);
      await Promise.race([child.exited, timeout]);
      if (alive) child.kill();
    },
  };
}
