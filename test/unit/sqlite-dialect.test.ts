import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SqliteDialect, quoteSqliteIdent } from '../../main/engine/replica/sqlite/dialect.ts';
import type { TableDef } from '../../main/engine/schema/table-model.ts';
import { MirrorError } from '../../main/engine/errors.ts';

const d = new SqliteDialect({ tablePrefix: '' });
const p = new SqliteDialect({ tablePrefix: 'crm' });
const T: TableDef = {
  schema: 'crm7', name: 'contact', primaryKey: ['tenant', 'id'],
  columns: [
    { name: 'tenant', type: { kind: 'int', bits: 32 }, nullable: false },
    { name: 'id', type: { kind: 'int', bits: 64 }, nullable: false },
    { name: 'name', type: { kind: 'string', length: 50, fixed: false }, nullable: false, defaultValue: "it's" },
    { name: 'active', type: { kind: 'bool' }, nullable: true, defaultValue: true },
    { name: 'amount', type: { kind: 'decimal', precision: 9, scale: 2 }, nullable: true, defaultValue: '1.5' },
    { name: 'photo', type: { kind: 'bytes', length: null, fixed: false }, nullable: true },
    { name: 'at', type: { kind: 'timestamp', precision: 6 }, nullable: true },
    { name: 'ratio', type: { kind: 'float', bits: 64 }, nullable: true, defaultValue: 0.5 },
  ],
};

