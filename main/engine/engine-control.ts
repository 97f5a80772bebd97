/**
 * What every front end (Electron shell, CLI, WebSocket server) may ask of a running engine.
 * The IPC contract's handlers call exactly these methods.
 */
import type { EngineEventName, EngineEvents, EngineStatus } from '../../preload/contract/status.ts';

export interface SchemaCheckResult {
  created: string[];
  altered: string[];
  recreated: string[];
  dropped: string[];
  snapshotsRequested: string[];
  /** Each change as applied, in order (what the lists above summarise). */
  changes?: Array<{ at: number; table: string; change: string; detail: string | null }>;
}

export interface EngineControl {
  status(): EngineStatus;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Requests a resnapshot of the named tables (`schema.table`); rows are swept when it completes. */
  resyncTables(tables: string[]): Promise<{ requested: string[] }>;
  /** Runs the schema check now (new / changed / dropped tables). */
  updateSchema(): Promise<SchemaCheckResult>;
  on<K extends EngineEventName>(event: K, listener: (payload: EngineEvents[K]) => void): () => void;
  stop(): Promise<void>;
}
