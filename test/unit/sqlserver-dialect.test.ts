import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ColumnDef, TableDef } from '../../main/engine/schema/table-model.ts';
import { SqlServerDialect } from '../../main/engine/replica/sqlserver/dialect.ts';
import { underStateLock } from '../../main/engine/replica/sqlserver/ddl.ts';
import { insideStateLock as inner } from '../doubles/sqlserver-state-lock.ts';

const d = new SqlServerDialect({ tablePrefix: '' });

const contact: TableDef = {
  schema: 'crm7',
  name: 'contact',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'int', bits: 64 }, nullable: false },
    { name: 'name', type: { kind: 'string', length: 100, fixed: false }, nullable: true },
    { name: 'active', type: { kind: 'bool' }, nullable: false, defaultValue: true },
    { name: 'balance', type: { kind: 'decimal', precision: 19, scale: 4 }, nullable: true },
    { name: 'modified', type: { kind: 'timestamp', precision: 7 }, nullable: false },
  ],
};

/** Composite key, names that need quoting. */
const odd: TableDef = {
  schema: 'crm 7',
  name: "order]line's",
  primaryKey: ['order id', 'line;no'],
  columns: [
    { name: 'order id', type: { kind: 'uuid' }, nullable: false },
    { name: 'line;no', type: { kind: 'int', bits: 32 }, nullable: false },
    { name: 'qty]', type: { kind: 'decimal', precision: 38, scale: 10 }, nullable: true },
    { name: 'note "x"', type: { kind: 'string', length: null, fixed: false }, nullable: true },
  ],
};