describe('sqlite dialect', () => {
  test('quoting doubles quotes and refuses NUL / empty', () => {
    assert.equal(quoteSqliteIdent('a"b'), '"a""b"');
    assert.equal(quoteSqliteIdent('x]; drop table y; --'), '"x]; drop table y; --"');
    assert.equal(quoteSqliteIdent('ünï 表'), '"ünï 表"');
    assert.throws(() => quoteSqliteIdent('a\u0000b'), MirrorError);
    assert.throws(() => quoteSqliteIdent(''), MirrorError);
  });

  test('destination names: bare, or <prefix>_<table>', () => {
    assert.equal(d.qualify(T), '"contact"');
    assert.equal(p.qualify(T), '"crm_contact"');
  });

  test('column types keep values exact', () => {
    assert.equal(d.columnType({ kind: 'int', bits: 64 }), 'INTEGER');
    assert.equal(d.columnType({ kind: 'bool' }), 'INTEGER');
    assert.equal(d.columnType({ kind: 'decimal', precision: 38, scale: 10 }), 'TEXT');
    assert.equal(d.columnType({ kind: 'float', bits: 32 }), 'REAL');
    assert.equal(d.columnType({ kind: 'bytes', length: 16, fixed: true }), 'BLOB');
    assert.equal(d.columnType({ kind: 'timestamptz', precision: 6 }), 'TEXT');
  });

  test('createTable: STRICT, NOT NULL, literal defaults, primary key', () => {
    assert.deepStrictEqual(d.createTable(T), [
      `CREATE TABLE IF NOT EXISTS "contact" ("tenant" INTEGER NOT NULL, "id" INTEGER NOT NULL, "name" TEXT NOT NULL DEFAULT 'it''s', ` +
      `"active" INTEGER DEFAULT 1, "amount" TEXT DEFAULT '1.50', "photo" BLOB, "at" TEXT, "ratio" REAL DEFAULT 0.5, PRIMARY KEY ("tenant", "id")) STRICT`,
    ]);
  });

  test('state table', () => {
    assert.deepStrictEqual(d.createStateTable(), [
      `CREATE TABLE IF NOT EXISTS "_ReplicationState" ("Id" TEXT NOT NULL PRIMARY KEY, "Kind" TEXT NOT NULL, "Value" TEXT NOT NULL, "UpdatedUtc" TEXT NOT NULL) STRICT`,
    ]);
  });

  test('upsert by column set, as an insert (DO NOTHING on the key) then an update of the carried non-key columns (none when only key columns)', () => {
    assert.equal(d.insertNew(T, ['tenant', 'id', 'name']),
      `INSERT INTO "contact" ("tenant", "id", "name") VALUES (?, ?, ?) ON CONFLICT ("tenant", "id") DO NOTHING`);
    assert.equal(d.updateByKey(T, ['tenant', 'id', 'name']), `UPDATE "contact" SET "name" = ? WHERE "tenant" = ? AND "id" = ?`);
    assert.equal(d.updateByKey(T, ['tenant', 'id']), null);
    assert.equal(d.deleteByKey(T), `DELETE FROM "contact" WHERE "tenant" = ? AND "id" = ?`);
  });

  test('sweep set named after sha256(tableId) with the key columns', () => {
    assert.deepStrictEqual(d.createSeenTable(T), [
      'DROP TABLE IF EXISTS "_ReplicationSeen_8751f2c294e8"',
      'CREATE TABLE "_ReplicationSeen_8751f2c294e8" ("tenant" INTEGER NOT NULL, "id" INTEGER NOT NULL, PRIMARY KEY ("tenant", "id")) STRICT',
    ]);
    assert.equal(d.markSeen(T), 'INSERT INTO "_ReplicationSeen_8751f2c294e8" ("tenant", "id") VALUES (?, ?) ON CONFLICT DO NOTHING');
    assert.equal(d.sweepDelete(T),
      'DELETE FROM "contact" WHERE NOT EXISTS (SELECT 1 FROM "_ReplicationSeen_8751f2c294e8" AS s WHERE s."tenant" = "contact"."tenant" AND s."id" = "contact"."id")');
  });

  test('alter: ADD COLUMN; widening inside a storage class is a no-op; relaxing NOT NULL rebuilds', () => {
    const add = { name: 'email', type: { kind: 'string', length: 100, fixed: false } as const, nullable: true };
    const wider = { ...T.columns[2]!, type: { kind: 'string', length: 500, fixed: false } as const };
    assert.deepStrictEqual(d.alterTable({ table: T, addColumns: [add], widenColumns: [wider], relaxNullability: [] }),
      ['ALTER TABLE "contact" ADD COLUMN "email" TEXT']);
    const storage = new Map([['tenant', 'INTEGER'], ['id', 'INTEGER'], ['amount', 'INTEGER']]);
    const toDecimal = { ...T.columns[4]! };
    assert.equal(d.needsRebuild({ table: T, addColumns: [], widenColumns: [toDecimal], relaxNullability: [] }, storage), true);
    const relaxed = { ...T.columns[2]!, nullable: true };
    const T2: TableDef = { ...T, columns: [...T.columns.slice(0, 2), relaxed, ...T.columns.slice(3), add] };
    const sql = d.alterTable({ table: T2, addColumns: [add], widenColumns: [], relaxNullability: [relaxed] });
    assert.equal(sql[0], 'DROP TABLE IF EXISTS "_tm_rebuild_contact"');
    assert.match(sql[1]!, /^CREATE TABLE "_tm_rebuild_contact" \("tenant" INTEGER NOT NULL, "id" INTEGER NOT NULL, "name" TEXT DEFAULT 'it''s', .*"email" TEXT, PRIMARY KEY/);
    assert.equal(sql[2], 'INSERT INTO "_tm_rebuild_contact" ("tenant", "id", "name", "active", "amount", "photo", "at", "ratio") SELECT "tenant", "id", "name", "active", "amount", "photo", "at", "ratio" FROM "contact"');
    assert.deepStrictEqual(sql.slice(3), ['DROP TABLE "contact"', 'ALTER TABLE "_tm_rebuild_contact" RENAME TO "contact"']);
  });

  test('drop removes the table and its sweep set', () => {
    assert.deepStrictEqual(p.dropTable(T), ['DROP TABLE IF EXISTS "crm_contact"', 'DROP TABLE IF EXISTS "_ReplicationSeen_8751f2c294e8"']);
  });
});
