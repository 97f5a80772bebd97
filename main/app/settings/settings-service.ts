/**
 * Settings for the desktop shell: the document in a key-value store (electron-store in the app, an
 * in-memory map or `conf` in tests) with secrets sealed by the SecretStore. Renderer-facing reads are
 * redacted; only `loadResolved`/`resolve*` (main-side, for the engine and probes) see plaintext.
 */
import { settingsSchema, tenantSchema, replicaSchema, describeSettingsIssues, withoutRetiredSettings } from '../../../preload/contract/settings.ts';
import type { ReplicaSettings, Settings } from '../../../preload/contract/settings.ts';
import type { PublicSettings, ReplicaWithSecretInputs, SettingsWithSecretInputs, TenantWithSecretInputs } from '../../../preload/contract/settings-public.ts';
import { MirrorError } from '../../engine/errors.ts';
import type { SettingsService, TenantSettings } from '../../ipc/handlers.ts';
import { isSealed } from './secret-store.ts';
import type { SecretStore } from './secret-store.ts';
import { mapSecrets, secretAt } from './secret-paths.ts';
import type { SecretPath } from './secret-paths.ts';
import type { AppPrefs } from './store-layout.ts';

/** The slice of electron-store/conf this needs. */
export interface KeyValueStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export interface DesktopSettings extends SettingsService {
  loadResolved(): Promise<Settings | null>;
  prefs(): AppPrefs;
  setPrefs(patch: Partial<AppPrefs>): void;
}

const isStoredMarker = (v: unknown): boolean => typeof v === 'object' && v !== null && (v as { stored?: unknown }).stored === true;

function parseOrThrow<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } }, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new MirrorError('CONFIG_INVALID', `${what}: ${describeSettingsIssues(r.error).join('; ')}`);
  return r.data;
}

export function createSettingsService(store: KeyValueStore, secrets: SecretStore): DesktopSettings {
  const stored = (): Record<string, unknown> | null => withoutRetiredSettings((store.get('settings') as Record<string, unknown> | null) ?? null);

  /** Replaces sealed secrets by plaintext and `{stored:true}` markers by the stored secret at the same path. */
  async function unseal<T>(value: T, prefix: 'tenant' | 'replica' | null): Promise<T> {
    const current = stored();
    const open = async (secret: unknown, path: SecretPath): Promise<unknown> => {
      if (isStoredMarker(secret)) {
        const kept = current ? secretAt(current, path) : undefined;
        if (!isSealed(kept)) throw new MirrorError('CONFIG_INVALID', `no password is stored for ${path}; enter it`, { detail: { key: path } });
        secret = kept;
      }
      if (isSealed(secret)) return (await secrets.open(secret)).value;
      return secret;
    };
    if (prefix === null) return mapSecrets(value, open);
    const wrapped = await mapSecrets({ [prefix]: value }, open);
    return wrapped[prefix] as T;
  }

  return {
    async getPublic() {
      const s = stored();
      if (!s) return null;
      return mapSecrets(s, async (v) => (isSealed(v) || typeof v === 'string' ? { stored: true } : v)) as Promise<unknown> as Promise<PublicSettings>;
    },

    async save(input: SettingsWithSecretInputs) {
      const current = stored();
      const sealedDoc = await mapSecrets(input, async (secret, path) => {
        if (typeof secret === 'string') return secrets.seal(secret);
        if (isStoredMarker(secret)) {
          const kept = current ? secretAt(current, path) : undefined;
          if (!isSealed(kept)) throw new MirrorError('CONFIG_INVALID', `no password is stored for ${path}; enter it`, { detail: { key: path } });
          return kept;
        }
        return secret; // { env }
      });
      const resolved = parseOrThrow(settingsSchema, await unseal(input, null), 'settings');
      store.set('settings', sealedDoc);
      const prefs = this.prefs();
      if (prefs.secretsToReenter.length) this.setPrefs({ secretsToReenter: [] });
      return resolved;
    },

    async resolveTenant(tenant: TenantWithSecretInputs): Promise<TenantSettings> {
      return parseOrThrow(tenantSchema, await unseal(tenant, 'tenant'), 'tenant');
    },

    async resolveReplica(replica: ReplicaWithSecretInputs): Promise<ReplicaSettings> {
      return parseOrThrow(replicaSchema, await unseal(replica, 'replica'), 'replica');
    },

    async loadResolved() {
      const s = stored();
      if (!s) return null;
      const missing = this.prefs().secretsToReenter;
      if (missing.length) throw new MirrorError('CONFIG_INVALID', `passwords must be entered again: ${missing.join(', ')}`);
      return parseOrThrow(settingsSchema, await unseal(s, null), 'stored settings');
    },

    prefs() {
      return store.get('app') as AppPrefs;
    },
    setPrefs(patch) {
      store.set('app', { ...this.prefs(), ...patch });
    },
  };
}
