/**
 * What a front end runs around the engine child, built the same way for the desktop app
 * (`main/index.ts`) and `serve` (`main/commands/serve.ts`): the engine slot and runner, the activity
 * log, the contract's handlers behind one envelope, and the pushes to the front end's sink. The front
 * end brings only what differs: how the child is spawned, where settings live, its transport, the
 * auto-start switch and what `app:info` reports.
 */
import process from 'node:process';
import type { AppInfo, RequestName, SupportBundle } from '../../preload/contract/api.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { createActivityLog } from '../engine/activity-log.ts';
import { MirrorError } from '../engine/errors.ts';
import type { ActivityLog } from '../engine/activity-log.ts';
import { createRotatingFile } from '../engine/rotating-file.ts';
import { createEnvelope } from '../ipc/envelope.ts';
import type { Envelope } from '../ipc/envelope.ts';
import { createHandlers } from '../ipc/handlers.ts';
import type { Checks, SettingsService } from '../ipc/handlers.ts';
import { wirePushes } from '../ipc/push-hub.ts';
import type { PushSink } from '../ipc/push-hub.ts';
import { loadChecks } from './checks-loader.ts';
import type { ChildHandle } from './engine-proxy.ts';
import { createEngineRunner } from './engine-runner.ts';
import type { EngineRunner } from './engine-runner.ts';
import { createEngineSlot } from './engine-slot.ts';
import type { StartOptions } from './protocol.ts';
import type { EngineSlot } from './engine-slot.ts';

export interface EngineHostOptions<C> {
  /** Who the support bundle says made it: `runtime` holds e.g. `{ electron: '…' }` or `{ node: '…' }`. */
  identity: { mode: AppInfo['mode']; version: string; runtime: Record<string, string | undefined> };
  settings: SettingsService;
  /** The settings as the support bundle shows them (secrets never included). */
  bundleSettings(): Promise<unknown>;
  /** Connection probes; the engine's own (loaded lazily) unless given. */
  checks?: Checks;
  spawn(): ChildHandle;
  /** The activity log's rotating file. */
  activityFile: string;
  /** The host's own messages (an activity log that cannot be written). */
  log(line: string): void;
  onEngineLog?: (level: string, message: string) => void;
  onEngineExit?: (code: number | null, expected: boolean) => void;
  /** The waits before the engine is started again by itself (engine-runner.ts RETRY_DELAYS_MS; tests shorten them). */
  retryDelaysMs?: readonly number[];
  /** Called with the settings an engine is about to (re)start on. */
  onSettings?: (settings: Settings) => void;
  /** The front end's auto-start switch and `app:info` answer. */
  setAutoStart(enabled: boolean): Promise<boolean>;
  info(): Promise<AppInfo>;
  /** Who may call the contract (the envelope answers FORBIDDEN otherwise). */
  authorize(caller: C, name: RequestName): boolean;
  onInternalError?: (name: string, err: unknown) => void;
}

export interface EngineHost<C> {
  slot: EngineSlot;
  runner: EngineRunner;
  activity: ActivityLog;
  /** Every contract call, whatever the transport, goes through this. */
  envelope: Envelope<C>;
  /** Starts (or restarts) the engine on `settings`; rejects with the start error. */
  start(settings: Settings): Promise<void>;
  /** Sends engine events, status and activity entries to `sink`; returns the unwiring. */
  pushTo(sink: PushSink): () => void;
  /** Unwires the pushes, stops the engine, detaches and flushes the activity log. */
  close(): Promise<void>;
}

export async function createEngineHost<C>(opts: EngineHostOptions<C>): Promise<EngineHost<C>> {
  const slot = createEngineSlot();
  const activity = createActivityLog({
    file: createRotatingFile(opts.activityFile),
    onWriteError: (err) => opts.log(`activity log not written: ${err instanceof Error ? err.message : String(err)}`),
  });
  const detachActivity = activity.attach(slot);
  const runner = createEngineRunner({
    slot,
    spawn: opts.spawn,
    ...(opts.onEngineLog ? { onLog: opts.onEngineLog } : {}),
    ...(opts.onEngineExit ? { onExit: opts.onEngineExit } : {}),
    ...(opts.retryDelaysMs ? { retryDelaysMs: opts.retryDelaysMs } : {}),
    onRetry: (err, at) => opts.log(`engine not running (${err.code}: ${err.message}); started again at ${new Date(at).toISOString()}`),
  });
  const checks = opts.checks ?? (await loadChecks());
  // The settings the engine was last started on: a reset of the offsets restarts it on them.
  let current: Settings | null = null;
  const restart = (settings: Settings, first: StartOptions = {}): Promise<void> => {
    current = settings;
    opts.onSettings?.(settings);
    return runner.restart(settings, first);
  };

  const handlers = createHandlers({
    settings: opts.settings,
    checks,
    lifecycle: {
      engine: () => slot.current(),
      stoppedReason: () => runner.lastError(),
      settingsChanged: (s) => restart(s),
      provision: (s) => restart(s, { provision: true }),
      resetOffsets: () => {
        if (!current) return Promise.reject(new MirrorError('ENGINE_STOPPED', 'the engine was never started here: finish the setup first'));
        return restart(current, { resetOffsets: true });
      },
      async supportBundle(): Promise<SupportBundle> {
        const settings = await opts.bundleSettings();
        const fileName = `tenant-mirror-support-${Date.now()}.json`;
        activity.record({ level: 'info', kind: 'export', text: `Support bundle exported (${fileName})` });
        const { mode, version, runtime } = opts.identity;
        const body = {
          app: 'tenant-mirror', version, mode, ...runtime, platform: process.platform, at: new Date().toISOString(),
          settings, status: slot.status(), lastError: runner.lastError(), activityLogFile: activity.filePath, activity: activity.list(),
        };
        return { fileName, json: JSON.stringify(body, null, 2) };
      },
      setAutoStart: (enabled) => opts.setAutoStart(enabled),
      info: () => opts.info(),
    },
    activity,
  });
  const envelope = createEnvelope<C>({
    handlers,
    authorize: (caller, name) => opts.authorize(caller, name),
    ...(opts.onInternalError ? { onInternalError: opts.onInternalError } : {}),
  });

  const unwirings: Array<() => void> = [];
  return {
    slot,
    runner,
    activity,
    envelope,
    start: (settings) => restart(settings),
    pushTo(sink) {
      const unwire = wirePushes(slot, sink);
      const unpushActivity = activity.onEntry((e) => sink('activity', e));
      const off = (): void => { unwire(); unpushActivity(); };
      unwirings.push(off);
      return off;
    },
    async close() {
      unwirings.splice(0).forEach((off) => off());
      await runner.stop();
      detachActivity();
      activity.flush();
    },
  };
}