describe('SQL Server DDL', () => {
  it('creates a schema only when missing, in its own batch via EXEC', () => {
    assert.equal(d.createSchema('crm7'), "IF SCHEMA_ID(N'crm7') IS NULL EXEC(N'CREATE SCHEMA [crm7]');");
    assert.equal(d.createSchema("it's]"), "IF SCHEMA_ID(N'it''s]') IS NULL EXEC(N'CREATE SCHEMA [it''s]]]');");
  });

  it('creates the state table in dbo when missing; ids up to 450 characters, told apart exactly (binary collation)', () => {
    const sql = d.createStateTable().map(inner);
    assert.equal(sql.length, 3);
    assert.deepEqual(sql.slice(0, 1), [
      `IF OBJECT_ID(N'[dbo].[_ReplicationState]', N'U') IS NULL
CREATE TABLE [dbo].[_ReplicationState] (
  [Id] nvarchar(450) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [Kind] nvarchar(32) NOT NULL,
  [Value] nvarchar(max) NOT NULL,
  [UpdatedUtc] datetime2(3) NOT NULL CONSTRAINT [DF__ReplicationState_UpdatedUtc] DEFAULT SYSUTCDATETIME(),
  CONSTRAINT [PK__ReplicationState] PRIMARY KEY CLUSTERED ([Id])
);`,
    ]);
  });

  it('widens the Id of an older state table (nvarchar(200), database collation) around its primary key, re-runnable', () => {
    const [, widen, pk] = d.createStateTable().map(inner);
    assert.match(widen!, /^IF EXISTS \(SELECT 1 FROM sys\.columns WHERE object_id = OBJECT_ID\(N'\[dbo\]\.\[_ReplicationState\]', N'U'\) AND name = N'Id' AND \(max_length <> 900 OR collation_name <> N'Latin1_General_100_BIN2'\)\)/);
    assert.match(widen!, /FROM sys\.key_constraints WHERE parent_object_id = OBJECT_ID\(N'\[dbo\]\.\[_ReplicationState\]', N'U'\) AND \[type\] = N'PK'/);
    assert.match(widen!, /ALTER TABLE \[dbo\]\.\[_ReplicationState\] ALTER COLUMN \[Id\] nvarchar\(450\) COLLATE Latin1_General_100_BIN2 NOT NULL;\nEND;$/);
    // Re-added only when missing: a crash between the drop and the add is repaired by the next run.
    assert.equal(pk, `IF NOT EXISTS (SELECT 1 FROM sys.key_constraints WHERE parent_object_id = OBJECT_ID(N'[dbo].[_ReplicationState]', N'U') AND [type] = N'PK')
ALTER TABLE [dbo].[_ReplicationState] ADD CONSTRAINT [PK__ReplicationState] PRIMARY KEY CLUSTERED ([Id]);`);
  });

  it('runs each batch of the state table\'s DDL under one exclusive application lock of the session, released on success and on error', () => {
    // Two processes setting up one replica at the same moment: both saw no table, the later CREATE failed (2714).
    for (const batch of d.createStateTable()) {
      assert.ok(batch.startsWith(`DECLARE @tmStateLock int;
EXEC @tmStateLock = sp_getapplock @Resource = N'tenant-mirror: _ReplicationState', @LockMode = N'Exclusive', @LockOwner = N'Session', @LockTimeout = 60000;
BEGIN TRY
`), batch);
      assert.ok(batch.endsWith(`
END TRY
BEGIN CATCH
  IF @tmStateLock >= 0 EXEC sp_releaseapplock @Resource = N'tenant-mirror: _ReplicationState', @LockOwner = N'Session';
  THROW;
END CATCH;
IF @tmStateLock >= 0 EXEC sp_releaseapplock @Resource = N'tenant-mirror: _ReplicationState', @LockOwner = N'Session';`), batch);
      assert.equal(underStateLock(inner(batch)), batch);
    }
  });

  it('creates the state table in dbo even with a tablePrefix', () => {
    assert.match(new SqlServerDialect({ tablePrefix: 'mirror' }).createStateTable()[0]!, /CREATE TABLE \[dbo\]\.\[_ReplicationState\]/);
  });

  it('creates a table only when missing: schema first, NOT NULL key, named PK and defaults, no IDENTITY', () => {
    assert.deepEqual(d.createTable(contact), [
      "IF SCHEMA_ID(N'crm7') IS NULL EXEC(N'CREATE SCHEMA [crm7]');",
      `IF OBJECT_ID(N'[crm7].[contact]', N'U') IS NULL
CREATE TABLE [crm7].[contact] (
  [id] bigint NOT NULL,
  [name] nvarchar(200) NULL,
  [active] bit NOT NULL CONSTRAINT [DF_contact_active_c42ec511] DEFAULT 1,
  [balance] decimal(19,4) NULL,
  [modified] datetime2(7) NOT NULL,
  CONSTRAINT [PK_contact] PRIMARY KEY CLUSTERED ([id])
);`,
    ]);
  });

  it('creates a table with names that need quoting', () => {
    assert.deepEqual(d.createTable(odd), [
      "IF SCHEMA_ID(N'crm 7') IS NULL EXEC(N'CREATE SCHEMA [crm 7]');",
      `IF OBJECT_ID(N'[crm 7].[order]]line''s]', N'U') IS NULL
CREATE TABLE [crm 7].[order]]line's] (
  [order id] uniqueidentifier NOT NULL,
  [line;no] int NOT NULL,
  [qty]]] decimal(38,10) NULL,
  [note "x"] nvarchar(max) NULL,
  CONSTRAINT [PK_order]]line's] PRIMARY KEY CLUSTERED ([order id], [line;no])
);`,
    ]);
  });

  it('creates the table in the tablePrefix schema', () => {
    const p = new SqlServerDialect({ tablePrefix: 'tenant_a' });
    const [schema, table] = p.createTable(contact);
    assert.equal(schema, "IF SCHEMA_ID(N'tenant_a') IS NULL EXEC(N'CREATE SCHEMA [tenant_a]');");
    assert.match(table!, /^IF OBJECT_ID\(N'\[tenant_a\]\.\[contact\]', N'U'\) IS NULL\nCREATE TABLE \[tenant_a\]\.\[contact\] \(/);
  });

  it('refuses a table without a primary key', () => {
    assert.throws(() => d.createTable({ ...contact, primaryKey: [] }), /no primary key/);
    assert.throws(() => d.createTable({ ...contact, primaryKey: ['nope'] }), /not a column/);
  });

  it('drops a table if it exists, with its sweep set', () => {
    assert.deepEqual(d.dropTable({ schema: 'crm7', name: 'contact' }), [
      'DROP TABLE IF EXISTS [crm7].[contact];',
      'DROP TABLE IF EXISTS [dbo].[_ReplicationSeen_8751f2c294e8];',
    ]);
  });

  describe('ALTER', () => {
    const col = (name: string): ColumnDef => contact.columns.find((c) => c.name === name)!;
    const plan = (over: Partial<{ addColumns: ColumnDef[]; widenColumns: ColumnDef[]; relaxNullability: ColumnDef[] }>, table: TableDef = contact) =>
      ({ table, addColumns: [], widenColumns: [], relaxNullability: [], ...over });

    it('adds a column only when missing (COL_LENGTH), with quoting inside the literal', () => {
      const c: ColumnDef = { name: "new 'col']", type: { kind: 'string', length: 5, fixed: false }, nullable: true };
      assert.deepEqual(d.alterTable(plan({ addColumns: [c] }, { ...odd, columns: [...odd.columns, c] })), [
        "IF COL_LENGTH(N'[crm 7].[order]]line''s]', N'new ''col'']') IS NULL ALTER TABLE [crm 7].[order]]line's] ADD [new 'col']]] nvarchar(10) NULL;",
      ]);
    });

    it('adds a nullable column', () => {
      const email: ColumnDef = { name: 'email', type: { kind: 'string', length: 320, fixed: false }, nullable: true };
      assert.deepEqual(d.alterTable(plan({ addColumns: [email] }, { ...contact, columns: [...contact.columns, email] })), [
        "IF COL_LENGTH(N'[crm7].[contact]', N'email') IS NULL ALTER TABLE [crm7].[contact] ADD [email] nvarchar(640) NULL;",
      ]);
    });

    it('adds a NOT NULL column with its default (existing rows take it)', () => {
      const tier: ColumnDef = { name: 'tier', type: { kind: 'int', bits: 16 }, nullable: false, defaultValue: 3 };
      assert.deepEqual(d.alterTable(plan({ addColumns: [tier] }, { ...contact, columns: [...contact.columns, tier] })), [
        "IF COL_LENGTH(N'[crm7].[contact]', N'tier') IS NULL ALTER TABLE [crm7].[contact] ADD [tier] smallint NOT NULL CONSTRAINT [DF_contact_tier_019122b6] DEFAULT 3;",
      ]);
    });

    it('adds a nullable column with a default WITH VALUES', () => {
      const c: ColumnDef = { name: 'tier', type: { kind: 'int', bits: 32 }, nullable: true, defaultValue: 1 };
      assert.deepEqual(d.alterTable(plan({ addColumns: [c] })), [
        "IF COL_LENGTH(N'[crm7].[contact]', N'tier') IS NULL ALTER TABLE [crm7].[contact] ADD [tier] int NULL CONSTRAINT [DF_contact_tier_019122b6] DEFAULT 1 WITH VALUES;",
      ]);
    });

    it('adds a NOT NULL column without a default as NULL (existing rows have no value)', () => {
      const c: ColumnDef = { name: 'x', type: { kind: 'date' }, nullable: false };
      assert.deepEqual(d.alterTable(plan({ addColumns: [c] })), ["IF COL_LENGTH(N'[crm7].[contact]', N'x') IS NULL ALTER TABLE [crm7].[contact] ADD [x] date NULL;"]);
    });

    it('widens a column, dropping its default whatever its name (looked up by column) and re-creating it when missing', () => {
      const wider: TableDef = { ...contact, columns: contact.columns.map((c) => (c.name === 'name' ? { ...c, type: { kind: 'string', length: 500, fixed: false }, defaultValue: 'n/a' } : c)) };
      const lookup = "SELECT dc.[name] FROM sys.default_constraints AS dc WHERE dc.parent_object_id = OBJECT_ID(N'[crm7].[contact]', N'U') AND dc.parent_column_id = COLUMNPROPERTY(OBJECT_ID(N'[crm7].[contact]', N'U'), N'name', 'ColumnId')";
      assert.deepEqual(d.alterTable(plan({ widenColumns: [wider.columns[1]!] }, wider)), [
        `DECLARE @df sysname = (${lookup});
IF @df IS NOT NULL BEGIN DECLARE @dropDf nvarchar(max) = N'ALTER TABLE [crm7].[contact] DROP CONSTRAINT ' + QUOTENAME(@df); EXEC(@dropDf); END;`,
        'ALTER TABLE [crm7].[contact] ALTER COLUMN [name] nvarchar(1000) NULL;',
        `IF NOT EXISTS (${lookup})
ALTER TABLE [crm7].[contact] ADD CONSTRAINT [DF_contact_name_2396614c] DEFAULT N'n/a' FOR [name];`,
      ]);
    });

    it('widens decimal precision and datetime2 precision', () => {
      const wider: TableDef = {
        ...contact,
        columns: contact.columns.map((c) => (c.name === 'balance' ? { ...c, type: { kind: 'decimal', precision: 28, scale: 6 } } : c.name === 'modified' ? { ...c, type: { kind: 'timestamp', precision: 7 } } : c)),
      };
      const sql = d.alterTable(plan({ widenColumns: [wider.columns[3]!, wider.columns[4]!] }, wider));
      assert.ok(sql.includes('ALTER TABLE [crm7].[contact] ALTER COLUMN [balance] decimal(28,6) NULL;'));
      assert.ok(sql.includes('ALTER TABLE [crm7].[contact] ALTER COLUMN [modified] datetime2(7) NOT NULL;'));
    });

    it('relaxes NOT NULL to NULL', () => {
      const relaxed: TableDef = { ...contact, columns: contact.columns.map((c) => (c.name === 'modified' ? { ...c, nullable: true } : c)) };
      const sql = d.alterTable(plan({ relaxNullability: [relaxed.columns[4]!] }, relaxed));
      assert.equal(sql.length, 2);
      assert.match(sql[0]!, /^DECLARE @df sysname = .*N'modified', 'ColumnId'\)\);\nIF @df IS NOT NULL BEGIN/);
      assert.equal(sql[1], 'ALTER TABLE [crm7].[contact] ALTER COLUMN [modified] datetime2(7) NULL;');
    });

    it('relaxing the nullability of a key column alone changes nothing (a key stays NOT NULL; ALTER COLUMN would fail with 5074)', () => {
      const relaxed: TableDef = { ...contact, columns: contact.columns.map((c) => (c.name === 'id' ? { ...c, nullable: true } : c)) };
      assert.deepEqual(d.alterTable(plan({ relaxNullability: [relaxed.columns[0]!] }, relaxed)), []);
    });

    it('widens a key column by dropping and re-creating the primary key; a key stays NOT NULL', () => {
      const wider: TableDef = { ...odd, columns: odd.columns.map((c) => (c.name === 'line;no' ? { ...c, type: { kind: 'int', bits: 64 }, nullable: true } : c)) };
      const sql = d.alterTable(plan({ widenColumns: [wider.columns[1]!] }, wider));
      assert.equal(sql.length, 4);
      assert.match(sql[0]!, /^DECLARE @df sysname/);
      assert.equal(sql[1], `DECLARE @pk sysname = (SELECT [name] FROM sys.key_constraints WHERE parent_object_id = OBJECT_ID(N'[crm 7].[order]]line''s]', N'U') AND [type] = N'PK');
IF @pk IS NOT NULL BEGIN DECLARE @dropPk nvarchar(max) = N'ALTER TABLE [crm 7].[order]]line''s] DROP CONSTRAINT ' + QUOTENAME(@pk); EXEC(@dropPk); END;`);
      assert.equal(sql[2], "ALTER TABLE [crm 7].[order]]line's] ALTER COLUMN [line;no] bigint NOT NULL;");
      assert.equal(sql[3], `IF NOT EXISTS (SELECT 1 FROM sys.key_constraints WHERE parent_object_id = OBJECT_ID(N'[crm 7].[order]]line''s]', N'U') AND [type] = N'PK')
ALTER TABLE [crm 7].[order]]line's] ADD CONSTRAINT [PK_order]]line's] PRIMARY KEY CLUSTERED ([order id], [line;no]);`);
    });

    it('combines add, widen and relax in one plan', () => {
      const email: ColumnDef = { name: 'email', type: { kind: 'string', length: 320, fixed: false }, nullable: true };
      const sql = d.alterTable(plan({ addColumns: [email], widenColumns: [col('name')], relaxNullability: [col('name')] }));
      assert.equal(sql[0], "IF COL_LENGTH(N'[crm7].[contact]', N'email') IS NULL ALTER TABLE [crm7].[contact] ADD [email] nvarchar(640) NULL;");
      assert.equal(sql.filter((s) => s.includes('ALTER COLUMN [name]')).length, 1);
    });
  });
});

