/**
 * Edge values of MariaDB types, written into test-owned source tables, applied by the engine and
 * compared with the source through the independent readers (plain SQL, explicit casts, no rounding):
 * BIGINT UNSIGNED beyond 2^63, BIT(n) byte order, TIME beyond 24 h and negative, U+0000 in text / JSON.
 * Each value goes through both of Debezium's paths: the initial snapshot (JDBC) and the binlog.
 * docs/values.md has the rules.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Engine } from '../../../main/engine/engine.ts';
import { createLogger } from '../../../main/engine/log.ts';
import type { Settings } from '../../../preload/contract/settings.ts';
import type { EngineStatus } from '../../../preload/contract/status.ts';
import { getSharedStack, stopStack, type Stack } from '../../harness/stack.ts';
import type { Tenant } from '../../harness/tenant.ts';
import { openReplicaReader } from '../../harness/replica-reader.ts';
import { rowText } from '../../harness/source-db.ts';
import { assertEventuallyEqual } from './replica-compare.ts';
import { engineOnTarget } from './engine-on-target.ts';
import type { ReplicaTarget, TargetFactory } from './replica-targets.ts';

const log = createLogger((process.env.MIRROR_TEST_LOG as 'debug' | undefined) ?? 'warn');

/** Test-owned tables and the rows written before the snapshot (`snap`) and while streaming (`live`). */
const TABLES: Record<string, { ddl: string; snap: string[]; live: string[] }> = {
  xv_unsigned: {
    ddl: 'id INT NOT NULL PRIMARY KEY, u BIGINT UNSIGNED NULL',
    snap: ['(1, 0)', '(2, 9223372036854775807)', '(3, 9223372036854775808)', '(4, 18446744073709551615)', '(5, NULL)'],
    live: ['(11, 0)', '(12, 9223372036854775807)', '(13, 9223372036854775808)', '(14, 18446744073709551615)', '(15, 1)'],
  },
  xv_bits: {
    ddl: 'id INT NOT NULL PRIMARY KEY, b1 BIT(1) NULL, b16 BIT(16) NULL, b64 BIT(64) NULL, b12 BIT(12) NULL',
    snap: ["(1, b'1', 0x0102, 0xFFFFFFFFFFFFFFFF, b'100000000001')", "(2, b'0', 0x8001, 0x0123456789ABCDEF, b'000000000001')", '(3, NULL, 0x0000, 0x8000000000000000, NULL)'],
    live: ["(11, b'1', 0x0102, 0xFFFFFFFFFFFFFFFF, b'100000000001')", "(12, b'0', 0x8001, 0x0123456789ABCDEF, b'000000000001')", '(13, NULL, 0x00FF, 0x0000000000000001, NULL)'],
  },
  xv_time: {
    ddl: 'id INT NOT NULL PRIMARY KEY, t0 TIME NULL, t6 TIME(6) NULL',
    snap: ["(1, '838:59:59', '838:59:59.000000')", "(2, '-838:59:59', '-838:59:59.000000')", "(3, '-01:00:00', '00:00:00.000001')",
      "(4, '00:00:00', '-00:00:00.000001')", "(5, '24:00:00', '-01:00:00.500000')"],
    live: ["(11, '838:59:59', '838:59:59.000000')", "(12, '-838:59:59', '-838:59:59.000000')", "(13, '-01:00:00', '00:00:00.000001')",
      "(14, '00:00:00', '-00:00:00.000001')", "(15, '100:00:01', '23:59:59.999999')"],
  },
  xv_nul: {
    ddl: 'id INT NOT NULL PRIMARY KEY, txt TEXT NULL, doc JSON NULL',
    snap: ["(1, CONCAT('a', CHAR(0), 'b'), '{\"k\": \"plain\"}')", "(2, 'plain', '{\"k\": \"a\\\\u0000b\"}')", "(3, 'no nul', '{\"k\": \"\\\\\\\\u0000 is text\"}')"],
    live: ["(11, CONCAT(CHAR(0), 'x'), NULL)", "(12, NULL, '{\"k\": \"\\\\u0000\"}')"],
  },
};

const caughtUpOn = (tables: string[]) => (s: EngineStatus): boolean =>
  s.state === 'streaming' && s.lagEvents === 0 && tables.every((t) => s.tables.some((x) => x.id.endsWith(`.${t}`) && x.state !== 'pending' && x.state !== 'snapshotting'));

async function createSourceTables(tenant: Tenant, names: string[], rows: 'snap' | 'live'): Promise<void> {
  for (const n of names) {
    const t = TABLES[n]!;
    if (rows === 'snap') await tenant.source.query(`CREATE TABLE ${tenant.source.qt(n)} (${t.ddl}) ENGINE=InnoDB`);
    await tenant.source.query(`INSERT INTO ${tenant.source.qt(n)} VALUES ${t[rows].join(', ')}`);
  }
}

interface Run { tenant: Tenant; target: ReplicaTarget; settings: Settings; engine: Engine }

