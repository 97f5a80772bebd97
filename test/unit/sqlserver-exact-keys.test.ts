/**
 * Issue 17 without a server: the statements that keep SQL Server keys exact under any database
 * collation, size columns in characters, keep keys within 900 bytes and constraint names apart.
 * What SQL Server then does with them is proven only by the live suite (replica-sqlserver.test.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ColumnDef, TableDef } from '../../main/engine/schema/table-model.ts';
import { SqlServerDialect } from '../../main/engine/replica/sqlserver/dialect.ts';
import { insideStateLock } from '../doubles/sqlserver-state-lock.ts';
import { columnDefault, defaultConstraintName, keyColumnTypes, keyEquals, valueColumnType } from '../../main/engine/replica/sqlserver/columns.ts';

const d = new SqlServerDialect({ tablePrefix: '' });
const str = (length: number | null, fixed = false) => ({ kind: 'string' as const, length, fixed });
const col = (name: string, type: ColumnDef['type'], nullable = false, defaultValue?: ColumnDef['defaultValue']): ColumnDef =>
  (defaultValue === undefined ? { name, type, nullable } : { name, type, nullable, defaultValue });

const tag: TableDef = {
  schema: 'crm7', name: 'tag', primaryKey: ['code'],
  columns: [col('code', str(20)), col('label', str(3), true), col('blob', { kind: 'bytes', length: 4, fixed: true }, true)],
};

describe('SQL Server exact keys (item 1)', () => {
  it('declares text key columns under the binary collation, in the table and in the sweep set', () => {
    const create = d.createTable(tag)[1]!;
    assert.match(create, /\n {2}\[code\] nvarchar\(40\) COLLATE Latin1_General_100_BIN2 NOT NULL,\n/);
    assert.doesNotMatch(create, /\[label\][^\n]*COLLATE/, 'non-key text keeps the database collation');
    assert.match(d.beginSweep(tag)[1]!, /\[code\] nvarchar\(40\) COLLATE Latin1_General_100_BIN2 NOT NULL/);
  });

  it('stages text keys at the key size under DATABASE_DEFAULT (what the bulk load declares); comparisons carry BIN2 themselves', () => {
    const stage = d.createStage(d.stagePlan(tag, ['code', 'label'], 'upsert'));
    assert.match(stage, /\[c0\] nvarchar\(40\) COLLATE DATABASE_DEFAULT NOT NULL/);
    assert.match(stage, /\[c1\] nvarchar\(max\) COLLATE DATABASE_DEFAULT NULL/);
  });

  const exact = /t\.\[code\] = s\.\[code\] COLLATE Latin1_General_100_BIN2 AND DATALENGTH\(t\.\[code\]\) = DATALENGTH\(s\.\[code\]\)/;
  it('compares keys exactly in the UPDATE and the INSERT … NOT EXISTS: explicit BIN2 (wins over an older CI column) and DATALENGTH (trailing spaces)', () => {
    const sql = d.upsert(tag, d.stagePlan(tag, ['code', 'label'], 'upsert'));
    const [update, insert] = sql.split('\nINSERT INTO');
    assert.match(update!, new RegExp(`\\nON ${exact.source};$`));
    assert.match(insert!, new RegExp(`WHERE NOT EXISTS \\(SELECT 1 FROM \\[crm7\\]\\.\\[tag\\] AS t WHERE ${exact.source}\\);$`));
  });

  it('de-duplicates by the exact key: PARTITION BY the binary value and its DATALENGTH', () => {
    const sql = d.upsert(tag, d.stagePlan(tag, ['code'], 'upsert'));
    assert.match(sql, /PARTITION BY x\.\[c0\] COLLATE Latin1_General_100_BIN2, DATALENGTH\(x\.\[c0\]\) ORDER BY x\.\[seq\] DESC/);
  });

  it('deletes, marks and sweeps by the exact key', () => {
    assert.match(d.deleteRows(tag, d.stagePlan(tag, ['code'], 'delete')), /t\.\[code\] = d\.\[c0\] COLLATE Latin1_General_100_BIN2 AND DATALENGTH\(t\.\[code\]\) = DATALENGTH\(d\.\[c0\]\)/);
    assert.match(d.markSeen(tag, d.stagePlan(tag, ['code'], 'upsert')), /v\.\[code\] = s\.\[code\] COLLATE Latin1_General_100_BIN2 AND DATALENGTH\(v\.\[code\]\) = DATALENGTH\(s\.\[code\]\)/);
    assert.match(d.finishSweep(tag), /v\.\[code\] = t\.\[code\] COLLATE Latin1_General_100_BIN2 AND DATALENGTH\(v\.\[code\]\) = DATALENGTH\(t\.\[code\]\)/);
  });

  it('binary keys compare DATALENGTH too (0x01 and 0x0100 pad equal), without a collation; other kinds compare plainly', () => {
    assert.equal(keyEquals({ kind: 'bytes', length: 8, fixed: true }, 'a', 'b'), 'a = b AND DATALENGTH(a) = DATALENGTH(b)');
    assert.equal(keyEquals({ kind: 'int', bits: 64 }, 'a', 'b'), 'a = b');
    assert.equal(keyEquals({ kind: 'uuid' }, 'a', 'b'), 'a = b');
    assert.equal(keyEquals({ kind: 'json' }, 'a', 'b'), 'a = b COLLATE Latin1_General_100_BIN2 AND DATALENGTH(a) = DATALENGTH(b)');
    // duration: varchar(17) column vs nvarchar staging would never have equal DATALENGTHs; its text has no trailing spaces.
    assert.equal(keyEquals({ kind: 'duration', precision: 6 }, 'a', 'b'), 'a = b COLLATE Latin1_General_100_BIN2');
  });
});

describe('SQL Server idempotent CREATE TABLE (item 2)', () => {
  it('creates the table only when OBJECT_ID is null (re-run and populated database are not error 2714)', () => {
    for (const sql of [d.createTable(tag)[1]!, new SqlServerDialect({ tablePrefix: 'dbo' }).createTable(tag)[1]!]) {
      assert.match(sql, /^IF OBJECT_ID\(N'\[(crm7|dbo)\]\.\[tag\]', N'U'\) IS NULL\nCREATE TABLE /);
    }
  });
});

describe('SQL Server DDL is safe to re-run (items 2, 5)', () => {
  it('every CREATE/ALTER statement is guarded or a no-op when repeated', () => {
    const wide: TableDef = {
      ...tag,
      columns: [col('code', str(40)), col('label', str(30), true, 'x'), col('blob', { kind: 'bytes', length: 4, fixed: true }, true), col('n', { kind: 'int', bits: 32 }, false, 0)],
    };
    const sql = [
      ...d.createStateTable().map(insideStateLock), ...d.createTable(tag),
      ...d.alterTable({ table: wide, addColumns: [wide.columns[3]!], widenColumns: [wide.columns[0]!, wide.columns[1]!], relaxNullability: [wide.columns[0]!] }),
      ...d.dropTable(tag),
    ];
    for (const s of sql) {
      // Guarded (IF …, a catalog lookup before EXEC), DROP … IF EXISTS, or ALTER COLUMN to the target type (repeatable).
      assert.match(s, /^(IF |DECLARE @(pk|df) sysname = \(SELECT|DROP TABLE IF EXISTS |ALTER TABLE \S+ ALTER COLUMN )/, s);
    }
  });
});

describe('SQL Server character-true lengths (item 3)', () => {
  const cases: Array<[ColumnDef['type'], string]> = [
    [str(3), 'nvarchar(6)'], // 'a😀😀' is 5 UTF-16 units
    [str(1), 'nvarchar(2)'],
    [str(2000), 'nvarchar(4000)'],
    [str(2001), 'nvarchar(max)'],
    [str(null), 'nvarchar(max)'],
    [str(3, true), 'nvarchar(6)'], // char(n): stored as received, no nchar padding, may go off-row
    [{ kind: 'bytes', length: 16, fixed: true }, 'varbinary(16)'], // binary(n): variable, off-row allowed
    [{ kind: 'bytes', length: 9000, fixed: false }, 'varbinary(max)'],
    [{ kind: 'int', bits: 32 }, 'int'],
  ];
  for (const [t, sql] of cases) it(`${JSON.stringify(t)} -> ${sql}`, () => assert.equal(valueColumnType(t), sql));

  it("a string(3) holding 'a😀😀' fits: 5 UTF-16 units ≤ 6", () => {
    assert.equal('a😀😀'.length, 5);
    assert.equal(d.columnType(str(3)), 'nvarchar(6)');
  });

  it('adds and widens with character-true sizes', () => {
    const wider = { ...tag, columns: tag.columns.map((c) => (c.name === 'label' ? { ...c, type: str(10) } : c)) };
    assert.ok(d.alterTable({ table: wider, addColumns: [], widenColumns: [wider.columns[1]!], relaxNullability: [] }).includes('ALTER TABLE [crm7].[tag] ALTER COLUMN [label] nvarchar(20) NULL;'));
  });
});

describe('SQL Server key budget (items 3, 9)', () => {
  const key = (...cols: ColumnDef[]): TableDef => ({ schema: 's', name: 't', primaryKey: cols.map((c) => c.name), columns: cols });
  const types = (def: TableDef) => [...keyColumnTypes(def).values()].map((k) => k.sql.replace(' COLLATE Latin1_General_100_BIN2', ''));
  /** Bytes a key declaration can take. */
  const bytes = (sql: string): number => {
    const m = /^(n?)(?:var)?(?:char|binary)\((\d+)\)/.exec(sql);
    if (m) return Number(m[2]) * (m[1] ? 2 : 1);
    return ({ bigint: 8, int: 4, smallint: 2, uniqueidentifier: 16, date: 3 } as Record<string, number>)[sql] ?? 0;
  };

  it('an unbounded text key gets the whole 900 bytes (nvarchar(450)), a short one its character-true size', () => {
    assert.deepEqual(types(key(col('k', str(null)))), ['nvarchar(450)']);
    assert.deepEqual(types(key(col('k', str(100)))), ['nvarchar(200)']);
    assert.deepEqual(types(key(col('k', str(300)))), ['nvarchar(450)']);
    assert.deepEqual(types(key(col('k', { kind: 'bytes', length: null, fixed: false }))), ['varbinary(900)']);
  });

  it('a composite key is kept within 900 bytes: fixed-size columns first, the rest shared, smallest need first', () => {
    const def = key(col('tenant', { kind: 'uuid' }), col('a', str(300)), col('b', str(10)), col('c', { kind: 'bytes', length: null, fixed: false }), col('n', { kind: 'int', bits: 64 }));
    const t = types(def);
    // 900 - 16 (uuid) - 8 (bigint) = 876; b needs 40 bytes; a (wants 1,200) and c (unbounded) share 836.
    assert.deepEqual(t, ['uniqueidentifier', 'nvarchar(209)', 'nvarchar(20)', 'varbinary(418)', 'bigint']);
    assert.equal(t.reduce((sum, s) => sum + bytes(s), 0), 900);
  });

  it('the key budget also holds for random composite keys', () => {
    let seed = 17;
    const rand = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    for (let i = 0; i < 200; i++) {
      const cols = Array.from({ length: 1 + Math.floor(rand() * 5) }, (_, j) => {
        const r = rand();
        const type: ColumnDef['type'] = r < 0.4 ? str(rand() < 0.3 ? null : 1 + Math.floor(rand() * 600))
          : r < 0.6 ? { kind: 'bytes', length: rand() < 0.3 ? null : 1 + Math.floor(rand() * 1000), fixed: false }
            : r < 0.8 ? { kind: 'int', bits: 64 } : { kind: 'uuid' };
        return col(`k${j}`, type);
      });
      const t = types(key(...cols));
      assert.ok(t.reduce((sum, s) => sum + bytes(s), 0) <= 900, JSON.stringify(t));
    }
  });

  it('the staged key is declared at the replica key size (a longer value fails in the bulk load, naming the column)', () => {
    const def = key(col('a', str(300)), col('b', str(300)));
    assert.match(d.createStage(d.stagePlan(def, [], 'delete')), /\[c0\] nvarchar\(225\) COLLATE DATABASE_DEFAULT NOT NULL,\n {2}\[c1\] nvarchar\(225\) COLLATE/);
  });
});

