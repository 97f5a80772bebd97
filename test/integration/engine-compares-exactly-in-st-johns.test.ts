/**
 * The engine scenario comparison under a non-UTC time zone with a half-hour offset and DST
 * (America/St_Johns: UTC−3:30, UTC−2:30 in summer), for both the source MariaDB server
 * (`--default-time-zone=SYSTEM` with TZ set) and the engine's process (process.env.TZ, set after the
 * stack's Kafka and Connect have started in the machine's zone and before any engine is created; the
 * engine runs in this process). A stack of its own: the server's zone is a start option.
 *
 * Seeds the shared CRM tables plus a table this test owns (`tz_edge`: wall-clock values inside the
 * spring-forward gap and the fall-back hour, TIMESTAMPs either side of both transitions, BIGINT UNSIGNED,
 * BIT(n), DOUBLE at full precision, JSON as written, CHAR padding, ENUM/SET), applies the initial
 * snapshot, streams more of the same plus updates that change primary keys, and compares every table
 * exactly through the independent reader, on SQLite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../main/engine/log.ts';
import { startStack, type Stack } from '../harness/stack.ts';
import { sqlId } from '../harness/crm-schema.ts';
import type { Tenant } from '../harness/tenant.ts';
import { caughtUp } from './support/engine-scenarios.ts';
import { assertEventuallyEqual } from './support/replica-compare.ts';
import { engineOnTarget } from './support/engine-on-target.ts';
import { postgresTarget, sqliteTarget, type TargetFactory } from './support/replica-targets.ts';

const ZONE = 'America/St_Johns';
const log = createLogger((process.env.MIRROR_TEST_LOG as 'debug' | undefined) ?? 'warn');

const EDGE_DDL = (qt: string): string => `CREATE TABLE ${qt} (
  id INT NOT NULL PRIMARY KEY,
  ts6 TIMESTAMP(6) NULL, dt6 DATETIME(6) NULL, dt0 DATETIME NULL, d DATE NULL, t6 TIME(6) NULL,
  ub BIGINT UNSIGNED NULL, b12 BIT(12) NULL, b64 BIT(64) NULL,
  dbl DOUBLE NULL, js JSON NULL, ch CHAR(8) NULL, en ENUM('a','B','') NULL, st SET('x','y','z') NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

/**
 * Rows written with the session in the server's zone (St John's): TIMESTAMP literals are local times
 * there. 2026-03-08 02:00–03:00 does not exist locally (spring forward); 2026-11-01 01:00–02:00 happens
 * twice (fall back). DATETIME has no zone: a value inside the gap must stay exactly as written.
 */
const edgeRows = (base: number): string[] => [
  `(${base + 1}, '2026-03-08 01:59:59.999999', '2026-03-08 02:30:00.000001', '2026-03-08 02:00:00', '2026-03-08', '02:30:00.5', 18446744073709551615, b'101010101010', b'1000000000000000000000000000000000000000000000000000000000000001', 0.30000000000000004e0, '{"b":1, "a":[1,2,{"c":"d"}]}', '  pad', 'B', 'x,z')`,
  `(${base + 2}, '2026-03-08 03:00:00', '2026-11-01 01:30:00.25', '2026-11-01 01:30:00', '1969-12-31', '23:59:59.999999', 9223372036854775808, b'111111111111', b'1111111111111111111111111111111111111111111111111111111111111111', 1e308, '[ 1 , 2.50 ]', 'x', '', '')`,
  `(${base + 3}, '2026-11-01 00:59:59.5', '1970-01-01 00:00:00', '9999-12-31 23:59:59', '9999-12-31', '12:00:00', 0, b'0', b'0', 5e-324, '{"k": "æ 😀 \\\\u00e6"}', 'ü', 'a', 'x,y,z')`,
  `(${base + 4}, '2026-11-01 02:00:00', '2000-02-29 23:59:59.999999', '1000-01-01 00:00:00', '1000-01-01', '00:00:00', 9007199254740993, b'000000000001', b'0000000000000000000000000000000000000000000000000000000000000010', -2.2250738585072014e-308, 'null', '', NULL, NULL)`,
  `(${base + 5}, '1970-01-01 00:00:01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, -0e0, NULL, NULL, NULL, NULL)`,
];

async function writeEdgeRows(tenant: Tenant, base: number): Promise<void> {
  await tenant.source.query(`INSERT INTO ${tenant.source.qt('tz_edge')} VALUES ${edgeRows(base).join(',\n')}`);
  // The fall-back hour twice: the same local 01:30 at −2:30 (first) and at −3:30 (second), written as UTC instants.
  const c = await tenant.source.pool.getConnection();
  try {
    await c.query(`SET time_zone = '+00:00'`);
    await c.query(`INSERT INTO ${tenant.source.qt('tz_edge')} (id, ts6) VALUES (${base + 6}, '2026-11-01 04:00:00.000001'), (${base + 7}, '2026-11-01 05:00:00.000001')`);
  } finally { c.release(); }
}

