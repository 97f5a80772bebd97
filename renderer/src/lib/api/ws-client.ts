/**
 * The contract over the loopback WebSocket (`tenant-mirror serve`), for the renderer in a browser.
 * Implements `Api` like the IPC client. Pure TS over the DOM WebSocket (also Node ≥22's global one).
 * Requests made while connecting are queued; requests in flight when the socket drops resolve as
 * `DISCONNECTED`; the socket reconnects with back-off and listeners stay registered.
 */
import type { Api, PushName, Pushes, RequestName, Result } from '../../../../preload/contract/api.ts';
import { WS_PATH, WS_TOKEN_PARAM } from '../../../../preload/contract/ws-frames.ts';
import type { WsRequestFrame, WsServerFrame } from '../../../../preload/contract/ws-frames.ts';

export type WsState = 'connecting' | 'open' | 'closed';

export interface WsClient extends Api {
  state(): WsState;
  onState(listener: (state: WsState) => void): () => void;
  close(): void;
}

export interface WsClientOptions {
  /** Factory for tests or non-browser hosts; defaults to `new WebSocket(url)`. */
  createSocket?: (url: string) => WebSocket;
  reconnect?: { initialMs: number; maxMs: number } | false;
}

/** The socket URL for a page served by `serve`: same host, token taken from the page's query. */
export function socketUrlFromPage(location: { protocol: string; host: string; search: string }): string | null {
  const token = new URLSearchParams(location.search).get(WS_TOKEN_PARAM);
  if (!token) return null;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${WS_PATH}?${WS_TOKEN_PARAM}=${encodeURIComponent(token)}`;
}

const disconnected = (): Result<never> => ({ ok: false, error: { code: 'DISCONNECTED', message: 'the connection to Tenant Mirror was lost', retriable: true } });

export function createWsClient(url: string, opts: WsClientOptions = {}): WsClient {
  const make = opts.createSocket ?? ((u: string) => new WebSocket(u));
  const backoff = opts.reconnect === undefined ? { initialMs: 500, maxMs: 10_000 } : opts.reconnect;
  const pending = new Map<number, (r: Result<unknown>) => void>();
  const queue: string[] = [];
  const listeners = new Map<PushName, Set<(p: never) => void>>();
  const stateListeners = new Set<(s: WsState) => void>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let state: WsState = 'closed';
  let closedByUser = false;
  let delay = backoff ? backoff.initialMs : 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const setState = (s: WsState): void => {
    if (s === state) return;
    state = s;
    for (const l of stateListeners) l(s);
  };

  const connect = (): void => {
    setState('connecting');
    const ws = make(url);
    socket = ws;
    ws.onopen = () => {
      delay = backoff ? backoff.initialMs : 0;
      setState('open');
      while (queue.length) ws.send(queue.shift() as string);
    };
    ws.onmessage = (e: MessageEvent) => {
      let frame: WsServerFrame;
      try {
        frame = JSON.parse(String(e.data)) as WsServerFrame;
      } catch {
        return;
      }
      if ('ev' in frame) {
        for (const l of listeners.get(frame.ev) ?? []) {
          try { (l as (p: unknown) => void)(frame.payload); } catch (err) { console.error(err); }
        }
      } else {
        const resolve = pending.get(frame.id);
        pending.delete(frame.id);
        resolve?.(frame.res);
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      setState('closed');
      for (const resolve of pending.values()) resolve(disconnected());
      pending.clear();
      if (!closedByUser && backoff) {
        timer = setTimeout(connect, delay);
        delay = Math.min(delay * 2, backoff.maxMs);
      }
    };
  };

  connect();

  return {
    request<K extends RequestName>(name: K, input: unknown) {
      if (closedByUser) return Promise.resolve(disconnected());
      const id = nextId++;
      const frame: WsRequestFrame = input === undefined ? { id, ch: name } : { id, ch: name, req: input };
      const text = JSON.stringify(frame);
      return new Promise((resolve) => {
        pending.set(id, resolve as (r: Result<unknown>) => void);
        if (socket && state === 'open') socket.send(text);
        else queue.push(text);
      });
    },
    on<K extends PushName>(name: K, listener: (payload: Pushes[K]) => void) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener as (p: never) => void);
      return () => { set.delete(listener as (p: never) => void); };
    },
    state: () => state,
    onState(listener) {
      stateListeners.add(listener);
      return () => { stateListeners.delete(listener); };
    },
    close() {
      closedByUser = true;
      if (timer) clearTimeout(timer);
      socket?.close();
      for (const resolve of pending.values()) resolve(disconnected());
      pending.clear();
      queue.length = 0;
    },
  };
}

/**
 * The client for a page served by `tenant-mirror serve`. Without a token in the page URL every
 * request resolves FORBIDDEN with a hint, rather than failing at load.
 */
type PageLocation = { protocol: string; host: string; search: string };
export function createWsApi(location: PageLocation = (globalThis as unknown as { location: PageLocation }).location): Api {
  const url = socketUrlFromPage(location);
  if (url) return createWsClient(url);
  const refused: Result<never> = { ok: false, error: { code: 'FORBIDDEN', message: 'open the address printed by `tenant-mirror serve`: it carries the access token', retriable: false } };
  return { request: () => Promise.resolve(refused), on: () => () => {} };
}