describe('SQL Server table limits (item 9)', () => {
  const wide = (n: number): TableDef => ({
    schema: 's', name: 'wide', primaryKey: ['c0'],
    columns: Array.from({ length: n }, (_, i) => col(`c${i}`, i === 0 ? { kind: 'int', bits: 32 } : { kind: 'int', bits: 16 }, i !== 0)),
  });

  it('a 1,024-column table stages without the seq column (1,025 columns would be refused)', () => {
    const full = wide(1024);
    const plan = d.stagePlan(full, full.columns.map((c) => c.name), 'upsert');
    assert.equal(plan.withSeq, false);
    assert.doesNotMatch(d.createStage(plan), /\[seq\]/);
    assert.doesNotMatch(d.upsert(full, plan), /ROW_NUMBER/);
    const narrower = wide(1023);
    assert.equal(d.stagePlan(narrower, narrower.columns.map((c) => c.name), 'upsert').withSeq, true);
  });

  it('refuses a table over 1,024 columns with SCHEMA_CONFLICT before sending DDL', () => {
    assert.throws(() => d.createTable(wide(1025)), { code: 'SCHEMA_CONFLICT' });
  });

  it('never declares fixed-length nchar/binary (in-row only, 8,060-byte rows)', () => {
    const def: TableDef = { schema: 's', name: 'fx', primaryKey: ['id'], columns: [col('id', { kind: 'int', bits: 32 }), ...Array.from({ length: 20 }, (_, i) => col(`f${i}`, i % 2 ? str(400, true) : { kind: 'bytes', length: 800, fixed: true }, true))] };
    const sql = d.createTable(def)[1]!;
    assert.doesNotMatch(sql, /\bn?char\(|\bbinary\(/);
  });
});

describe('SQL Server default-constraint names (item 8)', () => {
  it('order.line_no and order_line.no get different names', () => {
    assert.equal(defaultConstraintName('order', 'line_no'), 'DF_order_line_no_276652af');
    assert.equal(defaultConstraintName('order_line', 'no'), 'DF_order_line_no_7a1885f0');
  });

  it('stays within 128 characters and deterministic', () => {
    const long = defaultConstraintName('t'.repeat(128), 'c'.repeat(128));
    assert.ok(long.length <= 128);
    assert.equal(long, defaultConstraintName('t'.repeat(128), 'c'.repeat(128)));
    assert.notEqual(long, defaultConstraintName('t'.repeat(128), 'c'.repeat(127)));
  });

  it('CREATE TABLE uses them', () => {
    const a: TableDef = { schema: 's', name: 'order', primaryKey: ['id'], columns: [col('id', { kind: 'int', bits: 32 }), col('line_no', { kind: 'int', bits: 32 }, true, 1)] };
    const b: TableDef = { schema: 's', name: 'order_line', primaryKey: ['id'], columns: [col('id', { kind: 'int', bits: 32 }), col('no', { kind: 'int', bits: 32 }, true, 1)] };
    assert.match(d.createTable(a)[1]!, /CONSTRAINT \[DF_order_line_no_276652af\] DEFAULT 1/);
    assert.match(d.createTable(b)[1]!, /CONSTRAINT \[DF_order_line_no_7a1885f0\] DEFAULT 1/);
  });
});

describe('SQL Server defaults (item 12)', () => {
  const bool = (v: ColumnDef['defaultValue']) => columnDefault(col('b', { kind: 'bool' }, true, v));
  it('a boolean default that is not clearly true or false gets no default (was 0)', () => {
    assert.equal(bool(true), '1');
    assert.equal(bool('1'), '1');
    assert.equal(bool(false), '0');
    assert.equal(bool('false'), '0');
    assert.equal(bool("b'1'"), null);
    assert.equal(bool('maybe'), null);
    assert.equal(bool(2), null);
  });
});
