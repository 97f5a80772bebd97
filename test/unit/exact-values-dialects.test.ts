/**
 * How each replica dialect holds the values the decoder produces (docs/values.md): MySQL TIME as a
 * duration (PostgreSQL interval, SQL Server exact text, SQLite exact text) and PostgreSQL's refusal of
 * U+0000, which halts the table with the column, the key and what to do.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MirrorError } from '../../main/engine/errors.ts';
import { pgColumnType, PostgresDialect } from '../../main/engine/replica/postgres/dialect.ts';
import { makePostgresClassifier } from '../../main/engine/replica/postgres/errors.ts';
import { assertNoNul, holdsNul } from '../../main/engine/replica/postgres/nul-check.ts';
import { copyField, decodePgText } from '../../main/engine/replica/postgres/values.ts';
import { decoderFor, encoderFor } from '../../main/engine/replica/sqlite/values.ts';
import { sqliteStorage } from '../../main/engine/replica/sqlite/dialect.ts';
import { columnType as sqlServerType, stageType } from '../../main/engine/replica/sqlserver/types.ts';
import { readValue, stageValue } from '../../main/engine/replica/sqlserver/values.ts';
import { tagTable } from '../../main/engine/replica/error-tagging.ts';
import type { ColumnDef, ColumnType, TableDef } from '../../main/engine/schema/table-model.ts';

const dur = (precision: number): ColumnType => ({ kind: 'duration', precision });

test('MySQL TIME (duration) on PostgreSQL is interval(p), written as text, read back exactly', () => {
  assert.equal(pgColumnType(dur(0)), 'interval(0)');
  assert.equal(pgColumnType(dur(6)), 'interval(6)');
  assert.equal(copyField('-838:59:59'), '-838:59:59');
  // PostgreSQL's interval output (IntervalStyle postgres) drops trailing fraction zeros: padded back.
  assert.equal(decodePgText('838:59:59', dur(0)), '838:59:59');
  assert.equal(decodePgText('-01:00:00.5', dur(6)), '-01:00:00.500000');
  assert.equal(decodePgText('00:00:00.000001', dur(6)), '00:00:00.000001');
  // A replica made before: ALTER … TYPE interval (time → interval is a PostgreSQL cast).
  const d = new PostgresDialect({ tablePrefix: '' });
  const def: TableDef = { schema: 's', name: 't', primaryKey: ['id'], columns: [{ name: 'id', type: { kind: 'int', bits: 32 }, nullable: false }, { name: 't', type: dur(6), nullable: true }] };
  assert.deepEqual(d.alterTable({ table: def, addColumns: [], widenColumns: [def.columns[1]!], relaxNullability: [] }),
    ['ALTER TABLE "s"."t" ALTER COLUMN "t" TYPE interval(6)']);
});

test('MySQL TIME (duration) on SQLite is the exact text, fraction padded to p', () => {
  assert.equal(sqliteStorage(dur(6)), 'TEXT');
  assert.equal(encoderFor(dur(6))!('-838:59:59'), '-838:59:59.000000');
  assert.equal(encoderFor(dur(0))!('838:59:59'), '838:59:59');
  assert.equal(decoderFor(dur(6))('-00:00:00.000001'), '-00:00:00.000001');
});

test('MySQL TIME (duration) on SQL Server is varchar(17) text (time(7) holds 0–24 h only)', () => {
  assert.equal(sqlServerType(dur(6)), 'varchar(17)');
  assert.equal(stageType(dur(6), false).driver.kind, 'nvarchar');
  assert.equal(stageValue(dur(6), '-838:59:59.000000'), '-838:59:59.000000');
  assert.equal('-838:59:59.999999'.length, 17, 'the longest value fits');
  assert.equal(readValue(dur(6), '-01:00:00'), '-01:00:00.000000');
});

const text: ColumnDef = { name: 'txt', type: { kind: 'string', length: null, fixed: false }, nullable: true };
const doc: ColumnDef = { name: 'doc', type: { kind: 'json' }, nullable: true };
const def: TableDef = { schema: 'crm_x', name: 'notes', primaryKey: ['id', 'code'], columns: [
  { name: 'id', type: { kind: 'int', bits: 64 }, nullable: false }, { name: 'code', type: { kind: 'string', length: 10, fixed: false }, nullable: false }, text, doc,
] };

test('U+0000 detection: raw NUL in text, the \\u0000 escape in JSON (not an escaped backslash)', () => {
  assert.ok(holdsNul('a\u0000b', text.type));
  assert.ok(!holdsNul('a\\u0000b', text.type), 'in a text column the six characters are just text');
  assert.ok(holdsNul('{"k":"a\\u0000b"}', doc.type));
  assert.ok(holdsNul('{"k":"\\U0000"}', doc.type));
  assert.ok(holdsNul('{"k":"\\\\\\u0000"}', doc.type), 'an escaped backslash then the escape');
  assert.ok(!holdsNul('{"k":"\\\\u0000"}', doc.type), 'an escaped backslash followed by the text u0000');
  assert.ok(!holdsNul('{"k":"\\u00001"}'.replace('\\u0000', '\\u0001'), doc.type));
  assert.ok(!holdsNul(null, doc.type));
});

test('a row with U+0000 halts its PostgreSQL table: column, key, and what the admin can do', () => {
  assert.doesNotThrow(() => assertNoNul(def, [{ id: 1n, code: 'a', txt: 'fine', doc: '{"k":"\\\\u0000"}' }]));
  let err: unknown;
  try { assertNoNul(def, [{ id: 1n, code: 'a', txt: 'ok', doc: null }, { id: 9007199254740993n, code: 'b"c', txt: 'x\u0000y', doc: null }]); } catch (e) { err = e; }
  assert.ok(err instanceof MirrorError);
  assert.equal(err.code, 'REPLICA_WRITE_FAILED');
  assert.match(err.message, /^Column txt of crm_x\.notes at key id=9007199254740993, code="b\\"c" holds the character U\+0000/);
  assert.match(err.message, /REPLACE\(txt, CHAR\(0\), ''\)/);
  assert.match(err.message, /resync-tables crm_x\.notes/);
  assert.deepEqual(err.detail, { table: 'crm_x.notes', column: 'txt', key: 'id=9007199254740993, code="b\\"c"' });
  const c = makePostgresClassifier({ user: 'u', database: 'd' })(tagTable(err, 'crm_x.notes'));
  assert.equal(c.action, 'halt-table');
  assert.equal(c.table, 'crm_x.notes');
  assert.equal(c.hint, err.message, 'the status shows this message, not "widen the column"');
  assert.throws(() => assertNoNul(def, [{ id: 2n, code: 'z', doc: '{"k":"\\u0000"}' }]), /Column doc .* the JSON escape \\u0000, which PostgreSQL jsonb refuses/);
  assert.throws(() => assertNoNul(def, [{ id: 3n, code: 'k\u0000' }]), /Column code .* key id=3/, 'a key (delete) with a NUL too');
});
