import { describe, expect, test } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import type { AppInfo } from '../../preload/contract/api.ts';
import type { PublicSettings } from '../../preload/contract/settings-public.ts';
import { TUNING_KEYS } from '../../preload/contract/settings.ts';
import App from '../src/App.svelte';
import { engineStatus } from './support/dto.ts';
import { createTestApi, ok } from './support/fake-api.ts';
import type { Handlers } from './support/fake-api.ts';
import { render } from './support/render.ts';
import { text } from './support/text.ts';

const INFO: AppInfo = { mode: 'serve', version: '0.1.0', autoStart: false, secretsEncrypted: false, configured: true };
const STORED = {
  tenant: { ctx: 'acme', brokers: ['kafka:9092'], ssl: false, clientId: 'tenant-mirror' },
  replica: { kind: 'postgres', host: 'db.example', port: 5432, database: 'mirror', user: 'mirror', ssl: false, password: { env: 'TM_PG' } },
  tablePrefix: '', tables: { include: [], exclude: [], honourBlockedList: true },
  maxPollTimeSeconds: 1, maxBytes: 4_194_304, readAheadBytes: 16_777_216, databaseBatchSize: 5000, schemaUpdateIntervalSeconds: 3600,
  autoResyncOnGap: true, retryInitialMs: 500, retryMaxMs: 30_000, snapshotFenceDelayMs: 1500, resyncStallSeconds: 600, logLevel: 'info',
} as unknown as PublicSettings;

function start(handlers: Handlers = {}) {
  const api = createTestApi({
    'app:info': () => ok(INFO), 'settings:get': () => ok(STORED), 'status:get': () => ok(engineStatus({ replica: 'postgres' })),
    'activity:list': () => ok([]), 'tables:list': () => ok([]), 'settings:save': () => ok({ saved: true } as const), ...handlers,
  });
  render(App, { api });
  return api;
}

describe('settings page', () => {
  test('the header names the replica in use; Settings is its own page with the tuning keys described', async () => {
    start();
    await expect.element(page.getByTestId('replica-in-use')).toHaveTextContent('PostgreSQL db.example:5432/mirror');
    await userEvent.click(page.getByRole('button', { name: 'Settings', exact: true }));
    await expect.element(page.getByRole('button', { name: 'Run the setup wizard again' })).toBeVisible();
    await expect.element(page.getByRole('heading', { name: 'Tenant source' })).toBeVisible();
    await expect.element(page.getByRole('button', { name: 'Next' })).not.toBeInTheDocument();
    await userEvent.click(page.getByRole('button', { name: 'Tuning' }));
    for (const key of ['schemaUpdateIntervalSeconds', 'autoResyncOnGap', 'logLevel', 'maxPollTimeSeconds', 'databaseBatchSize'] as const) {
      const box = page.getByTestId(`tuning-${key}`);
      await expect.element(box).toMatchTextContent(text(TUNING_KEYS[key].description));
      await expect.element(box).toMatchTextContent(text('Applies when saved (the engine restarts)'));
    }
    await expect.element(page.getByLabelText('Schema check interval (s)')).toHaveValue('3600');
  });

  test('saving validates with the settings schema: a bad value is marked on its field; a good one is saved with the env password', async () => {
    const api = start();
    await userEvent.click(page.getByRole('button', { name: 'Settings', exact: true }));
    await userEvent.click(page.getByRole('button', { name: 'Tuning' }));
    await userEvent.fill(page.getByLabelText('Schema check interval (s)'), '0');
    await userEvent.fill(page.getByLabelText('Events per replica transaction'), 'lots');
    await userEvent.click(page.getByRole('button', { name: 'Save settings' }));
    await expect.element(page.getByText('must be at least 1')).toBeVisible();
    await expect.element(page.getByText('enter a number')).toBeVisible();
    expect(api.calls.some((c) => c.name === 'settings:save')).toBe(false);

    await userEvent.fill(page.getByLabelText('Schema check interval (s)'), '120');
    await userEvent.fill(page.getByLabelText('Events per replica transaction'), '2000');
    await userEvent.click(page.getByLabelText('Resync automatically after a gap'));
    await userEvent.click(page.getByRole('button', { name: 'Save settings' }));
    await expect.element(page.getByTestId('settings-saved')).toBeVisible();
    const saved = api.calls.find((c) => c.name === 'settings:save')?.input as Record<string, unknown>;
    expect(saved).toMatchObject({ schemaUpdateIntervalSeconds: 120, databaseBatchSize: 2000, autoResyncOnGap: false, replica: { kind: 'postgres', password: { env: 'TM_PG' } } });
  });

  test('a password the host may not store is refused on its field: the variable field is marked and its section opened', async () => {
    const api = start({
      'settings:save': () => ({ ok: false, error: { code: 'CONFIG_INVALID', message: 'serve mode cannot store the password for replica.password: give it as { "env": "VAR" }', retriable: false, detail: { key: 'replica.password' } } }),
    });
    await userEvent.click(page.getByRole('button', { name: 'Settings', exact: true }));
    await userEvent.click(page.getByRole('button', { name: 'Replica' }));
    await userEvent.fill(page.getByLabelText('…or the password from an environment variable'), '');
    await userEvent.fill(page.getByLabelText('Password', { exact: true }), 'typed-secret');
    await userEvent.click(page.getByRole('button', { name: 'Tuning' }));
    await userEvent.click(page.getByRole('button', { name: 'Save settings' }));
    await expect.element(page.getByText('this password cannot be stored here: name the environment variable that holds it')).toBeVisible();
    await expect.element(page.getByLabelText('…or the password from an environment variable')).toBeVisible();
    expect(api.calls.filter((c) => c.name === 'settings:save')).toHaveLength(1);
  });

  test('replica: a bad port and a bad variable name say what to do', async () => {
    const api = start();
    await userEvent.click(page.getByRole('button', { name: 'Settings', exact: true }));
    await userEvent.click(page.getByRole('button', { name: 'Replica' }));
    await expect.element(page.getByLabelText('…or the password from an environment variable')).toHaveValue('TM_PG');
    await userEvent.fill(page.getByLabelText('Port'), 'abc');
    await userEvent.fill(page.getByLabelText('…or the password from an environment variable'), '9-bad');
    await userEvent.click(page.getByRole('button', { name: 'Save settings' }));
    await expect.element(page.getByText('port must be a number 1–65535')).toBeVisible();
    await expect.element(page.getByText('an environment variable name: letters, digits and _, not starting with a digit')).toBeVisible();
    expect(api.calls.some((c) => c.name === 'settings:save')).toBe(false);
  });
});
