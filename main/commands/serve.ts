/**
 * `tenant-mirror serve`: the engine (in a forked child process) plus the built renderer and the IPC
 * contract over a loopback WebSocket with a random token. `main/cli.ts` dispatches here.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import type { AppInfo, SupportBundle } from '../../preload/contract/api.ts';
import { redactSecrets } from '../../preload/contract/settings-public.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { createActivityLog } from '../engine/activity-log.ts';
import { createRotatingFile } from '../engine/rotating-file.ts';
import { loadChecks } from '../host/checks-loader.ts';
import type { ChildHandle } from '../host/engine-proxy.ts';
import { createEngineRunner } from '../host/engine-runner.ts';
import { createEngineSlot } from '../host/engine-slot.ts';
import { forkEngineChild } from '../host/fork-child.ts';
import { createEnvelope } from '../ipc/envelope.ts';
import { createHandlers } from '../ipc/handlers.ts';
import type { Checks } from '../ipc/handlers.ts';
import { wirePushes } from '../ipc/push-hub.ts';
import { startWsServer } from '../ipc/ws-server.ts';
import type { WsServer } from '../ipc/ws-server.ts';
import { createFileSettings } from './file-settings.ts';
import { parseServeArgs, SERVE_USAGE, UsageError } from './serve-args.ts';
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
  const slot = createEngineSlot();
  const settings = createFileSettings(path.resolve(opts.config));
  const activity = createActivityLog({
    file: createRotatingFile(activityLogPath(opts.config)),
    onWriteError: (err) => log(`activity log not written: ${err instanceof Error ? err.message : String(err)}`),
  });
  const detachActivity = activity.attach(slot);
  const runner = createEngineRunner({
    slot,
    spawn: deps.spawn ?? (() => forkEngineChild()),
    onLog: (level, message) => { if (shown(level)) log(`[engine ${level}] ${message}`); },
    onExit: (code, expected) => { if (!expected) log(`engine process exited (code ${code})`); },
  });
  const checks = deps.checks ?? (await loadChecks());

  const handlers = createHandlers({
    settings,
    checks,
    lifecycle: {
      engine: () => slot.current(),
      stoppedReason: () => runner.lastError(),
      settingsChanged: (s: Settings) => { logLevel = s.logLevel; return runner.restart(s); },
      provision: (s: Settings) => { logLevel = s.logLevel; return runner.restart(s, { provision: true }); },
      async supportBundle(): Promise<SupportBundle> {
        const s = await settings.load().catch(() => null);
        const fileName = `tenant-mirror-support-${Date.now()}.json`;
        activity.record({ level: 'info', kind: 'export', text: `Support bundle exported (${fileName})` });
        const body = {
          app: 'tenant-mirror', version: VERSION, mode: 'serve', node: process.versions.node, platform: process.platform,
          at: new Date().toISOString(), settings: s ? redactSecrets(s) : null, status: slot.status(), lastError: runner.lastError(),
          activityLogFile: activity.filePath, activity: activity.list(),
        };
        return { fileName, json: JSON.stringify(body, null, 2) };
      },
      async setAutoStart(): Promise<boolean> {
        return false; // a service manager (systemd, a Windows service) starts `serve`, not a login item
      },
      async info(): Promise<AppInfo> {
        return { mode: 'serve', version: VERSION, autoStart: false, secretsEncrypted: false, configured: (await settings.load().catch(() => null)) !== null };
      },
    },
    activity,
  });

  const envelope = createEnvelope({ handlers, authorize: () => true, onInternalError: (name, err) => log(`${name} failed: ${err instanceof Error ? err.stack : String(err)}`) });
  const server = await startWsServer({
    host: opts.host, port: opts.port, token: opts.token, envelope, staticDir: opts.staticDir, allowedOrigins: opts.allowedOrigins,
  });
  const unwire = wirePushes(slot, server.push);
  const unpushActivity = activity.onEntry((e) => server.push('activity', e));

  let startError: string | null = null;
  try {
    const s = await settings.load();
    if (s) { logLevel = s.logLevel; await runner.restart(s); } else startError = `no settings at ${opts.config}: open the UI to set up`;
  } catch (err) {
    startError = err instanceof Error ? err.message : String(err);
  }

  return {
    server,
    startError,
    async close() {
      unwire();
      unpushActivity();
      await runner.stop();
      detachActivity();
      activity.flush();
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
  try {
    const built = path.join(ROOT, 'out/renderer');
    opts = parseServeArgs(argv, { staticDir: existsSync(built) ? built : null });
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
