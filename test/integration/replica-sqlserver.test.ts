/**
 * SQL Server replica against a real server: the shared behaviour suite plus SQL Server specifics
 * (100 ns datetime2, exact decimals and bigints through the bulk path, awkward identifiers, provoked
 * errors and their classification). Opt-in: set MIRROR_TEST_MSSQL to a connection string whose login
 * may CREATE DATABASE (each replica gets a fresh database, dropped afterwards), e.g.
 *   MIRROR_TEST_MSSQL='Server=localhost,1433;Database=master;User Id=sa;Password=…;TrustServerCertificate=true'
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import mssql from 'mssql';
import type { ReplicaFixture } from './replica-behaviour.ts';
import type { TableDef } from '../../main/engine/schema/table-model.ts';
import { buildPoolConfig, createSqlServerReplica, parseSqlServerConnectionString } from '../../main/engine/replica/sqlserver/index.ts';
import type { SqlServerReplica, SqlServerReplicaOptions } from '../../main/engine/replica/sqlserver/index.ts';

const CONN = process.env.MIRROR_TEST_MSSQL;
const SKIP = CONN
  ? false
  : 'MIRROR_TEST_MSSQL not set: SQL Server cannot run on this machine; set it to a connection string such as ' +
    "'Server=localhost,1433;Database=master;User Id=sa;Password=…;TrustServerCertificate=true' (login must be allowed to CREATE DATABASE) to run the live SQL Server suite";

async function withPool<T>(database: string, fn: (pool: mssql.ConnectionPool) => Promise<T>): Promise<T> {
  const pool = new mssql.ConnectionPool(buildPoolConfig({ ...parseSqlServerConnectionString(CONN!), database }));
  await pool.connect();
  try { return await fn(pool); } finally { await pool.close(); }
}

interface SqlServerFixture extends ReplicaFixture {
  replica: SqlServerReplica;
  exec(sql: string): Promise<void>;
}

/**
 * A replica (not connected) on a fresh database of its own, so every test owns its names and its
 * `dbo._ReplicationState`; cleanup closes it and drops the database.
 */
async function fixture(o: { tablePrefix?: string } = {}): Promise<SqlServerFixture> {
  const database = `mirror_test_${randomBytes(5).toString('hex')}`;
  await withPool('master', (p) => p.request().batch(`CREATE DATABASE [${database}];`));
  const opts: SqlServerReplicaOptions = { ...parseSqlServerConnectionString(CONN!), database, tablePrefix: o.tablePrefix ?? '' };
  const replica = createSqlServerReplica(opts);
  return {
    replica,
    exec: (sql) => withPool(database, async (p) => { await p.request().batch(sql); }),
    async cleanup() {
      await replica.close().catch(() => {});
      await withPool('master', (p) => p.request().batch(`ALTER DATABASE [${database}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [${database}];`));
    },
  };
}

