/**
 * Messages between the front end (Electron main, or the serve command) and the engine child process
 * (Electron utilityProcess, or child_process.fork under plain Node). Structured-clone/JSON safe.
 * Settings carry resolved secrets: they cross in memory only and are never logged.
 *
 * Derived from `EngineControl` and the contract's `EngineEvents`: a call names an EngineControl method
 * with that method's arguments, and its result is that method's resolved value, so a new or changed
 * method changes the protocol with it (`test/unit/host-protocol-is-derived.test.ts`).
 */
import type { ErrorData } from '../../preload/contract/errors.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import type { EngineEventName, EngineEvents, EngineStatus } from '../../preload/contract/status.ts';
import type { EngineControl } from '../engine/engine-control.ts';

/**
 * The EngineControl methods that cross as calls. `status` does not (the child pushes snapshots and
 * the proxy answers from the last one) and neither does `on` (events are pushed as `event` messages).
 */
export type EngineMethod = Exclude<keyof EngineControl, 'status' | 'on'>;
export type EngineArgs<M extends EngineMethod> = Parameters<EngineControl[M]>;
export type EngineResult<M extends EngineMethod> = Awaited<ReturnType<EngineControl[M]>>;

/** One `call` message per method, each with that method's argument tuple. */
export type EngineCall<M extends EngineMethod = EngineMethod> = { [K in M]: { t: 'call'; id: number; method: K; args: EngineArgs<K> } }[M];

/** One `event` message per engine event, each with that event's payload. */
export type EngineEventMessage = { [K in EngineEventName]: { t: 'event'; name: K; payload: EngineEvents[K] } }[EngineEventName];

/** What a start does first. */
export interface StartOptions {
  /** Create the replica's state table and session first (idempotent). */
  provision?: boolean;
  /**
   * Move the offsets to the change topic's end and resync every table first (Engine.resetOffsets: the
   * desktop app's and serve's recovery from OFFSET_AHEAD / TOPIC_CHANGED, as `tenant-mirror reset-offsets`).
   */
  resetOffsets?: boolean;
}

export type ToChild =
  | ({ t: 'start'; settings: Settings } & Required<StartOptions>)
  | EngineCall;

export type ToParent =
  | { t: 'ready' }
  | { t: 'started'; status: EngineStatus }
  | { t: 'start-failed'; error: ErrorData }
  /** `value`: the called method's `EngineResult` (the proxy pairs it with the call by `id`); null for void. */
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: ErrorData }
  | EngineEventMessage
  | { t: 'status'; status: EngineStatus }
  | { t: 'log'; level: 'error' | 'warn' | 'info' | 'debug'; message: string };

/** The `call` message for `method(...args)`: the compiler checks the name and the arguments. */
export function callMessage<M extends EngineMethod>(id: number, method: M, ...args: EngineArgs<M>): EngineCall {
  return { t: 'call', id, method, args } as EngineCall;
}

/** The `event` message for one engine event. */
export function eventMessage<K extends EngineEventName>(name: K, payload: EngineEvents[K]): EngineEventMessage {
  return { t: 'event', name, payload } as EngineEventMessage;
}

/** The engine side of a call: runs `method` on `engine` with the arguments the message carries. */
export function invokeEngine<M extends EngineMethod>(engine: EngineControl, call: EngineCall<M>): Promise<EngineResult<M>> {
  const methods: { [K in EngineMethod]: (...args: EngineArgs<K>) => Promise<EngineResult<K>> } = engine;
  return methods[call.method](...call.args);
}

/** One end of the channel, whatever carries it (parentPort, process IPC, MessagePort). */
export interface Port<In, Out> {
  post(message: Out): void;
  onMessage(listener: (message: In) => void): () => void;
}

/** Interval at which the child pushes a fresh status snapshot (the proxy's `status()` reads it). */
export const STATUS_INTERVAL_MS = 1000;
