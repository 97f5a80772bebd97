/**
 * `tenant-mirror serve`: the engine (in a forked child process) plus the built renderer and the IPC
 * contract over a loopback WebSocket with a random token. `main/cli.ts` dispatches here.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { redactSecrets } from '../../preload/contract/settings-public.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { createEngineHost } from '../host/engine-host.ts';
import type { ChildHandle } from '../host/engine-proxy.ts';
import { forkEngineChild } from '../host/fork-child.ts';
import type { Checks } from '../ipc/handlers.ts';
import { startWsServer } from '../ipc/ws-server.ts';
import type { WsCaller, WsServer } from '../ipc/ws-server.ts';
import { createFileSettings } from './file-settings.ts';
import { parseServeArgs, SERVE_USAGE, UsageError, wantsServeHelp } from './serve-args.ts';
import type { ServeOptions } from './serve-args.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export interface ServeHandle {
  server: WsServer;
  /** Start error of the engine at boot, if any (the server still runs so the UI can fix settings). */
  startError: string | null;
  close(): Promise<void>;
}

export interface ServeDeps {
  spawn?: () => ChildHandle;
  checks?: Checks;
  log?: (line: string) => void;
}

export async function startServe(opts: ServeOptions, deps: ServeDeps = {}): Promise<ServeHandle> {
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Engine log lines are printed at the settings' logLevel (info unless set): no debug lines at info.
  let logLevel: Settings['logLevel'] = 'info';
  const LEVELS = ['error', 'warn', 'info', 'debug'];
  const shown = (level: string): boolean => LEVELS.indexOf(level) <= LEVELS.indexOf(logLevel);
  const settings = createFileSettings(path.resolve(opts.config));
  const host = await createEngineHost<WsCaller>({
    identity: { mode: 'serve', version: VERSION, runtime: { node: process.versions.node } },
    settings,
    bundleSettings: async () => {
      const s = await settings.load().catch(() => null);
      return s ? redactSecrets(s) : null;
    },
    ...(deps.checks ? { checks: deps.checks } : {}),
    spawn: deps.spawn ?? (() => forkEngineChild()),
    activityFile: activityLogPath(opts.config),
    log,
    onEngineLog: (level, message) => { if (shown(level)) log(`[engine ${level}] ${message}`); },
    onEngineExit: (code, expected) => { if (!expected) log(`engine process exited (code ${code})`); },
    onSettings: (s) => { logLevel = s.logLevel; },
    setAutoStart: async () => false, // a service manager (systemd, a Windows service) starts `serve`, not a login item
    info: async () => ({ mode: 'serve', version: VERSION, autoStart: false, secretsEncrypted: false, configured: (await settings.load().catch(() => null)) !== null }),
    authorize: () => true,
    onInternalError: (name, err) => log(`${name} failed: ${err instanceof Error ? err.stack : String(err)}`),
  });

  const server = await startWsServer({
    host: opts.host, port: opts.port, token: opts.token, envelope: host.envelope, staticDir: opts.staticDir, allowedOrigins: opts.allowedOrigins,
  });
  host.pushTo(server.push);

  let startError: string | null = null;
  try {
    const s = await settings.load();
    if (s) await host.start(s); else startError = `no settings at ${opts.config}: open the UI to set up`;
  } catch (err) {
    startError = err instanceof Error ? err.message : String(err);
  }

  return {
    server,
    startError,
    async close() {
      await host.close();
      await server.close();
    },
  };
}

/** The activity log file, next to the serve settings: `serve.json` → `serve-activity.log` (+ `.1`). */
export function activityLogPath(config: string): string {
  const abs = path.resolve(config);
  return path.join(path.dirname(abs), `${path.basename(abs, path.extname(abs))}-activity.log`);
}

export async function serveCommand(argv: string[]): Promise<number> {
  let opts: ServeOptions;
  if (wantsServeHelp(argv)) { process.stdout.write(`${SERVE_USAGE}\n`); return 0; }
  try {
    const built = path.join(ROOT, 'out/renderer');
    opts = parseServeArgs(argv, { staticDir: existsSync(built) ? built : null, config: process.env.TENANT_MIRROR_CONFIG });
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${SERVE_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const handle = await startServe(opts);
  if (handle.startError) process.stderr.write(`engine not started: ${handle.startError}\n`);
  if (!opts.staticDir) process.stderr.write('no built renderer found (run `npm run build`, or pass --static <dir>): serving the API only\n');
  process.stdout.write(`Tenant Mirror is serving on ${handle.server.pageUrl}\n`);
  process.stdout.write(`API socket: ${handle.server.socketUrl}\n`);
  if (!opts.tokenGenerated) process.stdout.write('(the token is the one given with --token)\n');

  return new Promise<number>((resolve) => {
    const shutdown = (): void => {
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      process.stderr.write('stopping…\n');
      handle.close().then(() => resolve(0), () => resolve(1));
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}

if (import.meta.main) {
  serveCommand(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
