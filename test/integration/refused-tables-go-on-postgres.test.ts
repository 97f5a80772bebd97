/**
 * A table the replica refuses does not stop the others (real stack, PostgreSQL replica): a table created
 * at the source with a column name PostgreSQL would truncate (64 bytes) is said missing with why, and a
 * mirrored table given such a column is halted with why, while the other tables keep streaming — before,
 * the schema check threw SCHEMA_CONFLICT and the engine stopped at every start (`sync` exited 1, no table
 * applied). A restarted engine starts, says both again, and goes on. Rows read with the independent reader.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
    assert.match(person.error!.message, /^the replica refused a schema change of the table \[SCHEMA_CONFLICT\]: the name "e{64}" is 64 bytes long/);
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
});
