/**
 * Folder main/app/settings/: the desktop settings store: layout, migrations, encrypted secrets.
 *
 * Migrations of the settings file, in conf/electron-store form (keyed by layout version, run in
 * semver order, only for an existing file). Pure: they touch the store through get/set/delete only.
 */
import { SECRET_PATHS, secretAt } from './secret-paths.ts';

export interface MigrationStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
  has(key: string): boolean;
}

export const settingsMigrations: Record<string, (store: MigrationStore) => void> = {
  /** 1.0.0: the first layout: `{ settings, autoStart }`. */
  '1.0.0': () => {},
  /**
   * 2.0.0: app preferences move under `app`; any secret found in clear (a hand-edited file, or a
   * build that predates safeStorage) is removed and listed in `app.secretsToReenter`.
   */
  '2.0.0': (store) => {
    const autoStart = store.get('autoStart');
    const app = (store.get('app') ?? {}) as Record<string, unknown>;
    store.set('app', {
      autoStart: typeof autoStart === 'boolean' ? autoStart : app['autoStart'] === true,
      lastView: typeof app['lastView'] === 'string' ? app['lastView'] : 'status',
      secretsToReenter: Array.isArray(app['secretsToReenter']) ? app['secretsToReenter'] : [],
    });
    if (store.has('autoStart')) store.delete('autoStart');

    const settings = store.get('settings');
    if (typeof settings !== 'object' || settings === null) return;
    const removed: string[] = [];
    for (const path of SECRET_PATHS) {
      if (typeof secretAt(settings, path) === 'string') {
        store.delete(`settings.${path}`);
        removed.push(path);
      }
    }
    if (removed.length) store.set('app.secretsToReenter', removed);
  },
  /**
   * 2.1.0: fetches wait to fill (`minFetchBytes`), and `maxPollTimeSeconds` bounds that wait: its default
   * went from 1 to 0.1 s. The Settings page saves every key, so a file holding 1 most likely holds the old
   * default, which would now make every trickling event wait up to a second: it is dropped (the new default
   * applies). Any other value was chosen and stays.
   */
  '2.1.0': (store) => {
    if (store.get('settings.maxPollTimeSeconds') === 1) store.delete('settings.maxPollTimeSeconds');
  },
};
