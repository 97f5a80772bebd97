/**
 * Messages between the front end (Electron main, or the serve command) and the engine child process
 * (Electron utilityProcess, or child_process.fork under plain Node). Structured-clone/JSON safe.
 * Settings carry resolved secrets: they cross in memory only and are never logged.
 */
import type { ErrorData } from '../../preload/contract/errors.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import type { EngineEventName, EngineStatus } from '../../preload/contract/status.ts';

export type EngineMethod = 'pause' | 'resume' | 'resyncTables' | 'updateSchema' | 'stop';

export type ToChild =
  /** `provision`: create the replica's state table and session first (idempotent). */
  | { t: 'start'; settings: Settings; provision: boolean }
  | { t: 'call'; id: number; method: EngineMethod; args: unknown[] };

export type ToParent =
  | { t: 'ready' }
  | { t: 'started'; status: EngineStatus }
  | { t: 'start-failed'; error: ErrorData }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: ErrorData }
  | { t: 'event'; name: EngineEventName; payload: unknown }
  | { t: 'status'; status: EngineStatus }
  | { t: 'log'; level: 'error' | 'warn' | 'info' | 'debug'; message: string };

/** One end of the channel, whatever carries it (parentPort, process IPC, MessagePort). */
export interface Port<In, Out> {
  post(message: Out): void;
  onMessage(listener: (message: In) => void): () => void;
}

/** Interval at which the child pushes a fresh status snapshot (the proxy's `status()` reads it). */
export const STATUS_INTERVAL_MS = 1000;
