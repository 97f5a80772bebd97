/**
 * The desktop settings file (electron-store / conf): layout, defaults, JSON schema and version.
 * Pure data: `electron-settings-backend.ts` hands it to electron-store; tests hand it to `conf`
 * (electron-store's Node-only core) to exercise the same options on a real file.
 */
import type { AppView } from '../../../preload/contract/api.ts';
import { settingsMigrations } from './migrations.ts';

export interface AppPrefs {
  autoStart: boolean;
  lastView: AppView;
  /** Secret paths found in clear in an old file and removed; the UI asks for them again. */
  secretsToReenter: string[];
}

/** `settings` holds Settings with every secret as `{ env }` or `{ enc: base64 }`; validated with zod on read. */
export interface StoreDoc {
  settings: Record<string, unknown> | null;
  app: AppPrefs;
}

/** Layout version of the file, independent of the app version (conf wants full semver). */
export const STORE_VERSION = '2.1.0';

export const storeDefaults: StoreDoc = {
  settings: null,
  app: { autoStart: false, lastView: 'status', secretsToReenter: [] },
};

export const storeSchema = {
  settings: { type: ['object', 'null'] },
  app: {
    type: 'object',
    properties: {
      autoStart: { type: 'boolean' },
      lastView: { enum: ['status', 'tables', 'settings'] },
      secretsToReenter: { type: 'array', items: { type: 'string' } },
    },
    additionalProperties: false,
  },
} as const;

export const storeOptions = {
  name: 'settings',
  projectVersion: STORE_VERSION,
  defaults: storeDefaults,
  schema: storeSchema,
  migrations: settingsMigrations,
  clearInvalidConfig: false,
} as const;
