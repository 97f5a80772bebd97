import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ColumnDef, ColumnType } from '../../main/engine/schema/table-model.ts';
import { columnType, columnTypeFor, defaultLiteral, fromStage, readExpression, stageType } from '../../main/engine/replica/sqlserver/types.ts';

const str = (length: number | null, fixed = false): ColumnType => ({ kind: 'string', length, fixed });
const bytes = (length: number | null, fixed = false): ColumnType => ({ kind: 'bytes', length, fixed });

describe('SQL Server column types', () => {
  const table: Array<[ColumnType, string]> = [
    [{ kind: 'bool' }, 'bit'],
    [{ kind: 'int', bits: 8 }, 'smallint'], // tinyint is unsigned 0..255: -1 would not fit
    [{ kind: 'int', bits: 16 }, 'smallint'],
    [{ kind: 'int', bits: 32 }, 'int'],
    [{ kind: 'int', bits: 64 }, 'bigint'],
    [{ kind: 'float', bits: 32 }, 'real'],
    [{ kind: 'float', bits: 64 }, 'float'],
    [{ kind: 'decimal', precision: 38, scale: 10 }, 'decimal(38,10)'],
    [{ kind: 'decimal', precision: 19, scale: 4 }, 'decimal(19,4)'],
    [{ kind: 'decimal', precision: 50, scale: 12 }, 'decimal(38,12)'],
    [{ kind: 'decimal', precision: 5, scale: 9 }, 'decimal(5,5)'],
    [str(100), 'nvarchar(100)'],
    [str(10, true), 'nchar(10)'],
    [str(4000), 'nvarchar(4000)'],
    [str(4001), 'nvarchar(max)'],
    [str(null), 'nvarchar(max)'],
    [bytes(16), 'varbinary(16)'],
    [bytes(8, true), 'binary(8)'], // a source rowversion
    [bytes(8000), 'varbinary(8000)'],
    [bytes(8001), 'varbinary(max)'],
    [bytes(null), 'varbinary(max)'],
    [{ kind: 'date' }, 'date'],
    [{ kind: 'time', precision: 0 }, 'time(0)'],
    [{ kind: 'time', precision: 7 }, 'time(7)'],
    [{ kind: 'timestamp', precision: 3 }, 'datetime2(3)'],
    [{ kind: 'timestamp', precision: 6 }, 'datetime2(6)'],
    [{ kind: 'timestamp', precision: 7 }, 'datetime2(7)'],
    [{ kind: 'timestamp', precision: 9 }, 'datetime2(7)'],
    [{ kind: 'timestamptz', precision: 7 }, 'datetimeoffset(7)'],
    [{ kind: 'timestamptz', precision: 3 }, 'datetimeoffset(3)'],
    [{ kind: 'uuid' }, 'uniqueidentifier'],
    [{ kind: 'json' }, 'nvarchar(max)'],
  ];
  for (const [t, sql] of table) {
    it(`${JSON.stringify(t)} -> ${sql}`, () => assert.equal(columnType(t), sql));
  }

  it('keeps key columns within the 900-byte index key', () => {
    assert.equal(columnTypeFor(str(null), true), 'nvarchar(450)');
    assert.equal(columnTypeFor(str(1000), true), 'nvarchar(450)');
    assert.equal(columnTypeFor(str(40), true), 'nvarchar(40)');
    assert.equal(columnTypeFor({ kind: 'json' }, true), 'nvarchar(450)');
    assert.equal(columnTypeFor(bytes(null), true), 'varbinary(900)');
    assert.equal(columnTypeFor(bytes(16, true), true), 'binary(16)');
    assert.equal(columnTypeFor(str(null), false), 'nvarchar(max)');
  });
});