describe('SQL Server apply statements', () => {
  const plan = d.stagePlan(contact, ['id', 'name', 'active', 'balance', 'modified'], 'upsert');

  it('creates the upsert staging table with positional columns and seq', () => {
    assert.equal(d.createStage(plan), `DROP TABLE IF EXISTS #mirror_upsert;
CREATE TABLE #mirror_upsert (
  [seq] int NOT NULL,
  [c0] nvarchar(20) COLLATE DATABASE_DEFAULT NOT NULL,
  [c1] nvarchar(max) COLLATE DATABASE_DEFAULT NULL,
  [c2] bit NULL,
  [c3] nvarchar(100) COLLATE DATABASE_DEFAULT NULL,
  [c4] nvarchar(27) COLLATE DATABASE_DEFAULT NULL
);`);
    assert.equal(d.dropStage(plan), 'DROP TABLE IF EXISTS #mirror_upsert;');
  });

  it('upserts the de-duplicated stage (last seq per key wins) with UPDATE … FROM then INSERT … WHERE NOT EXISTS: no MERGE, no HOLDLOCK', () => {
    const source = `(
  SELECT CONVERT(bigint, d.[c0]) AS [id], d.[c1] AS [name], d.[c2] AS [active], CONVERT(decimal(19,4), d.[c3]) AS [balance], CONVERT(datetime2(7), d.[c4], 121) AS [modified]
  FROM (
    SELECT x.*, ROW_NUMBER() OVER (PARTITION BY CONVERT(bigint, x.[c0]) ORDER BY x.[seq] DESC) AS [rn]
    FROM #mirror_upsert AS x
  ) AS d
  WHERE d.[rn] = 1
) AS s`;
    const sql = d.upsert(contact, plan);
    assert.equal(sql, `UPDATE t SET t.[name] = s.[name], t.[active] = s.[active], t.[balance] = s.[balance], t.[modified] = s.[modified]
FROM [crm7].[contact] AS t
JOIN ${source}
ON t.[id] = s.[id];
INSERT INTO [crm7].[contact] ([id], [name], [active], [balance], [modified])
SELECT s.[id], s.[name], s.[active], s.[balance], s.[modified]
FROM ${source}
WHERE NOT EXISTS (SELECT 1 FROM [crm7].[contact] AS t WHERE t.[id] = s.[id]);`);
    assert.doesNotMatch(sql, /MERGE|HOLDLOCK/);
  });

  it('upserts a partial row set touching only the columns it carries', () => {
    const partial = d.stagePlan(contact, ['id', 'active'], 'upsert');
    const sql = d.upsert(contact, partial);
    assert.match(sql, /^UPDATE t SET t\.\[active\] = s\.\[active\]\n/);
    assert.match(sql, /INSERT INTO \[crm7\]\.\[contact\] \(\[id\], \[active\]\)\nSELECT s\.\[id\], s\.\[active\]\n/);
  });

  it('upserts a composite key with quoted names; a key-only table has no UPDATE', () => {
    const p = d.stagePlan(odd, ['order id', 'line;no', 'qty]', 'note "x"'], 'upsert');
    const sql = d.upsert(odd, p);
    assert.match(sql, /PARTITION BY CONVERT\(uniqueidentifier, x\.\[c0\]\), x\.\[c1\] ORDER BY x\.\[seq\] DESC/);
    assert.match(sql, /^UPDATE t SET t\.\[qty\]\]\] = s\.\[qty\]\]\], t\.\[note "x"\] = s\.\[note "x"\]\nFROM \[crm 7\]\.\[order\]\]line's\] AS t\n/);
    assert.match(sql, /\nON t\.\[order id\] = s\.\[order id\] AND t\.\[line;no\] = s\.\[line;no\];\n/);
    const keysOnly = d.upsert(odd, d.stagePlan(odd, [], 'upsert'));
    assert.doesNotMatch(keysOnly, /UPDATE/);
    assert.match(keysOnly, /^INSERT INTO \[crm 7\]\.\[order\]\]line's\] \(\[order id\], \[line;no\]\)/);
  });

  it('stages delete keys and deletes set-based', () => {
    const del = d.stagePlan(odd, odd.primaryKey, 'delete');
    assert.equal(d.createStage(del), `DROP TABLE IF EXISTS #mirror_delete;
CREATE TABLE #mirror_delete (
  [c0] nvarchar(36) COLLATE DATABASE_DEFAULT NOT NULL,
  [c1] int NOT NULL
);`);
    assert.equal(d.deleteRows(odd, del), `DELETE t FROM [crm 7].[order]]line's] AS t
WHERE EXISTS (SELECT 1 FROM #mirror_delete AS d WHERE t.[order id] = CONVERT(uniqueidentifier, d.[c0]) AND t.[line;no] = d.[c1]);`);
  });

  it('marks upserted keys in the sweep set (one row per exact key)', () => {
    assert.equal(d.markSeen(contact, plan), `INSERT INTO [dbo].[_ReplicationSeen_8751f2c294e8] ([id])
SELECT s.[id]
FROM (
  SELECT CONVERT(bigint, d.[c0]) AS [id]
  FROM (
    SELECT x.*, ROW_NUMBER() OVER (PARTITION BY CONVERT(bigint, x.[c0]) ORDER BY x.[seq] DESC) AS [rn]
    FROM #mirror_upsert AS x
  ) AS d
  WHERE d.[rn] = 1
) AS s
WHERE NOT EXISTS (SELECT 1 FROM [dbo].[_ReplicationSeen_8751f2c294e8] AS v WHERE v.[id] = s.[id]);`);
  });
});

