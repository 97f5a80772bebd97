/**
 * One handler per contract request. The `Handlers` type is a mapped type over the contract, so a
 * missing or mistyped handler is a compile error; `test/unit/ipc-handlers-cover-contract.test.ts`
 * makes it a test-time fact too. Handlers receive parsed input (the envelope validated it).
 */
import type {
  AppInfo, CheckReport, RequestName, RequestParsed, Responses, SupportBundle, TableChoice,
} from '../../preload/contract/api.ts';
import type { PublicSettings, ReplicaWithSecretInputs, SettingsWithSecretInputs, TenantWithSecretInputs } from '../../preload/contract/settings-public.ts';
import type { ReplicaSettings, Settings } from '../../preload/contract/settings.ts';
import type { z } from 'zod';
import type { tenantSchema } from '../../preload/contract/settings.ts';
import type { ErrorData } from '../../preload/contract/errors.ts';
import type { ActivityEntry } from '../../preload/contract/activity.ts';
import type { EngineControl } from '../engine/engine-control.ts';
import { MirrorError } from '../engine/errors.ts';

export type Handlers = { [K in RequestName]: (input: RequestParsed<K>) => Promise<Responses[K]> };

export type TenantSettings = z.infer<typeof tenantSchema>;

/** Settings as the front end keeps them: secrets stored out of band, resolved only in main. */
export interface SettingsService {
  getPublic(): Promise<PublicSettings | null>;
  /** Stores new secrets (encrypted), keeps `{ stored: true }` ones; returns the resolved settings. */
  save(input: SettingsWithSecretInputs): Promise<Settings>;
  /** Replaces `{ stored: true }` markers with the stored secret. */
  resolveTenant(tenant: TenantWithSecretInputs): Promise<TenantSettings>;
  resolveReplica(replica: ReplicaWithSecretInputs): Promise<ReplicaSettings>;
}

/** Connection probes (the engine's `checks.ts`), injected so handlers are testable without servers. */
export interface Checks {
  testKafka(tenant: TenantSettings): Promise<CheckReport>;
  testReplica(replica: ReplicaSettings, tablePrefix: string): Promise<CheckReport>;
  listTables(tenant: TenantSettings): Promise<TableChoice[]>;
}

/** What the front end (desktop shell or serve command) does around the engine. */
export interface Lifecycle {
  /** Current engine, or null when none runs (not configured yet, or stopped). */
  engine(): EngineControl | null;
  /** Why no engine runs (last start failure or crash), if known. */
  stoppedReason?(): ErrorData | null;
  /** Settings were saved: restart the engine on them. */
  settingsChanged(settings: Settings): Promise<void>;
  /** Provision the replica and start replicating (initial snapshot). */
  provision(settings: Settings): Promise<void>;
  /**
   * Restart the engine on its settings, moving the offsets to the change topic's end and resyncing every
   * table first (the recovery from OFFSET_AHEAD / TOPIC_CHANGED, as `tenant-mirror reset-offsets`).
   */
  resetOffsets(): Promise<void>;
  supportBundle(): Promise<SupportBundle>;
  setAutoStart(enabled: boolean): Promise<boolean>;
  info(): Promise<AppInfo>;
}

export interface HandlerDeps {
  settings: SettingsService;
  checks: Checks;
  lifecycle: Lifecycle;
  /** The activity log the host keeps (main/engine/activity-log.ts): outlives engine restarts and reloads. */
  activity: { list(): ActivityEntry[] };
}

function running(lifecycle: Lifecycle): EngineControl {
  const engine = lifecycle.engine();
  if (!engine) {
    const why = lifecycle.stoppedReason?.() ?? null;
    const message = why ? `the engine is not running: ${why.message}` : 'the engine is not running; finish the setup or check the settings';
    throw new MirrorError('ENGINE_STOPPED', message, { retriable: true, ...(why ? { detail: { cause: why.code } } : {}) });
  }
  return engine;
}

export function createHandlers({ settings, checks, lifecycle, activity }: HandlerDeps): Handlers {
  return {
    'status:get': async () => running(lifecycle).status(),
    'tables:resync': async ({ tables }) => running(lifecycle).resyncTables(tables),
    'schema:update': async () => running(lifecycle).updateSchema(),
    'engine:pause': async () => {
      const engine = running(lifecycle);
      await engine.pause();
      return engine.status();
    },
    'engine:resume': async () => {
      const engine = running(lifecycle);
      await engine.resume();
      return engine.status();
    },
    'settings:get': async () => settings.getPublic(),
    'settings:save': async (input) => {
      const resolved = await settings.save(input);
      await lifecycle.settingsChanged(resolved);
      return { saved: true };
    },
    'connection:test': async ({ tenant }) => checks.testKafka(await settings.resolveTenant(tenant)),
    'replica:test': async ({ replica, tablePrefix }) => checks.testReplica(await settings.resolveReplica(replica), tablePrefix),
    'tables:list': async ({ tenant }) => checks.listTables(await settings.resolveTenant(tenant)),
    'provision:start': async (input) => {
      const resolved = await settings.save(input);
      await lifecycle.provision(resolved);
      return { started: true };
    },
    'offsets:reset': async () => {
      await lifecycle.resetOffsets();
      return { restarted: true };
    },
    'support:bundle': async () => lifecycle.supportBundle(),
    'app:set-auto-start': async ({ enabled }) => ({ enabled: await lifecycle.setAutoStart(enabled) }),
    'app:info': async () => lifecycle.info(),
    'activity:list': async () => activity.list(),
  };
}
