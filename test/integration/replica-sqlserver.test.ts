/**
 * SQL Server replica against a real server: the shared behaviour suite plus SQL Server specifics
 * (100 ns datetime2, exact decimals and bigints through the bulk path, awkward identifiers, provoked
 * errors and their classification). Opt-in: set MIRROR_TEST_MSSQL to a connection string whose login
 * may CREATE DATABASE (each replica gets a fresh database, dropped afterwards), e.g.
 *   MIRROR_TEST_MSSQL='Server=localhost,1433;Database=master;User Id=sa;Password=…;TrustServerCertificate=true'
 * The issue-17 cases (exact keys on a CI_AS database, idempotent DDL, character-true lengths, lock
 * escalation, DDL under user objects, German session settings, least privilege, long names and ids)
 * also need CREATE LOGIN and VIEW SERVER STATE (sa, as in the Docker image, has both).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import mssql from 'mssql';
import type { ReplicaFixture } from './replica-behaviour.ts';
import type { Row, TableDef } from '../../main/engine/schema/table-model.ts';
import { buildPoolConfig, createSqlServerReplica } from '../../main/engine/replica/sqlserver/index.ts';
import { parseSqlServerConnectionString } from '../harness/sqlserver-connection-string.ts';
import type { SqlServerReplica, SqlServerReplicaOptions } from '../../main/engine/replica/sqlserver/index.ts';

const CONN = process.env.MIRROR_TEST_MSSQL;
const SKIP = CONN
  ? false
  : 'MIRROR_TEST_MSSQL not set: SQL Server cannot run on this machine; set it to a connection string such as ' +
    "'Server=localhost,1433;Database=master;User Id=sa;Password=…;TrustServerCertificate=true' (login must be allowed to CREATE DATABASE, CREATE LOGIN and VIEW SERVER STATE, e.g. sa) to run the live SQL Server suite (about 5-10 minutes, mostly the 1M-row lock-escalation case)";

async function withPool<T>(database: string, fn: (pool: mssql.ConnectionPool) => Promise<T>): Promise<T> {
  const pool = new mssql.ConnectionPool(buildPoolConfig({ ...parseSqlServerConnectionString(CONN!), database, tablePrefix: '' }));
  await pool.connect();
  try { return await fn(pool); } finally { await pool.close(); }
}

interface SqlServerFixture extends ReplicaFixture {
  replica: SqlServerReplica;
  database: string;
  opts: SqlServerReplicaOptions;
  exec(sql: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

interface FixtureOptions {
  tablePrefix?: string;
  /** Database collation (default: the server's, SQL_Latin1_General_CP1_CI_AS on the Docker image). */
  collation?: string;
  poolMax?: number;
  /** A login of its own for the replica (created, mapped to a user with these grants, dropped afterwards). */
  login?: { defaultLanguage?: string; grants: string[] };
}

/**
 * A replica (not connected) on a fresh database of its own, so every test owns its names and its
 * `dbo._ReplicationState`; cleanup closes it and drops the database.
 */