export function describeExactValues(dialect: 'SQLite' | 'PostgreSQL', makeTarget: TargetFactory): void {
  describe(`exact values on ${dialect}`, { concurrency: false, timeout: 1_200_000 }, () => {
    let stack: Stack;
    const open: Array<() => Promise<void>> = [];
    before(async () => { stack = await getSharedStack(); });
    // Each test's tenant, engine and replica go when the test ends, not with the file: a stack's Connect
    // worker running every earlier test's connector ran out of heap late in the file (docs/test-runs.md, CI).
    const closeOpen = async (): Promise<void> => { for (const c of open.splice(0).reverse()) await c().catch(() => undefined); };
    afterEach(closeOpen);
    after(async () => { await closeOpen(); await stopStack(); });

    /** A tenant with only the listed test tables (filled before the connector starts), its engine caught up. */
    async function run(name: string, tables: string[], connectorConfig: Record<string, string> = {}, until = caughtUpOn(tables)): Promise<Run> {
      const tenant = await stack.createTenant({ tables: [], startConnector: false, connectorConfig });
      open.push(() => tenant.stop());
      await createSourceTables(tenant, tables, 'snap');
      await tenant.connector.start();
      await tenant.waitForInitialSnapshot({ timeoutMs: 300_000, cdcHighBefore: 0n });
      const { target, settings, engine } = await engineOnTarget(stack, tenant, makeTarget, name, log, open);
      await engine.waitFor(until, 180_000);
      return { tenant, target, settings, engine };
    }

    it('BIGINT UNSIGNED 0, 2^63−1, 2^63, 2^64−1 (bigint.unsigned.handling.mode=long, the default), BIT(1/12/16/64) in source order, TIME ±838 h, negative and 1 µs', async () => {
      const tables = ['xv_unsigned', 'xv_bits', 'xv_time'];
      const r = await run('exact', tables);
      await assertEventuallyEqual(r.tenant, r.settings, { tables, timeoutMs: 60_000 });
      await createSourceTables(r.tenant, tables, 'live');
      await assertEventuallyEqual(r.tenant, r.settings, { tables, timeoutMs: 60_000 });
      for (const t of r.engine.status().tables) assert.equal(t.state, 'ok', `${t.id} is ok: ${t.error?.message ?? ''}`);
      await r.engine.stop();
    });

    if (dialect === 'SQLite') {
      it('BIGINT UNSIGNED with bigint.unsigned.handling.mode=precise', async () => {
        const r = await run('precise', ['xv_unsigned'], { 'bigint.unsigned.handling.mode': 'precise' });
        await createSourceTables(r.tenant, ['xv_unsigned'], 'live');
        await assertEventuallyEqual(r.tenant, r.settings, { tables: ['xv_unsigned'], timeoutMs: 60_000 });
        await r.engine.stop();
      });

      it('BIGINT UNSIGNED without propagated source types: the schema history says UNSIGNED', async () => {
        const r = await run('nopropagate', ['xv_unsigned'], { 'column.propagate.source.type': 'no_such_db\\.no_such_table\\.no_such_column' });
        await createSourceTables(r.tenant, ['xv_unsigned'], 'live');
        await assertEventuallyEqual(r.tenant, r.settings, { tables: ['xv_unsigned'], timeoutMs: 60_000 });
        await r.engine.stop();
      });

      it('U+0000 in TEXT and \\u0000 in JSON are stored exactly', async () => {
        const r = await run('nul', ['xv_nul']);
        await createSourceTables(r.tenant, ['xv_nul'], 'live');
        await assertEventuallyEqual(r.tenant, r.settings, { tables: ['xv_nul'], timeoutMs: 60_000 });
        await r.engine.stop();
      });
    } else {
      it('U+0000 in TEXT or \\u0000 in JSON halts the table with the column, the key and what to do; nothing altered is written', async () => {
        // Not "caught up": when the halted table holds the snapshot's `last` record, the engine stays in the
        // snapshotting state (the halted table's records are skipped, the snapshot's end with them).
        const halted = (x: EngineStatus): boolean => x.tables.some((t) => t.id.endsWith('.xv_nul') && t.state === 'halted');
        const r = await run('nul', ['xv_nul'], {}, halted);
        const s = r.engine.status();
        const t = s.tables.find((x) => x.id.endsWith('.xv_nul'))!;
        const msg = t.error?.message ?? '';
        assert.match(msg, /Column (txt|doc) of crm_\w+\.xv_nul at key id=\d/, msg);
        assert.match(msg, /U\+0000|\\u0000/, msg);
        assert.match(msg, /resync-tables/, msg);
        // Rows with a NUL are not in the replica; a row without one (another partition's batch) may be, unaltered.
        // MariaDB JSON is LONGTEXT (Debezium sends no io.debezium.data.Json for it): the replica column is text,
        // where the escape \u0000 is six characters of text and is stored exactly (row 2, if its batch came first).
        const reader = await openReplicaReader(r.settings);
        try {
          const rep = (await reader.readTable(r.tenant.source.database, 'xv_nul', await r.tenant.source.columns('xv_nul')))?.rows ?? [];
          const src = new Map((await r.tenant.source.readRows('xv_nul')).map((x) => [String(x.id), rowText(x)]));
          for (const row of rep) {
            assert.notEqual(String(row.id), '1', 'the row with a NUL in txt is not written');
            assert.equal(rowText(row), src.get(String(row.id)), `row ${String(row.id)} is the source's`);
          }
        } finally {
          await reader.close();
        }
        await r.engine.stop();
      });
    }
  });
}