describe('SQL Server sweep', () => {
  it('begins with a fresh set of the key columns in dbo (named from sha256 of the source table id)', () => {
    assert.deepEqual(d.beginSweep(odd), [
      'DROP TABLE IF EXISTS [dbo].[_ReplicationSeen_19168d598c01];',
      `CREATE TABLE [dbo].[_ReplicationSeen_19168d598c01] (
  [order id] uniqueidentifier NOT NULL,
  [line;no] int NOT NULL,
  CONSTRAINT [PK__ReplicationSeen_19168d598c01] PRIMARY KEY CLUSTERED ([order id], [line;no])
);`,
    ]);
  });

  it('finishes by deleting unseen rows in chunks of 2,000 (under lock escalation), then the set is dropped', () => {
    assert.equal(d.finishSweep(contact), `DELETE TOP (2000) t FROM [crm7].[contact] AS t
WHERE NOT EXISTS (SELECT 1 FROM [dbo].[_ReplicationSeen_8751f2c294e8] AS v WHERE v.[id] = t.[id]);`);
    assert.deepEqual(d.dropSweep(contact), ['DROP TABLE IF EXISTS [dbo].[_ReplicationSeen_8751f2c294e8];']);
  });

  it('names the set from the source table id, whatever the tablePrefix', () => {
    assert.deepEqual(new SqlServerDialect({ tablePrefix: 'other' }).dropSweep(contact), d.dropSweep(contact));
  });
});