async function fixture(o: FixtureOptions = {}): Promise<SqlServerFixture> {
  const suffix = randomBytes(5).toString('hex');
  const database = `mirror_test_${suffix}`;
  await withPool('master', (p) => p.request().batch(`CREATE DATABASE [${database}]${o.collation ? ` COLLATE ${o.collation}` : ''};`));
  let opts: SqlServerReplicaOptions = { ...parseSqlServerConnectionString(CONN!), database, tablePrefix: o.tablePrefix ?? '', poolMax: o.poolMax };
  const login = o.login ? `mirror_login_${suffix}` : undefined;
  if (o.login && login) {
    const { defaultLanguage, grants } = o.login;
    const password = `Pw-${randomBytes(12).toString('hex')}-x`;
    await withPool('master', (p) => p.request().batch(`CREATE LOGIN [${login}] WITH PASSWORD = N'${password}', CHECK_POLICY = OFF${defaultLanguage ? `, DEFAULT_LANGUAGE = [${defaultLanguage}]` : ''};`));
    await withPool(database, (p) => p.request().batch(`CREATE USER [${login}] FOR LOGIN [${login}];\n${grants.map((g) => g.replaceAll('{user}', `[${login}]`)).join('\n')}`));
    opts = { ...opts, user: login, password, domain: undefined };
  }
  const replica = createSqlServerReplica(opts);
  return {
    replica,
    database,
    opts,
    exec: (sql) => withPool(database, async (p) => { await p.request().batch(sql); }),
    query: <T,>(sql: string) => withPool(database, async (p) => (await p.request().query(sql)).recordset as unknown as T[]),
    async cleanup() {
      await replica.close().catch(() => {});
      await withPool('master', (p) => p.request().batch(`ALTER DATABASE [${database}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [${database}];`));
      if (login) await withPool('master', (p) => p.request().batch(`DROP LOGIN [${login}];`));
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
  async function freshReplica(o: FixtureOptions = {}): Promise<SqlServerFixture> {
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

  /** Issue 17: what only a real SQL Server can prove. */
  describe('SQL Server correctness (issue 17)', () => {
    const CI_AS = 'SQL_Latin1_General_CP1_CI_AS';
    const tag: TableDef = {
      schema: 'crm7', name: 'tag', primaryKey: ['code'],
      columns: [
        { name: 'code', type: { kind: 'string', length: 10, fixed: false }, nullable: false },
        { name: 'label', type: { kind: 'string', length: 10, fixed: false }, nullable: true },
      ],
    };
    const apply = (r: SqlServerReplica, table: TableDef, upserts: Row[], deletes: Row[] = []) =>
      r.apply({ tables: [{ table, upserts, deletes, markSeen: false }], state: [] });
    const codes = async (r: SqlServerReplica, table: TableDef = tag) => (await r.readRows(table)).map((x) => x.code as string).sort();

    it('keeps abc/ABC, a😀/a and お/オ apart within one batch on a CI_AS database', async () => {
      const { replica: r, query } = await freshReplica({ collation: CI_AS });
      assert.equal((await query<{ c: string }>('SELECT CONVERT(nvarchar(128), DATABASEPROPERTYEX(DB_NAME(), \'Collation\')) AS c'))[0]!.c, CI_AS);
      await r.createTable(tag);
      const keys = ['abc', 'ABC', 'a😀', 'a', 'お', 'オ'];
      await apply(r, tag, keys.map((code) => ({ code, label: code })));
      assert.deepEqual(await codes(r), [...keys].sort());
      for (const row of await r.readRows(tag)) assert.equal(row.label, row.code);
    });

    it('keeps them apart across batches, and a delete removes only its own key', async () => {
      const { replica: r } = await freshReplica({ collation: CI_AS });
      await r.createTable(tag);
      await apply(r, tag, [{ code: 'abc', label: '1' }, { code: 'お', label: '1' }, { code: 'a', label: '1' }]);
      await apply(r, tag, [{ code: 'ABC', label: '2' }, { code: 'オ', label: '2' }, { code: 'a😀', label: '2' }]);
      assert.deepEqual(await codes(r), ['ABC', 'a', 'abc', 'a😀', 'お', 'オ'].sort());
      await apply(r, tag, [{ code: 'abc', label: '3' }], [{ code: 'ABC' }, { code: 'オ' }, { code: 'a😀' }]);
      assert.deepEqual((await r.readRows(tag)).map((x) => [x.code, x.label]).sort(), [['a', '1'], ['abc', '3'], ['お', '1']].sort());
      // A delete of a key that differs only by a trailing space removes nothing.
      await apply(r, tag, [], [{ code: 'a ' }]);
      assert.deepEqual(await codes(r), ['a', 'abc', 'お'].sort());
    });

    it("'a' and 'a ' are never merged: the second halts the table loudly (SQL Server keys pad spaces)", async () => {
      const { replica: r } = await freshReplica({ collation: CI_AS });
      await r.createTable(tag);
      await apply(r, tag, [{ code: 'a', label: 'plain' }]);
      const err = await apply(r, tag, [{ code: 'a ', label: 'spaced' }]).then(() => null, (e: unknown) => e);
      assert.ok(err, "inserting 'a ' next to 'a' must fail, not update 'a'");
      const c = r.classifyError(err);
      assert.deepEqual([c.action, c.code], ['halt-table', 'REPLICA_DUPLICATE_KEY']);
      assert.match(c.hint, /trailing spaces/);
      assert.deepEqual((await r.readRows(tag)).map((x) => [x.code, x.label]), [['a', 'plain']]);
      const within = await apply(r, tag, [{ code: 'b', label: '1' }, { code: 'b ', label: '2' }]).then(() => null, (e: unknown) => e);
      assert.equal(r.classifyError(within).code, 'REPLICA_DUPLICATE_KEY');
    });

    it('binary keys with trailing 0x00 are never merged either', async () => {
      const { replica: r } = await freshReplica({ collation: CI_AS });
      const bin: TableDef = { schema: 'crm7', name: 'bin', primaryKey: ['k'], columns: [{ name: 'k', type: { kind: 'bytes', length: 4, fixed: false }, nullable: false }, { name: 'v', type: { kind: 'int', bits: 32 }, nullable: true }] };
      await r.createTable(bin);
      await r.apply({ tables: [{ table: bin, upserts: [{ k: Buffer.from([1]), v: 1 }], deletes: [], markSeen: false }], state: [] });
      await r.apply({ tables: [{ table: bin, upserts: [], deletes: [{ k: Buffer.from([1, 0]) }], markSeen: false }], state: [] });
      assert.deepEqual((await r.readRows(bin)).map((x) => [x.k, x.v]), [[Buffer.from([1]), 1]]);
    });

    it('emoji fill a string(n) key and a string(n) value (n characters, 2n UTF-16 units)', async () => {
      const { replica: r } = await freshReplica({ collation: CI_AS });
      const t: TableDef = { ...tag, name: 'emoji', columns: [{ name: 'code', type: { kind: 'string', length: 3, fixed: false }, nullable: false }, { name: 'label', type: { kind: 'string', length: 3, fixed: true }, nullable: true }] };
      await r.createTable(t);
      await apply(r, t, [{ code: 'a😀😀', label: '😀😀😀' }, { code: '😀😀😀', label: 'abc' }]);
      assert.deepEqual((await r.readRows(t)).map((x) => [x.code, x.label]).sort(), [['a😀😀', '😀😀😀'], ['😀😀😀', 'abc']].sort());
    });

    it('works on a database whose collation differs from tempdb (no 468 collation conflict)', async () => {
      const { replica: r, query } = await freshReplica({ collation: 'Japanese_XJIS_140_CI_AS' });
      const [row] = await query<{ db: string; temp: string }>("SELECT CONVERT(nvarchar(128), DATABASEPROPERTYEX(DB_NAME(), 'Collation')) AS db, CONVERT(nvarchar(128), DATABASEPROPERTYEX('tempdb', 'Collation')) AS temp");
      assert.notEqual(row!.db, row!.temp);
      await r.ensureStateTable();
      await r.createTable(tag);
      await r.beginSweep(tag);
      await r.apply({ tables: [{ table: tag, upserts: [{ code: 'x', label: 'ｶﾅ' }, { code: 'X', label: 'カナ' }], deletes: [{ code: 'y' }], markSeen: true }], state: [{ id: 'offset:t:0', kind: 'offset', value: '{}' }] });
      assert.equal(await r.finishSweep(tag), 0);
      assert.deepEqual(await codes(r), ['X', 'x']);
    });

    it('createTable twice, and provisioning again into a populated database, keep the rows', async () => {
      const f = await freshReplica();
      await f.replica.ensureStateTable();
      await f.replica.createTable(tag);
      await f.replica.createTable(tag);
      await apply(f.replica, tag, [{ code: 'k', label: 'v' }]);
      await f.replica.writeState([{ id: 'table:crm7.tag', kind: 'table', value: '{"state":"ok"}' }]);
      await f.replica.close();
      const again = createSqlServerReplica(f.opts);
      try {
        await again.connect();
        await again.ensureStateTable();
        await again.createTable(tag);
        assert.deepEqual(await again.readRows(tag), [{ code: 'k', label: 'v' }]);
        assert.deepEqual(await again.readState('table'), [{ id: 'table:crm7.tag', kind: 'table', value: '{"state":"ok"}' }]);
      } finally {
        await again.close();
      }
    });

    it('processes setting up one fresh replica at the same moment all find _ReplicationState made (no 2714 on the race)', async () => {
      const f = await freshReplica();
      const others = [0, 1, 2].map(() => createSqlServerReplica(f.opts));
      try {
        await Promise.all(others.map((r) => r.connect()));
        const out = await Promise.allSettled([f.replica, ...others].map((r) => r.ensureStateTable()));
        assert.deepEqual(out.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => String(o.reason)), []);
        assert.deepEqual(await f.replica.readState(), []);
        // The lock is the session's and released: another batch of the state DDL is not kept waiting.
        await f.replica.ensureStateTable();
      } finally {
        for (const r of others) await r.close().catch(() => undefined);
      }
    });

    it('widens an older state table (Id nvarchar(200), database collation) in place', async () => {
      const { replica: r, exec, query } = await freshReplica({ collation: CI_AS });
      await exec(`CREATE TABLE [dbo].[_ReplicationState] ([Id] nvarchar(200) NOT NULL, [Kind] nvarchar(32) NOT NULL, [Value] nvarchar(max) NOT NULL,
        [UpdatedUtc] datetime2(3) NOT NULL CONSTRAINT [DF__ReplicationState_UpdatedUtc] DEFAULT SYSUTCDATETIME(), CONSTRAINT [PK__ReplicationState] PRIMARY KEY CLUSTERED ([Id]));
        INSERT INTO [dbo].[_ReplicationState] ([Id], [Kind], [Value]) VALUES (N'table:crm.casey', N'table', N'{}');`);
      await r.ensureStateTable();
      await r.ensureStateTable();
      const [col] = await query<{ max_length: number; collation_name: string }>("SELECT max_length, collation_name FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo._ReplicationState') AND name = N'Id'");
      assert.deepEqual([col!.max_length, col!.collation_name], [900, 'Latin1_General_100_BIN2']);
      await r.writeState([{ id: 'table:crm.Casey', kind: 'table', value: '{"x":1}' }]);
      assert.deepEqual((await r.readState('table')).map((x) => x.id).sort(), ['table:crm.Casey', 'table:crm.casey']);
    });

    it('stores long state ids: table:<128>.<128> and a poison id of a 249-character topic', async () => {
      const { replica: r } = await freshReplica();
      await r.ensureStateTable();
      const ids = [`table:${'s'.repeat(128)}.${'t'.repeat(128)}`, `poison:${'p'.repeat(249)}:0:9223372036854775807`];
      await r.writeState(ids.map((id) => ({ id, kind: id.startsWith('table') ? 'table' as const : 'poison' as const, value: '{}' })));
      assert.deepEqual((await r.readState()).map((x) => x.id).sort(), [...ids].sort());
      await r.writeState([], [ids[0]!]);
      assert.deepEqual((await r.readState()).map((x) => x.id), [ids[1]]);
    });

    it('handles 128-character schema, table and column names', async () => {
      const { replica: r } = await freshReplica({ tablePrefix: 's'.repeat(128) });
      const t: TableDef = { schema: 'ignored', name: 't'.repeat(128), primaryKey: ['k'.repeat(128)], columns: [{ name: 'k'.repeat(128), type: { kind: 'string', length: 5, fixed: false }, nullable: false }, { name: 'v'.repeat(128), type: { kind: 'int', bits: 32 }, nullable: false, defaultValue: 7 }] };
      await r.createTable(t);
      await r.createTable(t);
      await apply(r, t, [{ ['k'.repeat(128)]: 'a' }, { ['k'.repeat(128)]: 'A', ['v'.repeat(128)]: 1 }]);
      await r.beginSweep(t);
      await r.apply({ tables: [{ table: t, upserts: [{ ['k'.repeat(128)]: 'a' }], deletes: [], markSeen: true }], state: [] });
      assert.equal(await r.finishSweep(t), 1);
      assert.deepEqual(await r.readRows(t), [{ ['k'.repeat(128)]: 'a', ['v'.repeat(128)]: 7 }]);
    });

    it('recovers after more consecutive failures than the pool has connections: @@TRANCOUNT 0, no leaked sessions', async () => {
      const f = await freshReplica({ poolMax: 2 });
      const r = f.replica;
      await r.createTable(tag);
      for (let i = 0; i < 5; i++) {
        const err = await apply(r, tag, [{ code: `k${i}`, label: 'x'.repeat(50) }]).then(() => null, (e: unknown) => e);
        assert.equal(r.classifyError(err).action, 'halt-table');
      }
      await apply(r, tag, [{ code: 'ok', label: 'fine' }]);
      assert.deepEqual(await codes(r), ['ok']);
      const sessions = await f.query<{ n: number; open: number }>(`SELECT COUNT(*) AS n, COALESCE(SUM(open_transaction_count), 0) AS [open] FROM sys.dm_exec_sessions WHERE program_name = N'tenant-mirror' AND database_id = DB_ID(N'${f.database}')`);
      assert.ok(sessions[0]!.n <= 2, `sessions: ${sessions[0]!.n}`);
      assert.equal(sessions[0]!.open, 0);
    });

    it('a provoked deadlock (1205) and lock timeout (1222) are retried to a consistent state', async () => {
      const f = await freshReplica();
      const r = f.replica;
      const t: TableDef = { ...tag, name: 'dl' };
      await r.createTable(t);
      await apply(r, t, [{ code: 'a', label: '0' }, { code: 'b', label: '0' }]);
      // 1222: a session with a short LOCK_TIMEOUT reads a row the other holds.
      await withPool(f.database, async (p) => {
        const holder = new mssql.Transaction(p);
        await holder.begin();
        try {
          await new mssql.Request(holder).batch("UPDATE [crm7].[dl] SET [label] = N'h' WHERE [code] = N'a';");
          const err = await p.request().batch("SET LOCK_TIMEOUT 200; SELECT * FROM [crm7].[dl] WHERE [code] = N'a';").then(() => null, (e: unknown) => e);
          assert.deepEqual([r.classifyError(err).action, (err as { number?: number }).number], ['retry', 1222]);
        } finally {
          await holder.rollback();
        }
      });
      // 1205: another session locks b then a while the replica updates a and b; the replica is the victim.
      let deadlocked = false;
      for (let attempt = 0; attempt < 5; attempt++) {
        const outcome = await withPool(f.database, async (p) => {
          const other = new mssql.Transaction(p);
          await other.begin();
          await new mssql.Request(other).batch("SET DEADLOCK_PRIORITY HIGH; UPDATE [crm7].[dl] SET [label] = N'o' WHERE [code] = N'b';");
          const mine = apply(r, t, [{ code: 'a', label: `m${attempt}` }, { code: 'b', label: `m${attempt}` }]).then(() => null, (e: unknown) => e);
          await new Promise((res) => setTimeout(res, 500));
          await new mssql.Request(other).batch("UPDATE [crm7].[dl] SET [label] = N'o' WHERE [code] = N'a';").catch(() => {});
          await other.commit().catch(() => {});
          return mine;
        });
        if (outcome === null) continue;
        const c = r.classifyError(outcome);
        assert.equal(c.action, 'retry', c.hint);
        deadlocked ||= (outcome as { number?: number }).number === 1205 || /deadlock/i.test(String(outcome));
        await apply(r, t, [{ code: 'a', label: 'final' }, { code: 'b', label: 'final' }]);
        break;
      }
      assert.ok(deadlocked, 'the replica was chosen as deadlock victim at least once');
      assert.deepEqual((await r.readRows(t)).map((x) => [x.code, x.label]), [['a', 'final'], ['b', 'final']]);
    });

    it('5,000 upserts + 5,000 deletes on a 1M-row table: readers are not blocked for long, no lock escalation', async () => {
      const f = await freshReplica();
      const r = f.replica;
      const big: TableDef = { schema: 'crm7', name: 'big', primaryKey: ['id'], columns: [{ name: 'id', type: { kind: 'int', bits: 64 }, nullable: false }, { name: 'v', type: { kind: 'int', bits: 32 }, nullable: true }] };
      await r.createTable(big);
      await f.exec(`WITH n AS (SELECT TOP (1000000) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS i FROM sys.all_objects a CROSS JOIN sys.all_objects b CROSS JOIN sys.all_objects c)
        INSERT INTO [crm7].[big] WITH (TABLOCK) ([id], [v]) SELECT i, 0 FROM n;`);
      const promotions = async () => Number((await f.query<{ n: number }>("SELECT COALESCE(SUM(index_lock_promotion_count), 0) AS n FROM sys.dm_db_index_operational_stats(DB_ID(), OBJECT_ID(N'crm7.big'), NULL, NULL)"))[0]!.n);
      const before = await promotions();
      const upserts = Array.from({ length: 5000 }, (_, i) => ({ id: BigInt(i * 100 + 1), v: 1 }));
      const deletes = Array.from({ length: 5000 }, (_, i) => ({ id: BigInt(i * 100 + 50) }));
      let done = false;
      let worst = 0;
      let escalated = 0;
      const reader = withPool(f.database, async (p) => {
        while (!done) {
          const t0 = Date.now();
          await p.request().query('SELECT [v] FROM [crm7].[big] WHERE [id] = 999999;');
          worst = Math.max(worst, Date.now() - t0);
          const locks = await p.request().query<{ n: number }>("SELECT COUNT(*) AS n FROM sys.dm_tran_locks WHERE resource_database_id = DB_ID() AND resource_type = N'OBJECT' AND resource_associated_entity_id = OBJECT_ID(N'crm7.big') AND request_mode IN (N'X', N'S', N'U', N'SIX')");
          escalated = Math.max(escalated, Number(locks.recordset[0]!.n));
          await new Promise((res) => setTimeout(res, 20));
        }
      });
      try {
        await r.apply({ tables: [{ table: big, upserts, deletes, markSeen: false }], state: [] });
      } finally {
        done = true;
        await reader;
      }
      assert.equal(await promotions(), before, 'no lock escalation (index_lock_promotion_count unchanged)');
      assert.equal(escalated, 0, 'no table-level S/X/U lock seen');
      assert.ok(worst < 3000, `a reader waited ${worst} ms`);
      assert.equal(await r.countRows(big), 995_000);
    });

    it('DDL on a table carrying a user index, a filtered unique index, a trigger and a SCHEMABINDING view', async () => {
      const f = await freshReplica();
      const r = f.replica;
      const v1: TableDef = {
        schema: 'crm7', name: 'busy', primaryKey: ['id'],
        columns: [
          { name: 'id', type: { kind: 'int', bits: 32 }, nullable: false },
          { name: 'email', type: { kind: 'string', length: 50, fixed: false }, nullable: true },
          { name: 'note', type: { kind: 'string', length: 10, fixed: false }, nullable: true },
        ],
      };
      await r.createTable(v1);
      await f.exec('CREATE INDEX [IX_note] ON [crm7].[busy] ([note]);');
      await f.exec('CREATE UNIQUE INDEX [UX_email] ON [crm7].[busy] ([email]) WHERE [email] IS NOT NULL;');
      await f.exec('CREATE TABLE [crm7].[audit] ([n] int IDENTITY PRIMARY KEY, [id] int);');
      await f.exec('CREATE TRIGGER [crm7].[tr_busy] ON [crm7].[busy] AFTER INSERT, UPDATE AS SET NOCOUNT ON; INSERT INTO [crm7].[audit] ([id]) SELECT [id] FROM inserted;');
      await f.exec('CREATE VIEW [crm7].[v_busy] WITH SCHEMABINDING AS SELECT [id], [email] FROM [crm7].[busy];');
      await apply(r, v1, [{ id: 1, email: 'a@x', note: 'n' }, { id: 2, email: null, note: 'n' }, { id: 3, email: null, note: 'n' }]);
      await apply(r, v1, [{ id: 1, email: 'b@x', note: 'm' }]);
      assert.equal(Number((await f.query<{ n: number }>('SELECT COUNT(*) AS n FROM [crm7].[audit]'))[0]!.n), 4);
      const dup = await apply(r, v1, [{ id: 4, email: 'b@x' }]).then(() => null, (e: unknown) => e);
      assert.equal(r.classifyError(dup).code, 'REPLICA_DUPLICATE_KEY');
      // Widen a column the view does not use: fine, index kept.
      const v2: TableDef = { ...v1, columns: v1.columns.map((c) => (c.name === 'note' ? { ...c, type: { kind: 'string', length: 100, fixed: false } } : c)) };
      await r.alterTable({ table: v2, addColumns: [], widenColumns: [v2.columns[2]!], relaxNullability: [] });
      // Widen the key (int -> bigint): the schema-bound view blocks it; loud, and the primary key stays.
      const v3: TableDef = { ...v2, columns: v2.columns.map((c) => (c.name === 'id' ? { ...c, type: { kind: 'int', bits: 64 } } : c)) };
      const blocked = await r.alterTable({ table: v3, addColumns: [], widenColumns: [v3.columns[0]!], relaxNullability: [] }).then(() => null, (e: unknown) => e);
      assert.equal(r.classifyError(blocked).code, 'SCHEMA_CONFLICT');
      assert.equal(Number((await f.query<{ n: number }>("SELECT COUNT(*) AS n FROM sys.key_constraints WHERE parent_object_id = OBJECT_ID(N'crm7.busy') AND type = N'PK'"))[0]!.n), 1);
      await f.exec('DROP VIEW [crm7].[v_busy];');
      await r.alterTable({ table: v3, addColumns: [], widenColumns: [v3.columns[0]!], relaxNullability: [] });
      await r.alterTable({ table: v3, addColumns: [], widenColumns: [v3.columns[0]!], relaxNullability: [] }); // re-runnable
      await apply(r, v3, [{ id: 5_000_000_000n, email: 'c@x', note: 'x'.repeat(100) }]);
      assert.equal((await r.readRows(v3)).length, 4);
      // Recreate (resync): drop and create again with the user objects gone or not.
      await r.dropTable(v3);
      await r.createTable(v3);
      assert.equal(await r.countRows(v3), 0);
    });

    it('converts exactly under SET LANGUAGE German / DATEFORMAT dmy (a login whose default language is German)', async () => {
      const f = await freshReplica({ login: { defaultLanguage: 'Deutsch', grants: ['ALTER ROLE db_owner ADD MEMBER {user};'] } });
      const r = f.replica;
      const p = new mssql.ConnectionPool(buildPoolConfig(f.opts)); // the replica's own login and settings
      await p.connect();
      const lang = await p.request().query<{ l: string; f: string }>('SELECT @@LANGUAGE AS l, (SELECT date_format FROM sys.dm_exec_sessions WHERE session_id = @@SPID) AS f')
        .then((res) => res.recordset[0]!).finally(() => p.close());
      assert.deepEqual([lang.l, lang.f], ['Deutsch', 'dmy']);
      const t: TableDef = {
        schema: 'crm7', name: 'conv', primaryKey: ['k'],
        columns: [
          { name: 'k', type: { kind: 'bytes', length: 4, fixed: false }, nullable: false },
          { name: 'dto', type: { kind: 'timestamptz', precision: 7, offset: true }, nullable: true },
          { name: 'd0', type: { kind: 'decimal', precision: 38, scale: 0 }, nullable: true },
          { name: 'd38', type: { kind: 'decimal', precision: 38, scale: 38 }, nullable: true },
          { name: 'big', type: { kind: 'int', bits: 64 }, nullable: true },
          { name: 't0', type: { kind: 'time', precision: 0 }, nullable: true },
          { name: 'ts', type: { kind: 'timestamp', precision: 7 }, nullable: true },
          { name: 'dt', type: { kind: 'date' }, nullable: true },
        ],
      };
      await r.createTable(t);
      const rows: Row[] = [
        { k: Buffer.from([1, 0]), dto: '2024-02-29T23:59:59.1234567+14:00', d0: '99999999999999999999999999999999999999', d38: '0.99999999999999999999999999999999999999', big: 9223372036854775807n, t0: '23:59:59', ts: '2024-12-01 01:02:03.0000001', dt: '2024-12-01' },
        { k: Buffer.from([3, 0, 0]), dto: '0001-01-01T00:00:00.0000000-14:00', d0: '-99999999999999999999999999999999999999', d38: '-0.00000000000000000000000000000000000001', big: -9223372036854775808n, t0: '00:00:00', ts: '0001-01-01 00:00:00', dt: '0001-01-01' },
        { k: Buffer.from([2]), dto: '2024-06-30T12:00:00.5000000+05:45', d0: '0', d38: `0.${'0'.repeat(38)}`, big: 0n, t0: '12:13:14', ts: '9999-12-31 23:59:59.9999999', dt: '9999-12-31' },
      ];
      await r.apply({ tables: [{ table: t, upserts: rows, deletes: [], markSeen: false }], state: [] });
      const back = await r.readRows(t);
      assert.equal(back.length, 3); // keys with trailing 0x00 (0x0100, 0x030000) are exact
      const byKey = new Map(back.map((x) => [(x.k as Buffer).toString('hex'), x]));
      for (const row of rows) {
        const got = byKey.get((row.k as Buffer).toString('hex'));
        assert.ok(got, `row ${(row.k as Buffer).toString('hex')} kept apart`);
        for (const c of ['d0', 'd38', 'big', 't0', 'dt'] as const) assert.deepEqual(got![c], row[c], c);
        assert.equal(String(got!.dto).slice(-6), String(row.dto).slice(-6), 'offset kept');
      }
    });

    it('a least-privilege login with TablePrefix "dbo" passes the rights check and mirrors', async () => {
      const f = await freshReplica({
        tablePrefix: 'dbo',
        login: { grants: ['GRANT CREATE TABLE TO {user};', 'GRANT ALTER, SELECT, INSERT, UPDATE, DELETE ON SCHEMA::[dbo] TO {user};'] },
      });
      const r = f.replica;
      assert.deepEqual(await r.checkRights(), { ok: true, missing: [] });
      await r.ensureStateTable();
      await r.createTable(tag);
      await r.createTable(tag);
      await r.beginSweep(tag);
      await r.apply({ tables: [{ table: tag, upserts: [{ code: 'a', label: '1' }], deletes: [], markSeen: true }], state: [{ id: 'offset:t:0', kind: 'offset', value: '{}' }] });
      assert.equal(await r.finishSweep(tag), 0);
      assert.deepEqual(await codes(r), ['a']);
    });
  });
});
