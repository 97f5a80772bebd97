/**
 * The contract's names as runtime lists, without zod: the preload imports only this (and types), so
 * the sandboxed bundle stays small. `Record<Name, true>` makes a missing or extra name a compile error.
 */
import type { PushName, RequestName } from './api.ts';

const REQUEST_NAME_SET: Record<RequestName, true> = {
  'status:get': true, 'tables:resync': true, 'schema:update': true, 'engine:pause': true, 'engine:resume': true,
  'settings:get': true, 'settings:save': true, 'connection:test': true, 'replica:test': true, 'tables:list': true,
  'provision:start': true, 'offsets:reset': true, 'support:bundle': true, 'app:set-auto-start': true, 'app:info': true,
  'activity:list': true,
};
const PUSH_NAME_SET: Record<PushName, true> = {
  'status': true, 'navigate': true, 'state-changed': true, 'batch-applied': true, 'progress': true, 'lag': true,
  'table-stale': true, 'table-recovered': true, 'table-resynced': true, 'resync-requested': true, 'schema-changed': true, 'error': true, 'activity': true,
};

export const REQUEST_NAMES = Object.keys(REQUEST_NAME_SET) as readonly RequestName[];
export const PUSH_NAMES = Object.keys(PUSH_NAME_SET) as readonly PushName[];

/**
 * Electron IPC channel names, derived from the contract names. Prefixed so a push named `error`
 * never becomes an EventEmitter 'error' event (which throws when nobody listens).
 */
export const requestChannel = (name: RequestName): string => `tm:req:${name}`;
export const pushChannel = (name: PushName): string => `tm:push:${name}`;
export const isRequestName = (name: unknown): name is RequestName =>
  typeof name === 'string' && Object.hasOwn(REQUEST_NAME_SET, name);
export const isPushName = (name: unknown): name is PushName =>
  typeof name === 'string' && Object.hasOwn(PUSH_NAME_SET, name);
