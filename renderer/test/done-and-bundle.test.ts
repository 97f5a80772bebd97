import { afterEach, describe, expect, test, vi } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import type { AppInfo } from '../../preload/contract/api.ts';
import App from '../src/App.svelte';
import { EngineStore } from '../src/lib/stores/engine.svelte.ts';
import Dashboard from '../src/views/Dashboard.svelte';
import { engineStatus, manyTables } from './support/dto.ts';
import { createTestApi, ok } from './support/fake-api.ts';
import { render } from './support/render.ts';
import { text } from './support/text.ts';

afterEach(() => { vi.restoreAllMocks(); });

describe('done step and support bundle', () => {
  test('desktop: the Done step toggles auto-start through app:set-auto-start and shows a failure with its fix', async () => {
    const info: AppInfo = { mode: 'desktop', version: '0.1.0', autoStart: false, secretsEncrypted: true, configured: false };
    let fail = false;
    const api = createTestApi({
      'app:info': () => ok(info),
      'tables:list': () => ok([]),
      'provision:start': () => ok({ started: true } as const),
      'app:set-auto-start': (i) => (fail
        ? { ok: false, error: { code: 'FORBIDDEN', message: 'login items are managed by policy', retriable: false, detail: { fix: 'Ask your administrator.' } } }
        : ok({ enabled: i.enabled })),
    });
    render(App, { api });
    await userEvent.fill(page.getByLabelText('Tenant id'), 'acme');
    await userEvent.fill(page.getByLabelText('Brokers'), 'k:9092');
    for (let i = 0; i < 3; i++) await userEvent.click(page.getByRole('button', { name: 'Next' }));
    await userEvent.click(page.getByRole('button', { name: 'Start provisioning' }));
    await userEvent.click(page.getByRole('button', { name: 'Next' }));
    await expect.element(page.getByText(/keeps running in the system tray/)).toBeVisible();
    const toggle = page.getByRole('checkbox', { name: 'Start Tenant Mirror when I log in' });
    await userEvent.click(toggle);
    await expect.element(toggle).toBeChecked();
    expect(api.calls.at(-1)).toEqual({ name: 'app:set-auto-start', input: { enabled: true } });
    fail = true;
    await userEvent.click(toggle);
    await expect.element(page.getByTestId('error-fix')).toMatchTextContent(text('Ask your administrator.'));
    await userEvent.click(page.getByRole('button', { name: 'Open the dashboard' }));
    await expect.element(page.getByRole('heading', { name: 'Tables' })).toBeVisible();
  });

  test('Export support bundle downloads the JSON under the name the app gave', async () => {
    const saved: Array<{ name: string; href: string }> = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push({ name: this.download, href: this.href });
    });
    const api = createTestApi({
      'status:get': () => ok(engineStatus({ tables: manyTables(3) })),
      'support:bundle': () => ok({ fileName: 'tenant-mirror-support-1.json', json: '{"app":"tenant-mirror"}' }),
    });
    const engine = new EngineStore(api);
    render(Dashboard, { engine });
    await engine.load();
    await userEvent.click(page.getByRole('button', { name: 'Export support bundle' }));
    await expect.element(page.getByText('Support bundle saved as tenant-mirror-support-1.json.')).toBeVisible();
    expect(saved).toHaveLength(1);
    expect(saved[0]!.name).toBe('tenant-mirror-support-1.json');
    expect(await (await fetch(saved[0]!.href)).text()).toBe('{"app":"tenant-mirror"}');
  });
});
