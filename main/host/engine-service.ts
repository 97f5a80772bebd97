/**
 * The child side: owns one engine, answers calls, forwards its events and a periodic status.
 * Transport-free (a Port), so it is tested in-process and run by `engine-child.ts` in a child process.
 */
import { ENGINE_EVENT_NAMES } from '../../preload/contract/status.ts';
import type { EngineEventName, EngineEvents } from '../../preload/contract/status.ts';
import { MirrorError } from '../engine/errors.ts';
import { redact } from '../engine/log.ts';
import type { CreateEngine, Engine, EngineLogger } from './engine-factory.ts';
import { eventMessage, invokeEngine, STATUS_INTERVAL_MS } from './protocol.ts';
import type { Port, ToChild, ToParent } from './protocol.ts';

export function serveEngine(port: Port<ToChild, ToParent>, createEngine: CreateEngine, opts: { onStopped?: () => void; statusIntervalMs?: number } = {}): void {
  let engine: Engine | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  const line = (msg: string, data?: object): string => {
    if (!data || !Object.keys(data).length) return msg;
    try { return `${msg} ${JSON.stringify(redact(data))}`; } catch { return msg; }
  };
  const log: EngineLogger = {
    error: (m, d) => port.post({ t: 'log', level: 'error', message: line(m, d) }),
    warn: (m, d) => port.post({ t: 'log', level: 'warn', message: line(m, d) }),
    info: (m, d) => port.post({ t: 'log', level: 'info', message: line(m, d) }),
    debug: (m, d) => port.post({ t: 'log', level: 'debug', message: line(m, d) }),
  };

  const forward = <K extends EngineEventName>(e: Engine, name: K): void => {
    e.on(name, (payload: EngineEvents[K]) => port.post(eventMessage(name, payload)));
  };

  port.onMessage(async (msg) => {
    if (msg.t === 'start') {
      if (engine) return port.post({ t: 'start-failed', error: { code: 'INTERNAL', message: 'engine already started', retriable: false } });
      try {
        engine = await createEngine(msg.settings, { log, command: 'serve / desktop app' });
        for (const name of ENGINE_EVENT_NAMES) forward(engine, name);
        if (msg.provision) await engine.provision();
        if (msg.resetOffsets) await engine.resetOffsets();
        await engine.start();
        const e = engine;
        timer = setInterval(() => port.post({ t: 'status', status: e.status() }), opts.statusIntervalMs ?? STATUS_INTERVAL_MS);
        timer.unref?.();
        port.post({ t: 'started', status: engine.status() });
      } catch (err) {
        port.post({ t: 'start-failed', error: MirrorError.from(err, 'CONFIG_INVALID').toData() });
        const e = engine as Engine | null;
        engine = null;
        await e?.stop().catch(() => undefined);
      }
      return;
    }
    const e = engine;
    if (!e && msg.method === 'stop') {
      // A child whose start failed has nothing to stop: it ends at once (the host waited 10 s for it before).
      port.post({ t: 'result', id: msg.id, ok: true, value: null });
      return opts.onStopped?.();
    }
    if (!e) return port.post({ t: 'result', id: msg.id, ok: false, error: { code: 'ENGINE_STOPPED', message: 'the engine is not running', retriable: true } });
    try {
      const value = await invokeEngine(e, msg);
      // The status first: the host answers a call with the status it holds once the result arrives.
      port.post({ t: 'status', status: e.status() });
      port.post({ t: 'result', id: msg.id, ok: true, value: value ?? null });
      if (msg.method === 'stop') {
        if (timer) clearInterval(timer);
        engine = null;
        opts.onStopped?.();
      }
    } catch (err) {
      port.post({ t: 'result', id: msg.id, ok: false, error: MirrorError.from(err).toData() });
    }
  });
  port.post({ t: 'ready' });
}