describe('SQL Server staging columns', () => {
  const table: Array<[ColumnType, boolean, string, string]> = [
    // type, key?, staging declaration, MERGE source expression for stage column d.[c0]
    [{ kind: 'bool' }, false, 'bit', 'd.[c0]'],
    [{ kind: 'int', bits: 8 }, false, 'smallint', 'd.[c0]'],
    [{ kind: 'int', bits: 32 }, true, 'int', 'd.[c0]'],
    [{ kind: 'int', bits: 64 }, true, 'nvarchar(20) COLLATE DATABASE_DEFAULT', 'CONVERT(bigint, d.[c0])'],
    [{ kind: 'float', bits: 32 }, false, 'real', 'd.[c0]'],
    [{ kind: 'float', bits: 64 }, false, 'float', 'd.[c0]'],
    [{ kind: 'decimal', precision: 38, scale: 10 }, false, 'nvarchar(100) COLLATE DATABASE_DEFAULT', 'CONVERT(decimal(38,10), d.[c0])'],
    [str(100), false, 'nvarchar(max) COLLATE DATABASE_DEFAULT', 'd.[c0]'],
    [str(100), true, 'nvarchar(100) COLLATE DATABASE_DEFAULT', 'd.[c0]'],
    [str(null), true, 'nvarchar(450) COLLATE DATABASE_DEFAULT', 'd.[c0]'],
    [bytes(16), false, 'varbinary(max)', 'd.[c0]'],
    [bytes(16, true), true, 'varbinary(16)', 'd.[c0]'],
    [{ kind: 'date' }, false, 'nvarchar(10) COLLATE DATABASE_DEFAULT', 'CONVERT(date, d.[c0], 23)'],
    [{ kind: 'time', precision: 7 }, false, 'nvarchar(16) COLLATE DATABASE_DEFAULT', 'CONVERT(time(7), d.[c0], 121)'],
    [{ kind: 'timestamp', precision: 7 }, false, 'nvarchar(27) COLLATE DATABASE_DEFAULT', 'CONVERT(datetime2(7), d.[c0], 121)'],
    [{ kind: 'timestamptz', precision: 7 }, false, 'nvarchar(34) COLLATE DATABASE_DEFAULT', 'CONVERT(datetimeoffset(7), d.[c0], 127)'],
    [{ kind: 'uuid' }, true, 'nvarchar(36) COLLATE DATABASE_DEFAULT', 'CONVERT(uniqueidentifier, d.[c0])'],
    [{ kind: 'json' }, false, 'nvarchar(max) COLLATE DATABASE_DEFAULT', 'd.[c0]'],
  ];
  for (const [t, key, decl, expr] of table) {
    it(`${JSON.stringify(t)}${key ? ' (key)' : ''} stages as ${decl}`, () => {
      assert.equal(stageType(t, key).decl, decl);
      assert.equal(fromStage(t, 'd.[c0]'), expr);
    });
  }

  it('never stages a date/time kind through a driver date type (mssql bulk truncates to ms, #1644)', () => {
    for (const t of [{ kind: 'date' }, { kind: 'time', precision: 7 }, { kind: 'timestamp', precision: 7 }, { kind: 'timestamptz', precision: 7 }] as ColumnType[]) {
      assert.equal(stageType(t, false).driver.kind, 'nvarchar');
    }
  });
});

describe('SQL Server read expressions', () => {
  const table: Array<[ColumnType, string]> = [
    [{ kind: 'int', bits: 64 }, 'CONVERT(varchar(20), [v])'],
    [{ kind: 'int', bits: 32 }, '[v]'],
    [{ kind: 'decimal', precision: 38, scale: 10 }, 'CONVERT(varchar(48), [v])'],
    [{ kind: 'date' }, 'CONVERT(varchar(10), [v], 23)'],
    [{ kind: 'time', precision: 7 }, 'CONVERT(varchar(16), [v], 121)'],
    [{ kind: 'timestamp', precision: 7 }, 'CONVERT(varchar(27), [v], 121)'],
    [{ kind: 'timestamptz', precision: 7 }, 'CONVERT(varchar(34), [v], 121)'],
    [{ kind: 'uuid' }, 'CONVERT(char(36), [v])'],
    [str(10), '[v]'],
  ];
  for (const [t, sql] of table) it(`${t.kind} -> ${sql}`, () => assert.equal(readExpression(t, '[v]'), sql));
});

describe('SQL Server default literals', () => {
  const col = (type: ColumnType, defaultValue: ColumnDef['defaultValue']): ColumnDef => ({ name: 'c', type, nullable: true, defaultValue });
  const table: Array<[ColumnDef, string | null]> = [
    [col({ kind: 'bool' }, true), '1'],
    [col({ kind: 'bool' }, false), '0'],
    [col({ kind: 'int', bits: 64 }, 9007199254740993n), '9007199254740993'],
    [col({ kind: 'int', bits: 32 }, '-5'), '-5'],
    [col({ kind: 'float', bits: 64 }, 1.5), '1.5'],
    [col({ kind: 'decimal', precision: 10, scale: 2 }, '12.50'), '12.5'],
    [col(str(20), "it's"), "N'it''s'"],
    [col({ kind: 'date' }, '2024-02-29'), "CONVERT(date, N'2024-02-29', 23)"],
    [col({ kind: 'timestamp', precision: 7 }, '2024-02-29 12:34:56.1234567'), "CONVERT(datetime2(7), N'2024-02-29 12:34:56.1234567', 121)"],
    [col({ kind: 'timestamptz', precision: 3 }, '2024-02-29T12:34:56.123Z'), "CONVERT(datetimeoffset(3), N'2024-02-29T12:34:56.123+00:00', 127)"],
    [col({ kind: 'uuid' }, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'), "CONVERT(uniqueidentifier, N'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')"],
    [col({ kind: 'string', length: 5, fixed: false }, null), null],
    [col(bytes(4), 'AAAA'), null],
    [col({ kind: 'timestamp', precision: 3 }, 'CURRENT_TIMESTAMP'), null], // unparseable: no default rather than failing DDL
  ];
  for (const [c, sql] of table) {
    it(`${c.type.kind} default ${String(c.defaultValue)} -> ${sql}`, () => assert.equal(defaultLiteral(c), sql));
  }
});
