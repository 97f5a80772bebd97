/**
 * The IPC contract over a WebSocket, for headless/remote use (`tenant-mirror serve`): the same
 * envelope (schema validation, coded errors) as Electron IPC, and the same pushes. The upgrade is
 * refused (HTTP 401) without the session token; a browser Origin, when sent, must be this server's
 * own. The HTTP side serves the built renderer.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import type { RequestName } from '../../preload/contract/api.ts';
import { WS_PATH, WS_TOKEN_PARAM } from '../../preload/contract/ws-frames.ts';
import type { WsServerFrame } from '../../preload/contract/ws-frames.ts';
import type { Envelope } from './envelope.ts';
import type { PushSink } from './push-hub.ts';
import { contentSecurityPolicy, createStaticHandler } from './static-files.ts';

export interface WsCaller { kind: 'ws'; remote: string }

export interface WsServerOptions {
  host: string;
  port: number;
  token: string;
  envelope: Envelope<WsCaller>;
  /** Built renderer directory, or null to serve no pages. */
  staticDir: string | null;
  /** Extra browser origins allowed to open the socket (e.g. a Vite dev server). */
  allowedOrigins?: readonly string[];
  maxPayloadBytes?: number;
}

export interface WsServer {
  /** Page URL including the token: what `serve` prints. */
  pageUrl: string;
  /** Socket URL including the token. */
  socketUrl: string;
  port: number;
  push: PushSink;
  clientCount(): number;
  close(): Promise<void>;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
/** Constant-time comparison (hashing first makes lengths equal). */
export const tokenMatches = (given: string | null, expected: string): boolean =>
  given !== null && timingSafeEqual(digest(given), digest(expected));

export async function startWsServer(opts: WsServerOptions): Promise<WsServer> {
  let origin = '';
  const staticHandler = createStaticHandler(opts.staticDir, () => contentSecurityPolicy(origin.replace(/^http/, 'ws')));
  const http = createServer((req, res) => void staticHandler(req, res));
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayloadBytes ?? 4 * 1024 * 1024 });

  const refuse = (socket: Duplex, status: number, text: string): void => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (!tokenMatches(url.searchParams.get(WS_TOKEN_PARAM), opts.token)) return refuse(socket, 401, 'Unauthorized');
    const o = req.headers.origin;
    if (o !== undefined && o !== origin && !(opts.allowedOrigins ?? []).includes(o)) return refuse(socket, 403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const caller: WsCaller = { kind: 'ws', remote: req.socket.remoteAddress ?? '?' };
    const send = (frame: WsServerFrame): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    };
    ws.on('message', async (data, isBinary) => {
      let frame: unknown;
      try {
        frame = isBinary ? undefined : JSON.parse(data.toString());
      } catch {
        frame = undefined;
      }
      const f = frame as { id?: unknown; ch?: unknown; req?: unknown } | undefined;
      const id = typeof f?.id === 'number' && Number.isSafeInteger(f.id) ? f.id : null;
      if (!f || typeof f !== 'object' || id === null) {
        send({ id: id ?? -1, res: { ok: false, error: { code: 'BAD_REQUEST', message: 'a frame must be JSON {id:number, ch:string, req?:any}', retriable: false } } });
        return;
      }
      send({ id, res: await opts.envelope(f.ch as RequestName, caller, f.req) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, opts.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const hostInUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  origin = `http://${hostInUrl}:${port}`;
  const q = `${WS_TOKEN_PARAM}=${encodeURIComponent(opts.token)}`;

  return {
    pageUrl: `${origin}/?${q}`,
    socketUrl: `ws://${hostInUrl}:${port}${WS_PATH}?${q}`,
    port,
    push: (name, payload) => {
      const text = JSON.stringify({ ev: name, payload });
      for (const c of wss.clients) if (c.readyState === WebSocket.OPEN) c.send(text);
    },
    clientCount: () => wss.clients.size,
    close: () => new Promise<void>((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      http.close(() => resolve());
      http.closeAllConnections();
    }),
  };
}
