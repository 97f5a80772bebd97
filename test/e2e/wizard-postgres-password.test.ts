/**
 * End to end: the setup wizard provisions a PostgreSQL replica whose login needs a password, given as
 * the name of an environment variable (serve writes its settings to a file and never a password). The
 * renderer in Chromium against the real `tenant-mirror serve`, the real stack and a PostgreSQL that
 * checks passwords (scram-sha-256 for every login but the superuser).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { startPostgres } from '../harness/postgres.ts';
import type { PostgresServer } from '../harness/postgres.ts';
import { getSharedStack, stopStack } from '../harness/stack.ts';
import type { Stack } from '../harness/stack.ts';
import type { Tenant } from '../harness/tenant.ts';
import { docShots, openBrowser, shot } from './support/browser.ts';
import type { BrowserSession } from './support/browser.ts';
import { startServeProcess } from './support/serve-process.ts';
import type { ServeProcess } from './support/serve-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ENV = 'TM_E2E_REPLICA_PASSWORD';
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}`;

describe('the wizard provisions a PostgreSQL replica that needs a password, named by an environment variable', { timeout: 900_000 }, () => {
  let stack: Stack;
  let tenant: Tenant;
  let postgres: PostgresServer;
  let dir = '';
  let serve: ServeProcess | null = null;
  let browser: BrowserSession;
  let page: Page;
  const user = `mirror_${Math.random().toString(36).slice(2, 8)}`;
  const database = `${user}_db`;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tm-ui-pg-'));
    const ui = path.join(dir, 'ui');
    await build({ configFile: path.join(ROOT, 'renderer/vite.config.ts'), logLevel: 'warn', build: { outDir: ui, emptyOutDir: true } });
    postgres = await startPostgres();
    const su = new pg.Client({ ...postgres.info(), database: 'postgres' });
    await su.connect();
    await su.query(`CREATE ROLE ${user} LOGIN PASSWORD '${PASSWORD}'`);
    await su.query(`CREATE DATABASE ${database} OWNER ${user}`);
    // Every login but the superuser (the harness's) must now give its password.
    writeFileSync(path.join(postgres.datadir, 'pg_hba.conf'), 'local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n');
    await su.query('SELECT pg_reload_conf()');
    await su.end();
    const denied = new pg.Client({ host: postgres.host, port: postgres.port, user, database, password: 'wrong' });
    await assert.rejects(denied.connect(), /password authentication failed/, 'the login needs its password');
    await denied.end().catch(() => {});
    stack = await getSharedStack();
    tenant = await stack.createTenant({ seedRows: { contact: 200, person: 50 } });
    serve = await startServeProcess({ config: path.join(dir, 'tenant-mirror.json'), staticDir: ui, env: { [ENV]: PASSWORD } });
    browser = await openBrowser();
    page = browser.page;
  }, { timeout: 600_000 });

  after(async () => {
    await browser?.close().catch(() => {});
    await serve?.stop().catch(() => {});
    await tenant?.stop().catch(() => {});
    await postgres?.stop().catch(() => {});
    await stopStack().catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, { timeout: 120_000 });

  it('tests the replica with the variable, provisions, and the file names the variable, not the password', { timeout: 420_000 }, async () => {
    assert.ok(serve);
    await page.goto(serve.pageUrl);
    await page.getByRole('heading', { name: 'Tenant source' }).waitFor();
    await page.getByLabel('Tenant id').fill(tenant.ctx);
    await page.getByLabel('Brokers').fill(stack.brokers.join(', '));
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { name: 'Replica database' }).waitFor();
    await page.getByRole('radio', { name: /PostgreSQL/ }).check();
    await page.getByLabel('Host').fill(postgres.host);
    await page.getByLabel('Port').fill('nope');
    await page.getByLabel('Database', { exact: true }).fill(database);
    await page.getByLabel('User').fill(user);
    await page.getByRole('button', { name: 'Test replica and rights' }).click();
    await page.getByText('port must be a number 1–65535').waitFor({ timeout: 5000 });
    await page.getByLabel('Port').fill(String(postgres.port));
    await page.getByLabel('…or the password from an environment variable').fill(ENV);
    await page.getByRole('button', { name: 'Test replica and rights' }).click();
    const check = page.locator('[data-testid="check-report"]');
    await check.waitFor({ timeout: 30_000 });
    assert.equal(await check.getAttribute('data-ok'), 'true', await check.innerText());
    await docShots(page, 'wizard-postgres-password');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { name: 'Tables' }).waitFor();
    await page.getByTestId('tables-chosen').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { name: 'Provision' }).waitFor();
    await page.getByRole('button', { name: 'Start provisioning' }).click();
    await page.getByTestId('provision-progress').waitFor({ timeout: 60_000 });
    await page.getByText(/[1-9]\d* of \d+ tables copied/).waitFor({ timeout: 180_000 });
    await shot(page, 'pg-password-provision');

    const saved = readFileSync(path.join(dir, 'tenant-mirror.json'), 'utf8');
    assert.ok(!saved.includes(PASSWORD), 'the password is not in the settings file');
    assert.deepEqual((JSON.parse(saved) as { replica: { password: unknown } }).replica.password, { env: ENV });
    const c = new pg.Client({ host: postgres.host, port: postgres.port, user, database, password: PASSWORD });
    await c.connect();
    const { rows } = await c.query<{ n: string }>(`SELECT count(*)::text AS n FROM information_schema.tables WHERE table_name = '_ReplicationState' OR table_name = '_replicationstate'`);
    await c.end();
    assert.equal(rows[0]!.n, '1', 'provisioned: the state table exists in the replica');
  });
});
