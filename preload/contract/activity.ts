/**
 * Folder preload/contract/: the one IPC contract (api.ts), settings schema, error codes, status types (pure TS).
 *
 * The engine's activity log as it crosses the contract. Pure TypeScript: no node:*, no electron, no DOM.
 */

export type ActivityLevel = 'info' | 'warn' | 'error';

/** What happened, as a code the UI may branch on (the text is for people). */
export type ActivityKind =
  | 'engine-state' | 'paused' | 'resumed' | 'halted'
  | 'resync-requested' | 'resync-completed' | 'resync-failed'
  | 'schema-changed' | 'gap-found' | 'gap-resolved' | 'table-stale' | 'table-recovered'
  | 'export' | 'error' | 'batches';

export interface ActivityEntry {
  /** Increasing within one log; an entry pushed again with the same id replaces the earlier one. */
  id: number;
  at: number;
  level: ActivityLevel;
  kind: ActivityKind;
  text: string;
  /** Tables the entry is about (empty when it is about the engine). */
  tables: string[];
  /** Present on a line that sums up consecutive applied batches. */
  batch?: { events: number; batches: number; ms: number; since: number };
}