describe('SQL Server state and reads', () => {
  it('upserts state rows from parameters', () => {
    assert.equal(d.upsertState(2), `MERGE [dbo].[_ReplicationState] WITH (UPDLOCK, HOLDLOCK) AS t
USING (VALUES
  (@id0, @kind0, @value0),
  (@id1, @kind1, @value1)
) AS s ([Id], [Kind], [Value])
ON t.[Id] = s.[Id]
WHEN MATCHED THEN UPDATE SET t.[Kind] = s.[Kind], t.[Value] = s.[Value], t.[UpdatedUtc] = SYSUTCDATETIME()
WHEN NOT MATCHED BY TARGET THEN INSERT ([Id], [Kind], [Value], [UpdatedUtc]) VALUES (s.[Id], s.[Kind], s.[Value], SYSUTCDATETIME());`);
  });

  it('deletes and reads state rows', () => {
    assert.equal(d.deleteState(2), 'DELETE FROM [dbo].[_ReplicationState] WHERE [Id] IN (@rm0, @rm1);');
    assert.equal(d.readState(), 'SELECT [Id], [Kind], [Value] FROM [dbo].[_ReplicationState] ORDER BY [Id];');
  });

  it('reads rows in key order with exact text for lossy types', () => {
    assert.equal(
      d.selectRows(contact),
      'SELECT CONVERT(varchar(20), [id]) AS [id], [name] AS [name], [active] AS [active], CONVERT(varchar(48), [balance]) AS [balance], CONVERT(varchar(27), [modified], 121) AS [modified] FROM [crm7].[contact] ORDER BY [id];',
    );
  });

  it('counts rows and checks existence', () => {
    assert.equal(d.countRows(odd), "SELECT COUNT_BIG(*) AS [n] FROM [crm 7].[order]]line's];");
    assert.equal(d.tableExists(odd), "SELECT CASE WHEN OBJECT_ID(N'[crm 7].[order]]line''s]', N'U') IS NULL THEN 0 ELSE 1 END AS [present];");
    assert.equal(d.stateTableExists(), "SELECT CASE WHEN OBJECT_ID(N'[dbo].[_ReplicationState]', N'U') IS NULL THEN 0 ELSE 1 END AS [present];");
  });
});
