/** The settings file in electron-store, with the layout, schema and migrations of `store-layout.ts`. */
import Store from 'electron-store';
import { storeOptions } from './settings/store-layout.ts';
import type { StoreDoc } from './settings/store-layout.ts';
import type { KeyValueStore } from './settings/settings-service.ts';

export function openElectronSettingsStore(): KeyValueStore & { path: string } {
  const store = new Store<StoreDoc>(storeOptions as unknown as ConstructorParameters<typeof Store<StoreDoc>>[0]);
  return {
    path: store.path,
    get: (key) => store.get(key),
    set: (key, value) => store.set(key, value),
  };
}
