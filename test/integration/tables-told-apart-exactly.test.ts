/**
 * Source tables are told apart exactly as the source tells them apart (docs/naming.md), on the real
 * stack: MariaDB with lower_case_table_names=0 holds `Casey` and `casey` as two tables, and a source
 * table may be called `_ReplicationState`. On SQLite and PostgreSQL each lands in a replica table of its
 * own (none merged, none in the state table), stays `ok`, and holds exactly its source's rows — read
 * through the independent reader (test/harness/replica-reader.ts), which finds each by the documented
 * rule, not by the product's naming code. Tables exist before the initial snapshot and are changed while
 * the engine streams; two more are created while it runs (a name over PostgreSQL's 63 bytes, and a
 * mixed-case one: both are resnapshotted, which must find them by their exact ids).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../main/engine/log.ts';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import { openReplicaReader } from '../harness/replica-reader.ts';
import { sqlStr } from '../harness/crm-schema.ts';
import { caughtUp } from './support/engine-scenarios.ts';
import { assertEventuallyEqual } from './support/replica-compare.ts';
import { engineOnTarget } from './support/engine-on-target.ts';
import { postgresTarget, sqliteTarget, type TargetFactory } from './support/replica-targets.ts';

const log = createLogger((process.env.MIRROR_TEST_LOG as 'debug' | undefined) ?? 'warn');
const HOSTILE = ['Casey', 'casey', '_ReplicationState'];
/** 35 two-byte characters: 70 bytes, over PostgreSQL's 63 (MariaDB allows 64 characters). */
const LONG = 'é'.repeat(35);
/** Created while the engine streams (each is resnapshotted): a long name and a mixed-case one. */
const LATE = [LONG, 'NewCase'];

const ddl = (qualified: string): string =>
  `CREATE TABLE ${qualified} (id INT PRIMARY KEY, who VARCHAR(40) NOT NULL, n BIGINT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

describe('tables told apart exactly', { concurrency: false, timeout: 900_000 }, () => {
  let stack: Stack;
  const open: Array<() => Promise<void>> = [];
  before(async () => { stack = await getSharedStack(); });
  after(async () => { for (const c of open.reverse()) await c().catch(() => undefined); await stopStack(); });

  const targets: Array<[string, TargetFactory]> = [['SQLite', sqliteTarget], ['PostgreSQL', postgresTarget]];
  for (const [dialect, makeTarget] of targets) {
    it(`${dialect}: Casey, casey and _ReplicationState each in a replica table of their own, equal to the source`, async () => {
      const tenant = await stack.createTenant({ tables: ['contact'], seedRows: 10, startConnector: false });
      open.push(() => tenant.stop());
      const src = tenant.source;
      const [mode] = await src.query<Array<{ v: number }>>('SELECT @@lower_case_table_names AS v');
      assert.equal(Number(mode!.v), 0, 'the harness MariaDB must tell table names apart by case');
      for (const [i, t] of HOSTILE.entries()) {
        await src.query(ddl(src.qt(t)));
        await src.query(`INSERT INTO ${src.qt(t)} VALUES (1, ${sqlStr(t)}, ${i}), (2, ${sqlStr(`${t} two`)}, NULL)`);
      }
      const [count] = await src.query<Array<{ n: number }>>(
        'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND BINARY table_name IN (?, ?, ?)', [src.database, ...HOSTILE]);
      assert.equal(Number(count!.n), 3, 'three source tables');
      await tenant.connector.start();
      await tenant.waitForInitialSnapshot({ timeoutMs: 300_000, cdcHighBefore: 0n });

      const { settings, engine } = await engineOnTarget(stack, tenant, makeTarget, 'identity', log, open);
      const tables = ['contact', ...HOSTILE];
      await assertEventuallyEqual(tenant, settings, { tables, timeoutMs: 180_000 });

      // Streamed changes, each to one table only: rows of one never show up in another.
      for (const [i, t] of HOSTILE.entries()) {
        await src.query(`INSERT INTO ${src.qt(t)} VALUES (${10 + i}, ${sqlStr(`only in ${t}`)}, ${1000 + i})`);
        await src.query(`UPDATE ${src.qt(t)} SET who = ${sqlStr(`${t} changed`)} WHERE id = 1`);
      }
      await src.query(`DELETE FROM ${src.qt('casey')} WHERE id = 2`);
      for (const t of LATE) {
        await src.query(ddl(src.qt(t)));
        await src.query(`INSERT INTO ${src.qt(t)} VALUES (1, ${sqlStr(t.slice(0, 40))}, 7)`);
      }
      await assertEventuallyEqual(tenant, settings, { tables: [...tables, ...LATE], timeoutMs: 240_000 });
      // The table created while streaming is resnapshotted (rows before its capture may exist): once that
      // is done every table is ok, and the comparison still holds after the sweep.
      await engine.waitFor(caughtUp, 240_000);
      const compared = await assertEventuallyEqual(tenant, settings, { tables: [...tables, ...LATE], timeoutMs: 60_000 });
      assert.deepEqual(compared.map((c) => [c.table, c.sourceRows]),
        [['contact', compared[0]!.sourceRows], ['Casey', 3], ['casey', 2], ['_ReplicationState', 3], [LONG, 1], ['NewCase', 1]]);

      // The replica tables are distinct objects, and the state table is still the product's.
      const reader = await openReplicaReader(settings);
      try {
        const names = new Set<string>();
        // SQLite compares names case-insensitively; PostgreSQL exactly.
        for (const t of [...HOSTILE, ...LATE]) { const n = (await reader.readTable(src.database, t))!.name; names.add(reader.kind === 'sqlite' ? n.toLowerCase() : n); }
        assert.equal(names.size, 5, [...names].join(', '));
      } finally { await reader.close(); }
      const status = engine.status();
      const byId = new Map(status.tables.map((t) => [t.id, t]));
      for (const t of [...HOSTILE, ...LATE]) assert.equal(byId.get(`${src.database}.${t}`)?.state, 'ok', `${t}: ${JSON.stringify(byId.get(`${src.database}.${t}`))}`);
      assert.notEqual(status.state, 'error');
      assert.ok(status.tables.every((t) => t.state === 'ok'), JSON.stringify(status.tables.filter((t) => t.state !== 'ok')));
    });
  }
});
