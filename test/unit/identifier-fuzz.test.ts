/**
 * Security: table and column names come from change events and are fuzzed through every dialect's
 * quoting. The generated SQL must lex into exactly one statement with balanced quotes, no comment or
 * separator outside quotes, and every hostile name must come back out of its quotes unchanged. SQLite
 * also executes it (create table + upsert + read back); PostgreSQL does in
 * test/integration/identifier-fuzz-postgres.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MirrorError } from '../../main/engine/errors.ts';
import { replicaTableName, TABLE_NAME_RULES } from '../../main/engine/replica/table-names.ts';
import { PostgresDialect, quotePgIdent } from '../../main/engine/replica/postgres/dialect.ts';
import { SqliteDialect, quoteSqliteIdent } from '../../main/engine/replica/sqlite/dialect.ts';
import { SqlServerDialect } from '../../main/engine/replica/sqlserver/dialect.ts';
import { quoteIdent as quoteTsql } from '../../main/engine/replica/sqlserver/quote.ts';
import type { TableDef } from '../../main/engine/schema/table-model.ts';
import { hostileIdentifier, lexSql, prng, type QuoteStyle } from '../doubles/hostile-identifiers.ts';

const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);

function randomDef(rand: () => number, maxLen: number, maxBytes = Infinity): TableDef {
  const names = new Set<string>();
  while (names.size < 3) names.add(hostileIdentifier(rand, maxLen, maxBytes));
  const [pk, a, b] = [...names] as [string, string, string];
  return {
    schema: hostileIdentifier(rand, maxLen, maxBytes), name: hostileIdentifier(rand, maxLen, maxBytes), primaryKey: [pk],
    columns: [
      { name: pk, type: { kind: 'int', bits: 64 }, nullable: false },
      { name: a, type: { kind: 'string', length: 50, fixed: false }, nullable: true },
      { name: b, type: { kind: 'decimal', precision: 10, scale: 2 }, nullable: true },
    ],
  };
}

function checkStatements(label: string, sqls: string[], style: QuoteStyle, mustContain: string[]): void {
  const seen = new Set<string>();
  for (const sql of sqls) {
    const l = lexSql(sql, style);
    assert.deepEqual(l.problems, [], `${label}: ${JSON.stringify(sql)}`);
    assert.equal(l.statements, 1, `${label}: one statement: ${JSON.stringify(sql)}`);
    for (const id of l.identifiers) seen.add(id);
  }
  for (const n of mustContain) assert.ok([...seen].some((s) => s === n || s.endsWith(n)), `${label}: ${JSON.stringify(n)} is quoted intact`);
}

describe('hostile identifiers through every dialect', () => {
  it(`quoting round-trips ${ROUNDS} random identifiers per dialect (seed ${SEED})`, () => {
    const rand = prng(SEED);
    for (let i = 0; i < ROUNDS; i++) {
      const id = hostileIdentifier(rand, 120);
      for (const [q, style] of [[quoteSqliteIdent, 'double'], [quoteTsql, 'bracket'], [quotePgIdent, 'double']] as const) {
        if (q === quotePgIdent && Buffer.byteLength(id) > 63) { assert.throws(() => q(id), (e: MirrorError) => e.code === 'SCHEMA_CONFLICT'); continue; }
        const l = lexSql(q(id), style);
        assert.deepEqual(l.problems, []);
        assert.deepEqual(l.identifiers, [id], `${q.name}(${JSON.stringify(id)})`);
      }
    }
  });

  it('refuses names it cannot quote faithfully with a coded error (NUL, empty, too long)', () => {
    for (const q of [quoteSqliteIdent, quotePgIdent, quoteTsql]) {
      for (const bad of ['', 'a\u0000b']) assert.throws(() => q(bad), (e: MirrorError) => e instanceof MirrorError && e.code === 'SCHEMA_CONFLICT', `${q.name}(${JSON.stringify(bad)})`);
    }
    assert.throws(() => quotePgIdent('名'.repeat(22)), /PostgreSQL keeps only 63 bytes/);
    assert.throws(() => quoteTsql('x'.repeat(129)), /limit is 128/);
  });

  it('SQLite DDL and DML with hostile names: one statement each, names intact', () => {
    const rand = prng(SEED + 1);
    const d = new SqliteDialect({ tablePrefix: '' });
    for (let i = 0; i < ROUNDS / 4; i++) {
      const def = randomDef(rand, 200);
      const cols = def.columns.map((c) => c.name);
      // The table under its replica name (docs/naming.md: escaped when SQLite could confuse it), intact.
      checkStatements('sqlite', [...d.createTable(def), d.insertNew(def, cols), d.updateByKey(def, cols)!, d.deleteByKey(def), d.selectRows(def), ...d.dropTable(def)], 'double', [d.tableName(def), ...cols]);
    }
  });

  it('PostgreSQL DDL and DML with hostile names: one statement each, names intact', () => {
    const rand = prng(SEED + 2);
    const d = new PostgresDialect({ tablePrefix: '' });
    for (let i = 0; i < ROUNDS / 4; i++) {
      const def = randomDef(rand, 60, 63);
      const cols = def.columns.map((c) => c.name);
      checkStatements('postgres', [d.createSchema(def.schema), ...d.createTable(def), d.upsertValues(def, cols, 2), d.deleteByKeyArrays(def), d.selectRows(def), ...d.dropTable(def)], 'double', [def.schema, d.tableName(def), ...cols]);
    }
  });

  it('SQL Server DDL and DML with hostile names: one statement each, names intact', () => {
    const rand = prng(SEED + 3);
    const d = new SqlServerDialect({ tablePrefix: '' });
    for (let i = 0; i < ROUNDS / 4; i++) {
      const def = randomDef(rand, 100);
      const cols = def.columns.map((c) => c.name);
      const up = d.stagePlan(def, cols, 'upsert');
      const sqls = [...d.createTable(def), d.createStage(up), d.upsert(def, up), d.deleteRows(def, d.stagePlan(def, def.primaryKey, 'delete')), d.selectRows(def), ...d.dropTable(def)];
      // T-SQL batches may hold several statements; each must still be separated only outside quotes.
      for (const sql of sqls) {
        const l = lexSql(sql, 'bracket');
        assert.deepEqual(l.problems, [], JSON.stringify(sql));
      }
      const ids = new Set(sqls.flatMap((s) => lexSql(s, 'bracket').identifiers));
      for (const n of [replicaTableName(def.name, TABLE_NAME_RULES.sqlserver), ...cols]) assert.ok([...ids].some((s) => s === n || s.endsWith(n)), `${JSON.stringify(n)} quoted intact`);
    }
  });

  it('SQLite executes create table + upsert + read back with hostile names', () => {
    const rand = prng(SEED + 4);
    const d = new SqliteDialect({ tablePrefix: '' });
    const db = new Database(':memory:');
    try {
      for (let i = 0; i < ROUNDS / 4; i++) {
        const def = randomDef(rand, 200);
        const cols = def.columns.map((c) => c.name);
        for (const s of d.createTable(def)) db.prepare(s).run(); // prepare() refuses more than one statement
        const text = `v${i} '";--]`;
        assert.equal(db.prepare(d.insertNew(def, cols)).run(i, text, '12.50').changes, 1, 'a new row is inserted');
        const second: Record<string, unknown> = { [cols[0]!]: i, [cols[1]!]: `${text}!`, [cols[2]!]: '13.00' };
        assert.equal(db.prepare(d.insertNew(def, cols)).run(i, `${text}!`, '13.00').changes, 0, 'an existing key is not inserted again');
        const order = [...cols.filter((c) => !def.primaryKey.includes(c)), ...def.primaryKey];
        assert.equal(db.prepare(d.updateByKey(def, cols)!).run(...order.map((c) => second[c])).changes, 1, 'it is updated by its key');
        const info = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(d.tableName(def)) as Array<{ name: string }>;
        assert.deepEqual(info.map((r) => r.name), cols, 'column names stored exactly');
        const rows = db.prepare(d.selectRows(def)).raw().all() as unknown[][];
        assert.deepEqual(rows, [[i, `${text}!`, '13.00']]);
        for (const s of d.dropTable(def)) db.prepare(s).run();
      }
      const left = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'`).get() as { n: number };
      assert.equal(left.n, 0, 'every hostile table was dropped again, nothing else was created');
    } finally { db.close(); }
  });
});