describe(`engine comparison with the source MariaDB and the engine in ${ZONE}`, { concurrency: false, timeout: 1_800_000 }, () => {
  let stack: Stack;
  const open: Array<() => Promise<void>> = [];
  before(async () => {
    stack = await startStack({ mariadbTimeZone: ZONE });
    // The engine's zone, before any engine is created (Node re-reads TZ when it is assigned).
    process.env.TZ = ZONE;
  });
  after(async () => { for (const c of open.reverse()) await c().catch(() => undefined); await stack?.stop(); });

  it('the source server and this process really are in St John\'s time', async () => {
    assert.equal(new Date('2026-01-15T12:00:00Z').getTimezoneOffset(), 210);
    assert.equal(new Date('2026-07-15T12:00:00Z').getTimezoneOffset(), 150);
    assert.equal(Intl.DateTimeFormat().resolvedOptions().timeZone, ZONE);
    const tenant = await stack.createTenant({ tables: ['contact'], startConnector: false });
    open.push(() => tenant.stop());
    const [r] = await tenant.source.query<Array<{ tz: string; jul: string }>>(
      `SELECT @@time_zone AS tz, CAST(UNIX_TIMESTAMP('2026-07-15 12:00:00') - UNIX_TIMESTAMP('2026-01-15 12:00:00') AS CHAR) AS jul`);
    assert.equal(r!.tz, 'SYSTEM');
    // 181 days and one hour less: local noon in July is 3600 s closer than in January (DST).
    assert.equal(Number(r!.jul), 181 * 86400 - 3600);
    const [u] = await tenant.source.query<Array<{ s: string }>>(`SELECT CAST(UNIX_TIMESTAMP('2026-01-15 12:00:00') AS CHAR) AS s`);
    assert.equal(Number(u!.s), Date.UTC(2026, 0, 15, 15, 30) / 1000);
  });

  const targets: Array<[string, TargetFactory]> = [['SQLite', sqliteTarget], ['PostgreSQL', postgresTarget]];
  for (const [dialect, makeTarget] of targets) {
    it(`${dialect}: seed, snapshot, stream and primary-key updates compare exactly with the source`, async () => {
      const tenant = await stack.createTenant({ seedRows: 300, startConnector: false });
      open.push(() => tenant.stop());
      await tenant.source.query(EDGE_DDL(tenant.source.qt('tz_edge')));
      await writeEdgeRows(tenant, 0);
      await tenant.connector.start();
      await tenant.waitForInitialSnapshot({ timeoutMs: 300_000, cdcHighBefore: 0n });

      const { settings, engine } = await engineOnTarget(stack, tenant, makeTarget, 'tz', log, open);
      await engine.waitFor(caughtUp, 240_000);
      await assertEventuallyEqual(tenant, settings, { timeoutMs: 120_000 });

      // Streamed: the same edge values again, a workload on every CRM table, and keys that change.
      await writeEdgeRows(tenant, 100);
      await tenant.source.workload({ ops: 300, seed: 7 });
      const q = (t: string): string => tenant.source.qt(t);
      await tenant.source.query(`UPDATE ${q('tz_edge')} SET id = id + 1000, dt6 = '2026-03-08 02:45:00' WHERE id IN (1, 102)`);
      await tenant.source.query(`UPDATE ${q('tz_edge')} SET id = 204 WHERE id = 104`);
      await tenant.source.query(`UPDATE ${q('udcontactsmall')} SET ${sqlId('udcontactsmall_id')} = ${sqlId('udcontactsmall_id')} + 100000 ORDER BY ${sqlId('udcontactsmall_id')} LIMIT 3`);
      await tenant.source.query(`UPDATE ${q('projectmember')} SET ${sqlId('person_id')} = ${sqlId('person_id')} + 500000 ORDER BY ${sqlId('project_id')}, ${sqlId('person_id')} LIMIT 2`);
      const compared = await assertEventuallyEqual(tenant, settings, { timeoutMs: 180_000 });
      const edge = compared.find((c) => c.table === 'tz_edge');
      assert.equal(edge?.sourceRows, 14, JSON.stringify(edge));
      assert.ok(compared.length >= 11, compared.map((c) => c.table).join(', '));
      assert.ok(engine.status().tables.every((t) => t.state === 'ok'), JSON.stringify(engine.status().tables.filter((t) => t.state !== 'ok')));
    });
  }
});
