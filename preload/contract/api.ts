/**
 * The one IPC contract. Every request (renderer → main, request/response) and every pushed event
 * (main → renderer). The Electron IPC bridge, the preload's `window.api` and the loopback WebSocket
 * transport all derive from these declarations; channel names appear nowhere else.
 * Pure TypeScript + zod: no node:*, no electron, no DOM.
 */
import { z } from 'zod';
import type { ActivityEntry } from './activity.ts';
import type { ErrorData } from './errors.ts';
import { replicaInputSchema, settingsInputSchema, tenantInputSchema } from './settings-public.ts';
import type { PublicSettings } from './settings-public.ts';
import type { EngineEvents, EngineStatus } from './status.ts';
import { tablePrefixSchema } from './settings.ts';

export interface CheckItem { name: string; ok: boolean; message: string; fix: string | null }
export interface CheckReport { ok: boolean; items: CheckItem[] }
export interface SchemaCheckSummary { created: string[]; altered: string[]; recreated: string[]; dropped: string[]; snapshotsRequested: string[] }
export interface TableChoice { id: string; blocked: boolean; included: boolean }
export interface SupportBundle { fileName: string; json: string }
/** Views the shell can ask the renderer to show (tray "Open", a notification click). */
export type AppView = 'status' | 'tables' | 'settings';
export interface AppInfo {
  mode: 'desktop' | 'serve';
  version: string;
  autoStart: boolean;
  /** False when secrets cannot be kept encrypted (e.g. Linux with no keyring, or serve mode). */
  secretsEncrypted: boolean;
  configured: boolean;
}

/** Request schemas (validated in main for every call) and their response types. */
export const requestSchemas = {
  'status:get': z.void(),
  'tables:resync': z.object({ tables: z.array(z.string().min(1)).min(1) }).strict(),
  'schema:update': z.void(),
  'engine:pause': z.void(),
  'engine:resume': z.void(),
  'settings:get': z.void(),
  /** Secrets may be `{ stored: true }`: keep the one already stored. */
  'settings:save': settingsInputSchema,
  'connection:test': z.object({ tenant: tenantInputSchema }).strict(),
  'replica:test': z.object({ replica: replicaInputSchema, tablePrefix: tablePrefixSchema }).strict(),
  'tables:list': z.object({ tenant: tenantInputSchema }).strict(),
  'provision:start': settingsInputSchema,
  /** Read on from the change topic's end and resync every table (after OFFSET_AHEAD / TOPIC_CHANGED). */
  'offsets:reset': z.void(),
  'support:bundle': z.void(),
  'app:set-auto-start': z.object({ enabled: z.boolean() }).strict(),
  'app:info': z.void(),
  /** The engine's activity log, oldest first (kept by the engine host: survives a reload). */
  'activity:list': z.void(),
} as const;

export interface Responses {
  'status:get': EngineStatus;
  'tables:resync': { requested: string[] };
  'schema:update': SchemaCheckSummary;
  'engine:pause': EngineStatus;
  'engine:resume': EngineStatus;
  /** Secrets are never sent back: a stored secret is replaced by `{ stored: true }` markers by the shell. */
  'settings:get': PublicSettings | null;
  'settings:save': { saved: true };
  'connection:test': CheckReport;
  'replica:test': CheckReport;
  'tables:list': TableChoice[];
  'provision:start': { started: true };
  'offsets:reset': { restarted: true };
  'support:bundle': SupportBundle;
  'app:set-auto-start': { enabled: boolean };
  'app:info': AppInfo;
  'activity:list': ActivityEntry[];
}

export type RequestName = keyof typeof requestSchemas;
export type RequestInput<K extends RequestName> = z.input<(typeof requestSchemas)[K]>;
export { REQUEST_NAMES } from './names.ts';

/** Pushed events: the engine's events plus a full status snapshot. */
export interface Pushes extends EngineEvents {
  'status': EngineStatus;
  /** The shell asks the renderer to show a view (tray "Open", a notification click). */
  'navigate': { view: AppView; table: string | null };
  /** A new (or updated, same id) activity log entry. */
  'activity': ActivityEntry;
}
export type PushName = keyof Pushes;
export { PUSH_NAMES } from './names.ts';

/** Parsed (defaults applied) request input, as handlers receive it. */
export type RequestParsed<K extends RequestName> = z.output<(typeof requestSchemas)[K]>;

/** Every response crosses as data: errors never throw across the boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

/** What the renderer sees, implemented by the IPC bridge or the WebSocket client. */
export interface Api {
  request<K extends RequestName>(name: K, input: RequestInput<K>): Promise<Result<Responses[K]>>;
  on<K extends PushName>(name: K, listener: (payload: Pushes[K]) => void): () => void;
}

export { requestChannel, pushChannel, isRequestName, isPushName } from './names.ts';
