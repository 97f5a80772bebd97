import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { APP_ID } from '../../main/app/app-id.ts';
import { TRAY_HEALTHS } from '../../main/app/tray-state.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML / a config object, walked by the assertions below
type Cfg = Record<string, any>;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cfg = yaml.load(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Cfg;

test('appId matches the AppUserModelId set at startup', () => {
  assert.equal(cfg['appId'], APP_ID);
});

test('targets, resources and files', () => {
  assert.equal(cfg['directories'].buildResources, 'build');
  assert.deepEqual(cfg['win'].target.map((t: { target: string }) => t.target), ['nsis']);
  assert.deepEqual(cfg['linux'].target, ['AppImage', 'deb']);
  assert.ok(cfg['files'].includes('out/**/*'));
  assert.ok(cfg['extraResources'].some((r: { from: string; to: string }) => r.from === 'build/tray' && r.to === 'tray'));
  for (const f of ['build/icon.png', 'build/icon.ico', 'build/icons/256x256.png', 'build/icons/512x512.png']) assert.ok(existsSync(path.join(root, f)), f);
  for (const h of TRAY_HEALTHS) {
    assert.ok(existsSync(path.join(root, 'build/tray', `tray-${h}.png`)), h);
    assert.ok(existsSync(path.join(root, 'build/tray', `tray-${h}@2x.png`)), h);
  }
});

test('fuses are set as the security baseline requires', () => {
  assert.deepEqual(cfg['electronFuses'], {
    runAsNode: false, enableCookieEncryption: true, enableNodeOptionsEnvironmentVariable: false,
    onlyLoadAppFromAsar: true, enableEmbeddedAsarIntegrityValidation: true,
  });
});

test('electron-vite has explicit entries: main + engine child + fetch thread, CJS preload, Svelte renderer', async () => {
  const { default: config } = await import('../../electron.config.ts') as { default: Cfg };
  assert.deepEqual(Object.keys(config.main.build.rolldownOptions.input).sort(), ['engine-child', 'fetch-thread-worker', 'index']);
  // Built beside engine-child.js as fetch-thread-worker.js, where fetchThreadEntry() looks for it.
  assert.match(config.main.build.rolldownOptions.input['fetch-thread-worker']!, /main[\\/]engine[\\/]source[\\/]fetch-thread-worker\.ts$/);
  assert.match(config.main.build.rolldownOptions.input.index, /main[\\/]index\.ts$/);
  assert.match(config.preload.build.rolldownOptions.input.index, /preload[\\/]index\.ts$/);
  assert.equal(config.preload.build.rolldownOptions.output.format, 'cjs');
  assert.match(config.renderer.build.rolldownOptions.input.index, /renderer[\\/]index\.html$/);
  assert.ok(config.renderer.plugins.flat().some((p: { name?: string }) => /svelte/.test(p?.name ?? '')));
});
