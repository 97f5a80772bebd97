import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ColumnDef, TableDef } from '../../main/engine/schema/table-model.ts';
import { createSqlServerDialect } from '../../main/engine/replica/sqlserver/sqlserver-dialect.ts';

const d = createSqlServerDialect({ tablePrefix: '' });

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

  it('creates the state table in dbo when missing', () => {
    assert.deepEqual(d.createStateTable(), [
      `IF OBJECT_ID(N'[dbo].[_ReplicationState]', N'U') IS NULL
CREATE TABLE [dbo].[_ReplicationState] (
  [Id] nvarchar(200) NOT NULL,
  [Kind] nvarchar(32) NOT NULL,
  [Value] nvarchar(max) NOT NULL,
  [UpdatedUtc] datetime2(3) NOT NULL CONSTRAINT [DF__ReplicationState_UpdatedUtc] DEFAULT SYSUTCDATETIME(),
  CONSTRAINT [PK__ReplicationState] PRIMARY KEY CLUSTERED ([Id])
);`,
    ]);
  });

  it('creates the state table in dbo even with a tablePrefix', () => {
    assert.match(createSqlServerDialect({ tablePrefix: 'mirror' }).createStateTable()[0]!, /CREATE TABLE \[dbo\]\.\[_ReplicationState\]/);
  });

  it('creates a table: schema first, NOT NULL key, named PK and defaults, no IDENTITY', () => {
    assert.deepEqual(d.createTable(contact), [
      "IF SCHEMA_ID(N'crm7') IS NULL EXEC(N'CREATE SCHEMA [crm7]');",
      `CREATE TABLE [crm7].[contact] (
  [id] bigint NOT NULL,
  [name] nvarchar(100) NULL,
  [active] bit NOT NULL CONSTRAINT [DF_contact_active] DEFAULT 1,
  [balance] decimal(19,4) NULL,
  [modified] datetime2(7) NOT NULL,
  CONSTRAINT [PK_contact] PRIMARY KEY CLUSTERED ([id])
);`,
    ]);
  });

  it('creates a table with names that need quoting', () => {
    assert.deepEqual(d.createTable(odd), [
      "IF SCHEMA_ID(N'crm 7') IS NULL EXEC(N'CREATE SCHEMA [crm 7]');",
      `CREATE TABLE [crm 7].[order]]line's] (
  [order id] uniqueidentifier NOT NULL,
  [line;no] int NOT NULL,
  [qty]]] decimal(38,10) NULL,
  [note "x"] nvarchar(max) NULL,
  CONSTRAINT [PK_order]]line's] PRIMARY KEY CLUSTERED ([order id], [line;no])
);`,
    ]);
  });

  it('creates the table in the tablePrefix schema', () => {
    const p = createSqlServerDialect({ tablePrefix: 'tenant_a' });
    const [schema, table] = p.createTable(contact);
    assert.equal(schema, "IF SCHEMA_ID(N'tenant_a') IS NULL EXEC(N'CREATE SCHEMA [tenant_a]');");
    assert.match(table!, /^CREATE TABLE \[tenant_a\]\.\[contact\] \(/);
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
        "IF COL_LENGTH(N'[crm 7].[order]]line''s]', N'new ''col'']') IS NULL ALTER TABLE [crm 7].[order]]line's] ADD [new 'col']]] nvarchar(5) NULL;",
      ]);
    });

    it('adds a nullable column', () => {
      const email: ColumnDef = { name: 'email', type: { kind: 'string', length: 320, fixed: false }, nullable: true };
      assert.deepEqual(d.alterTable(plan({ addColumns: [email] }, { ...contact, columns: [...contact.columns, email] })), [
        "IF COL_LENGTH(N'[crm7].[contact]', N'email') IS NULL ALTER TABLE [crm7].[contact] ADD [email] nvarchar(320) NULL;",
      ]);
    });

    it('adds a NOT NULL column with its default (existing rows take it)', () => {
      const tier: ColumnDef = { name: 'tier', type: { kind: 'int', bits: 16 }, nullable: false, defaultValue: 3 };
      assert.deepEqual(d.alterTable(plan({ addColumns: [tier] }, { ...contact, columns: [...contact.columns, tier] })), [
        "IF COL_LENGTH(N'[crm7].[contact]', N'tier') IS NULL ALTER TABLE [crm7].[contact] ADD [tier] smallint NOT NULL CONSTRAINT [DF_contact_tier] DEFAULT 3;",
      ]);
    });

    it('adds a nullable column with a default WITH VALUES', () => {
      const c: ColumnDef = { name: 'tier', type: { kind: 'int', bits: 32 }, nullable: true, defaultValue: 1 };
      assert.deepEqual(d.alterTable(plan({ addColumns: [c] })), [
        "IF COL_LENGTH(N'[crm7].[contact]', N'tier') IS NULL ALTER TABLE [crm7].[contact] ADD [tier] int NULL CONSTRAINT [DF_contact_tier] DEFAULT 1 WITH VALUES;",
      ]);
    });

    it('adds a NOT NULL column without a default as NULL (existing rows have no value)', () => {
      const c: ColumnDef = { name: 'x', type: { kind: 'date' }, nullable: false };
      assert.deepEqual(d.alterTable(plan({ addColumns: [c] })), ["IF COL_LENGTH(N'[crm7].[contact]', N'x') IS NULL ALTER TABLE [crm7].[contact] ADD [x] date NULL;"]);
    });

    it('widens a column, dropping and re-creating its default around ALTER COLUMN', () => {
      const wider: TableDef = { ...contact, columns: contact.columns.map((c) => (c.name === 'name' ? { ...c, type: { kind: 'string', length: 500, fixed: false }, defaultValue: 'n/a' } : c)) };
      assert.deepEqual(d.alterTable(plan({ widenColumns: [wider.columns[1]!] }, wider)), [
        "IF OBJECT_ID(N'[crm7].[DF_contact_name]', N'D') IS NOT NULL ALTER TABLE [crm7].[contact] DROP CONSTRAINT [DF_contact_name];",
        'ALTER TABLE [crm7].[contact] ALTER COLUMN [name] nvarchar(500) NULL;',
        "ALTER TABLE [crm7].[contact] ADD CONSTRAINT [DF_contact_name] DEFAULT N'n/a' FOR [name];",
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
      assert.deepEqual(d.alterTable(plan({ relaxNullability: [relaxed.columns[4]!] }, relaxed)), [
        "IF OBJECT_ID(N'[crm7].[DF_contact_modified]', N'D') IS NOT NULL ALTER TABLE [crm7].[contact] DROP CONSTRAINT [DF_contact_modified];",
        'ALTER TABLE [crm7].[contact] ALTER COLUMN [modified] datetime2(7) NULL;',
      ]);
    });

    it('widens a key column by dropping and re-creating the primary key; a key stays NOT NULL', () => {
      const wider: TableDef = { ...odd, columns: odd.columns.map((c) => (c.name === 'line;no' ? { ...c, type: { kind: 'int', bits: 64 }, nullable: true } : c)) };
      assert.deepEqual(d.alterTable(plan({ widenColumns: [wider.columns[1]!] }, wider)), [
        "IF OBJECT_ID(N'[crm 7].[DF_order]]line''s_line;no]', N'D') IS NOT NULL ALTER TABLE [crm 7].[order]]line's] DROP CONSTRAINT [DF_order]]line's_line;no];",
        "ALTER TABLE [crm 7].[order]]line's] DROP CONSTRAINT [PK_order]]line's];",
        "ALTER TABLE [crm 7].[order]]line's] ALTER COLUMN [line;no] bigint NOT NULL;",
        "ALTER TABLE [crm 7].[order]]line's] ADD CONSTRAINT [PK_order]]line's] PRIMARY KEY CLUSTERED ([order id], [line;no]);",
      ]);
    });

    it('combines add, widen and relax in one plan', () => {
      const email: ColumnDef = { name: 'email', type: { kind: 'string', length: 320, fixed: false }, nullable: true };
      const sql = d.alterTable(plan({ addColumns: [email], widenColumns: [col('name')], relaxNullability: [col('name')] }));
      assert.equal(sql[0], "IF COL_LENGTH(N'[crm7].[contact]', N'email') IS NULL ALTER TABLE [crm7].[contact] ADD [email] nvarchar(320) NULL;");
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

  it('merges the de-duplicated stage (last seq per key wins) WITH (UPDLOCK, HOLDLOCK)', () => {
    assert.equal(d.merge(contact, plan), `MERGE [crm7].[contact] WITH (UPDLOCK, HOLDLOCK) AS t
USING (
  SELECT CONVERT(bigint, d.[c0]) AS [id], d.[c1] AS [name], d.[c2] AS [active], CONVERT(decimal(19,4), d.[c3]) AS [balance], CONVERT(datetime2(7), d.[c4], 121) AS [modified]
  FROM (
    SELECT x.*, ROW_NUMBER() OVER (PARTITION BY CONVERT(bigint, x.[c0]) ORDER BY x.[seq] DESC) AS [rn]
    FROM #mirror_upsert AS x
  ) AS d
  WHERE d.[rn] = 1
) AS s
ON t.[id] = s.[id]
WHEN MATCHED THEN UPDATE SET t.[name] = s.[name], t.[active] = s.[active], t.[balance] = s.[balance], t.[modified] = s.[modified]
WHEN NOT MATCHED BY TARGET THEN INSERT ([id], [name], [active], [balance], [modified]) VALUES (s.[id], s.[name], s.[active], s.[balance], s.[modified]);`);
  });

  it('merges a partial row set touching only the columns it carries', () => {
    const partial = d.stagePlan(contact, ['id', 'active'], 'upsert');
    const sql = d.merge(contact, partial);
    assert.match(sql, /WHEN MATCHED THEN UPDATE SET t\.\[active\] = s\.\[active\]\n/);
    assert.match(sql, /INSERT \(\[id\], \[active\]\) VALUES \(s\.\[id\], s\.\[active\]\);$/);
  });

  it('merges a composite key with quoted names; a key-only table has no UPDATE branch', () => {
    const p = d.stagePlan(odd, ['order id', 'line;no', 'qty]', 'note "x"'], 'upsert');
    assert.equal(d.merge(odd, p), `MERGE [crm 7].[order]]line's] WITH (UPDLOCK, HOLDLOCK) AS t
USING (
  SELECT CONVERT(uniqueidentifier, d.[c0]) AS [order id], d.[c1] AS [line;no], CONVERT(decimal(38,10), d.[c2]) AS [qty]]], d.[c3] AS [note "x"]
  FROM (
    SELECT x.*, ROW_NUMBER() OVER (PARTITION BY CONVERT(uniqueidentifier, x.[c0]), x.[c1] ORDER BY x.[seq] DESC) AS [rn]
    FROM #mirror_upsert AS x
  ) AS d
  WHERE d.[rn] = 1
) AS s
ON t.[order id] = s.[order id] AND t.[line;no] = s.[line;no]
WHEN MATCHED THEN UPDATE SET t.[qty]]] = s.[qty]]], t.[note "x"] = s.[note "x"]
WHEN NOT MATCHED BY TARGET THEN INSERT ([order id], [line;no], [qty]]], [note "x"]) VALUES (s.[order id], s.[line;no], s.[qty]]], s.[note "x"]);`);
    const keysOnly = d.merge(odd, d.stagePlan(odd, [], 'upsert'));
    assert.doesNotMatch(keysOnly, /WHEN MATCHED/);
    assert.match(keysOnly, /WHEN NOT MATCHED BY TARGET THEN INSERT \(\[order id\], \[line;no\]\)/);
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

  it('marks upserted keys in the sweep set', () => {
    assert.equal(d.markSeen(contact, plan), `INSERT INTO [dbo].[_ReplicationSeen_8751f2c294e8] ([id])
SELECT DISTINCT CONVERT(bigint, d.[c0])
FROM #mirror_upsert AS d
WHERE NOT EXISTS (SELECT 1 FROM [dbo].[_ReplicationSeen_8751f2c294e8] AS v WHERE v.[id] = CONVERT(bigint, d.[c0]));`);
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

  it('finishes by deleting unseen rows, then the set is dropped', () => {
    assert.equal(d.finishSweep(contact), `DELETE t FROM [crm7].[contact] AS t
WHERE NOT EXISTS (SELECT 1 FROM [dbo].[_ReplicationSeen_8751f2c294e8] AS v WHERE v.[id] = t.[id]);`);
    assert.deepEqual(d.dropSweep(contact), ['DROP TABLE IF EXISTS [dbo].[_ReplicationSeen_8751f2c294e8];']);
  });

  it('names the set from the source table id, whatever the tablePrefix', () => {
    assert.deepEqual(createSqlServerDialect({ tablePrefix: 'other' }).dropSweep(contact), d.dropSweep(contact));
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
