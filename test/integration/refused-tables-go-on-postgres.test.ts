/**
 * A table the replica refuses does not stop the others (real stack, PostgreSQL replica): a table created
 * at the source with a column name PostgreSQL would truncate (64 bytes) is said missing with why, and a
 * mirrored table given such a column is halted with why, while the other tables keep streaming — before,
 * the schema check threw SCHEMA_CONFLICT and the engine stopped at every start (`sync` exited 1, no table
 * applied). A restarted engine starts, says both again, and goes on. Rows read with the independent reader.
 * And views a user made on replica tables (the anchor product leaves views, indexes and triggers to them):
 * a source change the replica cannot make under a view halts that table saying which view and what to do,
 * and once the views are gone `update-schema` makes the change and refills it. Before 2026-12-06 the
 * refused DROP was a poison event whose table had moved to the new schema position with its old
 * definition: `update-schema` found nothing to change, and a `resync-tables` ended "ok" with 0 of 148 rows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createEngine } from '../../main/engine/engine.ts';
import { createLogger } from '../../main/engine/log.ts';
import type { EngineStatus } from '../../preload/contract/status.ts';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import { assertEventuallyEqual } from './support/replica-compare.ts';
import { engineOnTarget } from './support/engine-on-target.ts';
import { postgresTarget } from './support/replica-targets.ts';

const log = createLogger((process.env.MIRROR_TEST_LOG as 'debug' | undefined) ?? 'warn');
const LONG = 'c'.repeat(64);

describe('tables the replica refuses', { concurrency: false, timeout: 900_000 }, () => {
  let stack: Stack;
  const open: Array<() => Promise<void>> = [];
  before(async () => { stack = await getSharedStack(); });
  after(async () => { for (const c of open.reverse()) await c().catch(() => undefined); await stopStack(); });

  it('PostgreSQL: a new table and a new column with a 64-byte name are said; the other tables go on, also after a restart', async () => {
    const tenant = await stack.createTenant({ tables: ['contact', 'person'], seedRows: 40 });
    open.push(() => tenant.stop());
    const src = tenant.source;
    const { settings, engine } = await engineOnTarget(stack, tenant, postgresTarget, 'refused', log, open);
    await assertEventuallyEqual(tenant, settings, { tables: ['contact', 'person'], timeoutMs: 180_000 });
    const db = src.database.toLowerCase();

    await src.query(`CREATE TABLE ${src.qt('longcol')} (id INT PRIMARY KEY, ${LONG} INT NULL)`);
    await src.query(`INSERT INTO ${src.qt('longcol')} VALUES (1, 2)`);
    await src.query(`ALTER TABLE ${src.qt('person')} ADD COLUMN ${'e'.repeat(64)} INT NULL`);
    await src.workload({ ops: 60, tables: ['contact', 'person'] });
    const said = (s: EngineStatus): boolean =>
      (s.notMirrored ?? []).some((t) => t.table === `${db}.longcol`) && s.tables.some((t) => t.id === `${db}.person` && t.state === 'halted');
    await engine.waitFor(said, 180_000);
    await assertEventuallyEqual(tenant, settings, { tables: ['contact'], timeoutMs: 120_000 });
    const s = engine.status();
    assert.notEqual(s.state, 'error', JSON.stringify(s.lastError));
    assert.match(s.notMirrored!.find((t) => t.table === `${db}.longcol`)!.reason, /^not mirrored: the replica refused the table \[SCHEMA_CONFLICT\]: the name "c{64}" is 64 bytes long/);
    const person = s.tables.find((t) => t.id === `${db}.person`)!;
    assert.equal(person.error?.code, 'SCHEMA_CONFLICT');
    assert.match(person.error!.message, /^the replica refused a schema change of the table: the name "e{64}" is 64 bytes long/);
    await engine.stop();

    // Restarted: it starts (it threw at every start), says both, and applies the other tables' changes.
    const again = await createEngine(settings, { log });
    open.push(() => again.stop());
    await again.start();
    await src.workload({ ops: 40, tables: ['contact'] });
    await again.waitFor(said, 120_000);
    await assertEventuallyEqual(tenant, settings, { tables: ['contact'], timeoutMs: 120_000 });
    assert.notEqual(again.status().state, 'error');
  });
  it('PostgreSQL: views on replica tables block a rebuild and a column type change: both tables halted naming the view, the others go on; views dropped, update-schema refills them, equal', async () => {
    const tenant = await stack.createTenant({ tables: ['contact', 'project', 'sale'], seedRows: 60 });
    open.push(() => tenant.stop());
    const src = tenant.source;
    const { settings, engine } = await engineOnTarget(stack, tenant, postgresTarget, 'views', log, open);
    await assertEventuallyEqual(tenant, settings, { timeoutMs: 180_000 });
    const db = src.database.toLowerCase();
    const r = settings.replica as { host: string; port: number; database: string; user: string; password?: string };
    const replicaSql = async (sql: string): Promise<pg.QueryResult> => {
      const c = new pg.Client({ host: r.host, port: r.port, database: r.database, user: r.user, password: r.password });
      await c.connect();
      try { return await c.query(sql); } finally { await c.end(); }
    };
    const qualified = async (table: string): Promise<string> => {
      const row = (await replicaSql(`SELECT table_schema FROM information_schema.tables WHERE table_name = '${table}' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)).rows[0] as { table_schema: string };
      return `"${row.table_schema}"."${table}"`;
    };
    await replicaSql(`CREATE VIEW public.v_project AS SELECT * FROM ${await qualified('project')}`);
    await replicaSql(`CREATE VIEW public.v_sale AS SELECT sale_id, amount FROM ${await qualified('sale')}`);

    // A column renamed (the table is dropped and recreated) and a column's type widened (ALTER … TYPE), with changes after each.
    await src.query(`ALTER TABLE ${src.qt('project')} CHANGE COLUMN name project_name VARCHAR(220) NOT NULL DEFAULT ''`);
    await src.query(`UPDATE ${src.qt('project')} SET project_name = CONCAT(project_name, '!') WHERE project_id % 2 = 0`);
    await src.query(`ALTER TABLE ${src.qt('sale')} MODIFY amount DECIMAL(20,4) NOT NULL DEFAULT 0`);
    await src.query(`UPDATE ${src.qt('sale')} SET amount = amount + 0.0001 WHERE sale_id % 3 = 0`);
    await src.workload({ ops: 60, tables: ['contact'] });
    const halted = (s: EngineStatus, id: string) => s.tables.find((t) => t.id === `${db}.${id}` && t.state === 'halted');
    await engine.waitFor((s) => !!halted(s, 'project') && !!halted(s, 'sale'), 180_000);
    await assertEventuallyEqual(tenant, settings, { tables: ['contact'], timeoutMs: 120_000 });
    const s = engine.status();
    assert.notEqual(s.state, 'error', JSON.stringify(s.lastError));
    const project = halted(s, 'project')!;
    assert.equal(project.error?.code, 'SCHEMA_CONFLICT');
    assert.match(project.error!.message, /^the replica refused a schema change of the table: Other objects depend on the replica table: .*\(view v_project depends on table .*project\)\. .*drop those objects .*`tenant-mirror update-schema`/);
    assert.match(halted(s, 'sale')!.error!.message, /^the replica refused a schema change of the table: A view or rule on the replica table uses a column whose type the source changed: .*v_sale.*Drop the view/);
    const poison = (await replicaSql(`SELECT count(*)::int AS n FROM "_ReplicationState" WHERE "Kind" LIKE 'poison%'`)).rows[0] as { n: number };
    assert.equal(poison.n, 0, 'a refused change is no poison event');

    // The views gone, the schema check makes both changes and refills both tables.
    await replicaSql('DROP VIEW public.v_project');
    await replicaSql('DROP VIEW public.v_sale');
    await src.query(`UPDATE ${src.qt('sale')} SET amount = amount + 1 WHERE sale_id % 5 = 0`);
    await engine.updateSchema();
    await engine.waitFor((x) => ['project', 'sale'].every((t) => x.tables.find((y) => y.id === `${db}.${t}`)?.state === 'ok'), 180_000);
    await assertEventuallyEqual(tenant, settings, { timeoutMs: 120_000 });
  });
});
