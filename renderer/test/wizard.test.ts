import { describe, expect, test } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import type { AppInfo, CheckReport } from '../../preload/contract/api.ts';
import App from '../src/App.svelte';
import { FIX_BY_CODE } from '../src/lib/error-fixes.ts';
import { engineStatus, tableStatus } from './support/dto.ts';
import { createTestApi, ok } from './support/fake-api.ts';
import type { Handlers } from './support/fake-api.ts';
import { render } from './support/render.ts';
import { text } from './support/text.ts';

const INFO: AppInfo = { mode: 'serve', version: '0.1.0', autoStart: false, secretsEncrypted: false, configured: false };

function start(handlers: Handlers = {}) {
  const api = createTestApi({ 'app:info': () => ok(INFO), ...handlers });
  render(App, { api });
  return api;
}

const next = () => userEvent.click(page.getByRole('button', { name: 'Next' }));
const back = () => userEvent.click(page.getByRole('button', { name: 'Back' }));

async function fillTenant(): Promise<void> {
  await userEvent.fill(page.getByLabelText('Tenant id'), 'acme');
  await userEvent.fill(page.getByLabelText('Brokers'), 'kafka-1:9092, kafka-2:9092');
}

describe('setup wizard', () => {
  test('Next validates the tenant step with the contract schema and stays put on errors', async () => {
    start();
    await expect.element(page.getByRole('heading', { name: 'Tenant source' })).toBeVisible();
    await next();
    await expect.element(page.getByRole('heading', { name: 'Tenant source' })).toBeVisible();
    await expect.element(page.getByLabelText('Tenant id')).toHaveAttribute('aria-invalid', 'true');
    await expect.element(page.getByText('enter at least one broker as host:port')).toBeVisible();
    await expect.element(page.getByText('enter the tenant id your provider gave you (letters, digits, _ . -)')).toBeVisible();

    await userEvent.fill(page.getByLabelText('Tenant id'), 'acme corp');
    await userEvent.fill(page.getByLabelText('Brokers'), 'kafka-1');
    await next();
    await expect.element(page.getByText('the tenant id has only letters, digits, _ . - and starts with a letter or digit')).toBeVisible();
    await expect.element(page.getByText('broker must be host:port')).toBeVisible();

    await fillTenant();
    await next();
    await expect.element(page.getByRole('heading', { name: 'Replica database' })).toBeVisible();
  });

  test('Back and Next keep every field, including the other dialects\' fields', async () => {
    start({ 'tables:list': () => ok([]) });
    await fillTenant();
    await userEvent.click(page.getByLabelText('Use SASL authentication'));
    await userEvent.fill(page.getByLabelText('User name'), 'mirror-user');
    await userEvent.fill(page.getByLabelText('Password'), 's3cret');
    await next();

    await userEvent.fill(page.getByLabelText('Database file'), '/data/acme.sqlite');
    await userEvent.click(page.getByRole('radio', { name: /PostgreSQL/ }));
    await userEvent.fill(page.getByLabelText('Database', { exact: true }), 'mirror');
    await next(); // invalid: no user
    await expect.element(page.getByRole('heading', { name: 'Replica database' })).toBeVisible();
    await expect.element(page.getByLabelText('User')).toHaveAttribute('aria-invalid', 'true');

    await back();
    await expect.element(page.getByLabelText('Tenant id')).toHaveValue('acme');
    await expect.element(page.getByLabelText('Brokers')).toHaveValue('kafka-1:9092, kafka-2:9092');
    await expect.element(page.getByLabelText('User name')).toHaveValue('mirror-user');
    await expect.element(page.getByLabelText('Password')).toHaveValue('s3cret');

    await next();
    await expect.element(page.getByRole('radio', { name: /PostgreSQL/ })).toBeChecked();
    await expect.element(page.getByLabelText('Database', { exact: true })).toHaveValue('mirror');
    await userEvent.click(page.getByRole('radio', { name: /SQLite/ }));
    await expect.element(page.getByLabelText('Database file')).toHaveValue('/data/acme.sqlite');
    await next();
    await expect.element(page.getByRole('heading', { name: 'Tables' })).toBeVisible();
    await back();
    await expect.element(page.getByLabelText('Database file')).toHaveValue('/data/acme.sqlite');
  });

  test('a failed check shows each item\'s message and its fix', async () => {
    const report: CheckReport = {
      ok: false,
      items: [
        { name: 'Cluster reachable', ok: true, message: '3 brokers', fix: null },
        { name: 'acme-cdc readable', ok: true, message: 'readable', fix: null },
        { name: 'acme-signal writable', ok: false, message: 'TOPIC_AUTHORIZATION_FAILED', fix: 'Ask your provider for WRITE on acme-signal.' },
      ],
    };
    const api = start({ 'connection:test': () => ok(report) });
    await fillTenant();
    await userEvent.click(page.getByRole('button', { name: 'Test connection' }));
    await expect.element(page.getByText('1 check(s) failed.')).toBeVisible();
    await expect.element(page.getByText('TOPIC_AUTHORIZATION_FAILED')).toBeVisible();
    await expect.element(page.getByTestId('check-fix')).toMatchTextContent(text('Ask your provider for WRITE on acme-signal.'));
    expect(api.calls.find((c) => c.name === 'connection:test')?.input).toEqual({
      tenant: { ctx: 'acme', brokers: ['kafka-1:9092', 'kafka-2:9092'], ssl: false, clientId: 'tenant-mirror' },
    });
  });

  test('an error result shows its message, its code and the fix for that code', async () => {
    start({
      'replica:test': () => ({ ok: false, error: { code: 'REPLICA_UNREACHABLE', message: 'connect ECONNREFUSED 127.0.0.1:5432', retriable: true } }),
    });
    await fillTenant();
    await next();
    await userEvent.click(page.getByRole('button', { name: 'Test replica and rights' }));
    const notice = page.getByTestId('error-notice');
    await expect.element(notice).toMatchTextContent(text('connect ECONNREFUSED 127.0.0.1:5432'));
    await expect.element(notice).toMatchTextContent(text('REPLICA_UNREACHABLE'));
    await expect.element(page.getByTestId('error-fix')).toMatchTextContent(text(FIX_BY_CODE.REPLICA_UNREACHABLE));
  });

  test('the engine\'s own fix (detail.fix) wins over the generic one', async () => {
    start({
      'provision:start': () => ({
        ok: false,
        error: { code: 'TENANT_MISMATCH', message: 'the replica belongs to tenant globex', retriable: false, detail: { fix: 'Pick another file.', file: '/x.sqlite' } },
      }),
      'tables:list': () => ok([{ id: 'crm.a', blocked: false, included: true }]),
    });
    await fillTenant();
    await next();
    await next();
    await next();
    await userEvent.click(page.getByRole('button', { name: 'Start provisioning' }));
    await expect.element(page.getByTestId('error-fix')).toMatchTextContent(text('Pick another file.'));
    await expect.element(page.getByTestId('error-notice')).toMatchTextContent(text('file: /x.sqlite'));
  });

  test('tables step shows the blocked list; unticked tables are excluded in the provision request', async () => {
    const api = start({
      'tables:list': () => ok([
        { id: 'crm.accounts', blocked: false, included: true },
        { id: 'crm.contacts', blocked: false, included: true },
        { id: 'crm.passwords', blocked: true, included: false },
      ]),
      'provision:start': () => ok({ started: true } as const),
    });
    await fillTenant();
    await next();
    await next();
    await expect.element(page.getByText('blocked', { exact: true })).toBeVisible();
    await expect.element(page.getByRole('checkbox', { name: /crm\.passwords/ })).toBeDisabled();
    await expect.element(page.getByTestId('tables-chosen')).toMatchTextContent(text('2 of 3 tables'));
    await userEvent.click(page.getByRole('checkbox', { name: 'crm.contacts' }));
    await expect.element(page.getByTestId('tables-chosen')).toMatchTextContent(text('1 of 3 tables'));
    await next();
    await userEvent.click(page.getByRole('button', { name: 'Start provisioning' }));
    const call = api.calls.find((c) => c.name === 'provision:start');
    expect(call?.input).toMatchObject({
      tenant: { ctx: 'acme' }, replica: { kind: 'sqlite', file: 'tenant-mirror-replica.sqlite' }, tablePrefix: '',
      tables: { include: [], exclude: ['crm.contacts'], honourBlockedList: true },
    });
  });

  test('provisioning shows live snapshot progress from pushes, then Done', async () => {
    const api = start({
      'tables:list': () => ok([{ id: 'crm.a', blocked: false, included: true }, { id: 'crm.b', blocked: false, included: true }]),
      'provision:start': () => ok({ started: true } as const),
    });
    await fillTenant();
    await next();
    await next();
    await next();
    await userEvent.click(page.getByRole('button', { name: 'Start provisioning' }));
    await expect.element(page.getByTestId('provision-progress')).toBeVisible();
    const snap = (rowsSeen: number) => ({ kind: 'initial' as const, rowsSeen, rowsExpected: 100, percent: null, startedAt: 0 });
    api.emit('status', engineStatus({
      state: 'snapshotting',
      tables: [tableStatus('crm.a', { state: 'snapshotting', snapshot: snap(10) }), tableStatus('crm.b', { state: 'pending' })],
    }));
    await expect.element(page.getByRole('progressbar', { name: 'Snapshot of crm.a' })).toHaveAttribute('aria-valuenow', '10');
    // crm.b has no known total yet: the overall bar says unknown, not a made-up percentage.
    await expect.element(page.getByRole('progressbar', { name: 'Initial snapshot, all tables' })).not.toHaveAttribute('aria-valuenow');
    api.emit('progress', { tables: [tableStatus('crm.a', { state: 'ok', rows: 100 }), tableStatus('crm.b', { state: 'snapshotting', snapshot: snap(50) })] });
    await expect.element(page.getByRole('progressbar', { name: 'Initial snapshot, all tables' })).toHaveAttribute('aria-valuenow', '75');
    await expect.element(page.getByText('1 of 2 tables copied')).toBeVisible();
    await next();
    await expect.element(page.getByRole('heading', { name: 'Done' })).toBeVisible();
    await expect.element(page.getByRole('button', { name: 'Back' })).not.toBeInTheDocument();
  });
});