describe('SQL Server replica (live)', { skip: SKIP }, async () => {
  const { describeReplicaBehaviour } = await import('./replica-behaviour.ts');
  describeReplicaBehaviour('sqlserver', () => fixture());

  const fixtures: SqlServerFixture[] = [];
  after(async () => {
    for (const f of fixtures) await f.cleanup().catch(() => {});
  });
  async function freshReplica(o: { tablePrefix?: string } = {}): Promise<SqlServerFixture> {
    const f = await fixture(o);
    fixtures.push(f);
    await f.replica.connect();
    return f;
  }

  describe('SQL Server specifics', () => {
    const wide: TableDef = {
      schema: 'crm7',
      name: 'wide',
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: { kind: 'int', bits: 64 }, nullable: false },
        { name: 'ts7', type: { kind: 'timestamp', precision: 7 }, nullable: true },
        { name: 't7', type: { kind: 'time', precision: 7 }, nullable: true },
        { name: 'dto', type: { kind: 'timestamptz', precision: 7 }, nullable: true },
        { name: 'd', type: { kind: 'date' }, nullable: true },
        { name: 'dec', type: { kind: 'decimal', precision: 38, scale: 10 }, nullable: true },
        { name: 'i8', type: { kind: 'int', bits: 8 }, nullable: true },
        { name: 'f32', type: { kind: 'float', bits: 32 }, nullable: true },
        { name: 'txt', type: { kind: 'string', length: null, fixed: false }, nullable: true },
        { name: 'bin', type: { kind: 'bytes', length: null, fixed: false }, nullable: true },
        { name: 'rv', type: { kind: 'bytes', length: 8, fixed: true }, nullable: true },
        { name: 'ok', type: { kind: 'bool' }, nullable: true },
        { name: 'u', type: { kind: 'uuid' }, nullable: true },
      ],
    };

    it('keeps datetime2(7) 100 ns digits, decimal(38,10), bigint extremes, unicode and MAX values', async () => {
      const { replica: r } = await freshReplica();
      await r.ensureStateTable();
      await r.createTable(wide);
      const big = 'ü'.repeat(300_000);
      const blob = randomBytes(100_000);
      const rows = [
        { id: 9223372036854775807n, ts7: '2024-02-29 23:59:59.9999999', t7: '23:59:59.9999999', dto: '2024-02-29T12:34:56.1234567+02:00', d: '0001-01-01', dec: '1234567890123456789012345678.0123456789', i8: -128, f32: 1.5, txt: big, bin: blob, rv: Buffer.from('00000000000007d1', 'hex'), ok: true, u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' },
        { id: -9223372036854775808n, ts7: '1900-01-01 00:00:00.0000001', t7: '00:00:00', dto: '2024-01-01T00:00:00Z', d: '9999-12-31', dec: '-0.0000000001', i8: 127, f32: null, txt: 'Zoë 名前 😀', bin: Buffer.alloc(0), rv: null, ok: false, u: null },
      ];
      await r.apply({ tables: [{ table: wide, upserts: rows, deletes: [], markSeen: false }], state: [{ id: 'offset:t:0', kind: 'offset', value: '{"next":1}' }] });
      const back = await r.readRows(wide);
      assert.equal(back.length, 2);
      const [min, max] = back;
      assert.equal(min!.id, -9223372036854775808n);
      assert.equal(max!.ts7, '2024-02-29 23:59:59.9999999');
      assert.equal(min!.ts7, '1900-01-01 00:00:00.0000001');
      assert.equal(max!.t7, '23:59:59.9999999');
      assert.equal(max!.dto, '2024-02-29T10:34:56.1234567Z');
      assert.equal(max!.dec, '1234567890123456789012345678.0123456789');
      assert.equal(min!.dec, '-0.0000000001');
      assert.equal(min!.i8, -128);
      assert.equal(max!.txt, big);
      assert.deepEqual(max!.bin, blob);
      assert.deepEqual(max!.rv, Buffer.from('00000000000007d1', 'hex'));
      assert.equal(min!.txt, 'Zoë 名前 😀');
      assert.deepEqual(await r.readState(), [{ id: 'offset:t:0', kind: 'offset', value: '{"next":1}' }]);
    });

    it('runs consecutive batches on pooled connections (leftover #temp tables are dropped first)', async () => {
      const { replica: r } = await freshReplica();
      await r.createTable(wide);
      for (let i = 0; i < 5; i++) {
        await r.apply({ tables: [{ table: wide, upserts: [{ id: BigInt(i), ok: true }, { id: BigInt(i), ok: false }], deletes: i > 0 ? [{ id: BigInt(i - 1) }] : [], markSeen: false }], state: [] });
      }
      assert.deepEqual((await r.readRows(wide)).map((x) => [x.id, x.ok]), [[4n, false]]);
    });

    it('handles identifiers with ], quotes, spaces, semicolons and unicode', async () => {
      const { replica: r } = await freshReplica({ tablePrefix: "pre]fix 'x'" });
      const def: TableDef = {
        schema: 'ignored', name: 'Tab]le; "名前"',
        primaryKey: ["k'1", 'k]2'],
        columns: [
          { name: "k'1", type: { kind: 'string', length: 20, fixed: false }, nullable: false },
          { name: 'k]2', type: { kind: 'int', bits: 32 }, nullable: false },
          { name: 'va lue;--', type: { kind: 'string', length: 10, fixed: false }, nullable: true, defaultValue: "it's" },
        ],
      };
      await r.createTable(def);
      assert.equal(await r.tableExists(def), true);
      await r.apply({ tables: [{ table: def, upserts: [{ "k'1": 'a]b', 'k]2': 1, 'va lue;--': 'x' }, { "k'1": 'c', 'k]2': 2 }], deletes: [], markSeen: false }], state: [] });
      assert.deepEqual(await r.readRows(def), [{ "k'1": 'a]b', 'k]2': 1, 'va lue;--': 'x' }, { "k'1": 'c', 'k]2': 2, 'va lue;--': "it's" }]);
      await r.beginSweep(def);
      await r.apply({ tables: [{ table: def, upserts: [{ "k'1": 'c', 'k]2': 2 }], deletes: [], markSeen: true }], state: [] });
      assert.equal(await r.finishSweep(def), 1);
      assert.equal(await r.countRows(def), 1);
      await r.dropTable(def);
      assert.equal(await r.tableExists(def), false);
    });

    it('classifies provoked errors: truncation, NOT NULL, duplicate key in a unique index, missing table', async () => {
      const { replica: r, exec } = await freshReplica();
      const t: TableDef = {
        schema: 'crm7', name: 'small', primaryKey: ['id'],
        columns: [
          { name: 'id', type: { kind: 'int', bits: 32 }, nullable: false },
          { name: 'code', type: { kind: 'string', length: 5, fixed: false }, nullable: true },
          { name: 'must', type: { kind: 'int', bits: 32 }, nullable: false },
        ],
      };
      await r.createTable(t);
      const fail = async (upserts: Array<Record<string, string | number | null>>) => {
        try {
          await r.apply({ tables: [{ table: t, upserts, deletes: [], markSeen: false }], state: [] });
        } catch (err) {
          return r.classifyError(err);
        }
        assert.fail('expected the batch to fail');
      };
      const trunc = await fail([{ id: 1, code: 'too long value', must: 1 }]);
      assert.deepEqual([trunc.action, trunc.code, trunc.table], ['halt-table', 'REPLICA_WRITE_FAILED', 'crm7.small']);
      const nul = await fail([{ id: 1, code: 'a' }]);
      assert.deepEqual([nul.action, nul.table], ['halt-table', 'crm7.small']);
      await r.apply({ tables: [{ table: t, upserts: [{ id: 1, code: 'a', must: 1 }], deletes: [], markSeen: false }], state: [] });
      await exec('CREATE UNIQUE INDEX [UX_code] ON [crm7].[small] ([code]);');
      const dup = await fail([{ id: 2, code: 'a', must: 1 }]);
      assert.deepEqual([dup.action, dup.code], ['halt-table', 'REPLICA_DUPLICATE_KEY']);
      assert.match(dup.hint, /\(a\)/);
      await r.dropTable(t);
      const missing = await fail([{ id: 3, code: 'b', must: 1 }]);
      assert.deepEqual([missing.action, missing.code], ['halt-table', 'SCHEMA_CONFLICT']);
      assert.equal(await r.countRows({ schema: 'dbo', name: 'sysdiagrams_not_there' }).catch((e) => r.classifyError(e).code), 'SCHEMA_CONFLICT');
    });

    it('alters in place: add with default, widen with default, widen a key', async () => {
      const { replica: r } = await freshReplica();
      const t: TableDef = {
        schema: 'crm7', name: 'evolving', primaryKey: ['id'],
        columns: [
          { name: 'id', type: { kind: 'int', bits: 32 }, nullable: false },
          { name: 'name', type: { kind: 'string', length: 10, fixed: false }, nullable: false, defaultValue: 'n/a' },
        ],
      };
      await r.createTable(t);
      await r.apply({ tables: [{ table: t, upserts: [{ id: 1, name: 'a' }], deletes: [], markSeen: false }], state: [] });
      const v2: TableDef = {
        ...t,
        columns: [
          { name: 'id', type: { kind: 'int', bits: 64 }, nullable: false },
          { name: 'name', type: { kind: 'string', length: 200, fixed: false }, nullable: true, defaultValue: 'n/a' },
          { name: 'tier', type: { kind: 'int', bits: 16 }, nullable: false, defaultValue: 3 },
        ],
      };
      await r.alterTable({ table: v2, addColumns: [v2.columns[2]!], widenColumns: [v2.columns[0]!, v2.columns[1]!], relaxNullability: [v2.columns[1]!] });
      await r.apply({ tables: [{ table: v2, upserts: [{ id: 9007199254740993n, name: 'x'.repeat(150) }], deletes: [], markSeen: false }], state: [] });
      assert.deepEqual(await r.readRows(v2), [{ id: 1n, name: 'a', tier: 3 }, { id: 9007199254740993n, name: 'x'.repeat(150), tier: 3 }]);
    });

    it('reports rights: the test login (db_owner of its own database) passes', async () => {
      const { replica: r } = await freshReplica({ tablePrefix: 'tenant_a' });
      assert.deepEqual(await r.checkRights(), { ok: true, missing: [] });
    });
  });
});
