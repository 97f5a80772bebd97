/**
 * Frames of the loopback WebSocket transport: the same contract as the Electron IPC bridge.
 * client → server: a request; server → client: its result, or a pushed event. JSON text frames.
 * Pure TypeScript: no node:*, no electron, no DOM.
 */
import type { PushName, Pushes, RequestName, Result } from './api.ts';

export interface WsRequestFrame { id: number; ch: RequestName; req?: unknown }
export interface WsResultFrame { id: number; res: Result<unknown> }
export interface WsPushFrame<K extends PushName = PushName> { ev: K; payload: Pushes[K] }
export type WsServerFrame = WsResultFrame | WsPushFrame;

/** Query parameter carrying the session token, on both the page URL and the socket URL. */
export const WS_TOKEN_PARAM = 'token';
/** Path of the socket endpoint on the serve host. */
export const WS_PATH = '/ws';
/** Close code sent when the token is missing or wrong (the upgrade is refused before this in practice). */
export const WS_CLOSE_FORBIDDEN = 4403;
