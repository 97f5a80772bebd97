import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyChunks, copyField, copyPayload, decodePgText } from '../../main/engine/replica/postgres/values.ts';
import { grantHint, makePostgresClassifier } from '../../main/engine/replica/postgres/errors.ts';
import { tagTable } from '../../main/engine/replica/error-tagging.ts';
import { canonicalDecimal, canonicalTimestamptz, padFraction } from '../../main/engine/replica/value-text.ts';

test('COPY text fields: NULL vs empty, escapes, bytea, bool, bigint', () => {
  assert.equal(copyField(null), '\\N');
  assert.equal(copyField(''), '');
  assert.equal(copyField('a\tb\nc\rd\\e'), 'a\\tb\\nc\\rd\\\\e');
  assert.equal(copyField('\\N'), '\\\\N');
  assert.equal(copyField(Buffer.from([0, 0x5c, 0xff])), '\\\\x005cff');
  assert.equal(copyField(Buffer.alloc(0)), '\\\\x');
  assert.equal(copyField(true), 't');
  assert.equal(copyField(-9223372036854775808n), '-9223372036854775808');
  assert.equal(copyField(0.30000000000000004), '0.30000000000000004');
  assert.equal(copyPayload([{ a: 1, b: null }, { a: 2, b: 'x y' }], ['a', 'b']), '1\t\\N\n2\tx y\n');
});

test('COPY pieces written into buffers are the COPY text, byte for byte, wherever the pieces are cut', () => {
  const rows: Record<string, string | number | null>[] = [];
  const texts = ['', 'plain', 'Ünïcödé', '日本語テキスト', '😀 surrogate pairs 😀', 'tab\there', 'x'.repeat(300), 'é'.repeat(200)];
  for (let i = 0; i < 200; i++) rows.push({ id: i, a: texts[i % texts.length]!, b: i % 3 === 0 ? null : texts[(i * 7) % texts.length]! });
  const expected = Buffer.from(copyPayload(rows, ['id', 'a', 'b']), 'utf8');
  for (const size of [1, 7, 64, 301, 1000, 4096, 1 << 20]) {
    // All pieces are taken before any is read: a piece written again after it was handed over would show.
    const pieces = [...copyChunks(rows, ['id', 'a', 'b'], size)];
    assert.ok(Buffer.concat(pieces).equals(expected), `pieces of ${size} bytes`);
    assert.ok(pieces.every((p) => p.length > 0), 'no empty piece');
    if (size >= 1000) assert.ok(pieces.every((p) => p.length <= size), `no piece over ${size} bytes when every line fits`);
    if (size === 1 << 20) assert.equal(pieces.length, 1);
  }
  assert.deepEqual([...copyChunks([], ['id'])], [], 'no rows, no piece');
});

test('PostgreSQL text output to row-value shapes', () => {
  assert.equal(decodePgText('9223372036854775807', { kind: 'int', bits: 64 }), 9223372036854775807n);
  assert.equal(decodePgText('12', { kind: 'int', bits: 16 }), 12);
  assert.equal(decodePgText('t', { kind: 'bool' }), true);
  assert.deepStrictEqual(decodePgText('\\x00ff', { kind: 'bytes', length: null, fixed: false }), Buffer.from([0, 255]));
  assert.equal(decodePgText('2024-01-01 00:00:00.12', { kind: 'timestamp', precision: 6 }), '2024-01-01 00:00:00.120000');
  assert.equal(decodePgText('2024-01-01 00:00:00', { kind: 'timestamp', precision: 0 }), '2024-01-01 00:00:00');
  assert.equal(decodePgText('2024-01-01 00:00:00.5+00', { kind: 'timestamptz', precision: 3 }), '2024-01-01T00:00:00.500Z');
  assert.equal(decodePgText('-1.50', { kind: 'decimal', precision: 9, scale: 2 }), '-1.50');
  assert.equal(decodePgText(null, { kind: 'date' }), null);
});

test('canonical text helpers', () => {
  assert.equal(canonicalDecimal('5', 2), '5.00');
  assert.equal(canonicalDecimal('-0.1', 3), '-0.100');
  assert.equal(canonicalDecimal('1.234', 2), '1.234', 'never rounds');
  assert.equal(padFraction('23:59:59', 6), '23:59:59.000000');
  assert.equal(padFraction('2024-01-01 23:59:59.1', 3), '2024-01-01 23:59:59.100');
  assert.equal(canonicalTimestamptz('2024-03-01T00:30:00.000001+01:00', 6), '2024-02-29T23:30:00.000001Z');
  assert.equal(canonicalTimestamptz('2024-01-01 10:00:00-0330', 0), '2024-01-01T13:30:00Z');
  assert.equal(canonicalTimestamptz('0001-01-01T00:00:00Z', 0), '0001-01-01T00:00:00Z');
  assert.equal(canonicalTimestamptz('garbage', 3), 'garbage');
});

test('SQLSTATE table', () => {
  const classify = makePostgresClassifier({ user: 'mirror', database: 'replica' });
  const e = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  const rows = ['08006', '40001', '40P01', '53300', '53100', '57P01', '55P03', '42501', '28P01', '23505', '21000', '22001', '22021', '23502', '42P01', '42703', 'ECONNREFUSED', 'XX000']
    .map((c) => { const r = classify(e(c)); return `${c} ${r.action} ${r.code}`; });
  assert.deepStrictEqual(rows, [
    '08006 retry REPLICA_UNREACHABLE', '40001 retry REPLICA_WRITE_FAILED', '40P01 retry REPLICA_WRITE_FAILED',
    '53300 retry REPLICA_UNREACHABLE', '53100 retry REPLICA_LOG_FULL', '57P01 retry REPLICA_UNREACHABLE', '55P03 retry REPLICA_WRITE_FAILED',
    '42501 halt-all REPLICA_PERMISSION', '28P01 halt-all REPLICA_PERMISSION', '23505 halt-table REPLICA_DUPLICATE_KEY',
    '21000 halt-table REPLICA_DUPLICATE_KEY', '22001 halt-table SCHEMA_CONFLICT', '22021 halt-table REPLICA_WRITE_FAILED',
    '23502 halt-table REPLICA_WRITE_FAILED', '42P01 halt-table SCHEMA_CONFLICT', '42703 halt-table SCHEMA_CONFLICT',
    'ECONNREFUSED retry REPLICA_UNREACHABLE', 'XX000 halt-table REPLICA_WRITE_FAILED',
  ]);
  const t = classify(tagTable(e('22001', 'value too long for type character varying(5)'), 'crm7.contact'));
  assert.equal(t.table, 'crm7.contact');
  assert.match(t.hint, /crm7\.contact/);
  assert.equal(classify(new Error('Connection terminated unexpectedly')).action, 'retry');
});

test('GRANT hints', () => {
  assert.equal(grantHint('permission denied for schema crm7', 'mirror', 'replica'), 'GRANT USAGE, CREATE ON SCHEMA "crm7" TO "mirror";');
  assert.equal(grantHint('permission denied for table contact', 'mirror', 'replica'), 'GRANT SELECT, INSERT, UPDATE, DELETE ON "contact" TO "mirror";');
  assert.equal(grantHint('permission denied for database replica', 'mirror', 'replica'), 'GRANT CREATE, TEMPORARY ON DATABASE "replica" TO "mirror";');
});

test('padFraction: the quick path answers as the full rule does, on every shape of text near it', () => {
  // The rule padFraction had before its quick path (a RegExp over the whole text).
  const byRule = (s: string, precision: number): string => {
    if (precision <= 0) return s;
    const m = /(\d{2}:\d{2}:\d{2})(?:\.(\d*))?$/.exec(s);
    if (!m) return s;
    const frac = m[2] ?? '';
    if (frac.length >= precision) return s;
    return s.slice(0, m.index) + m[1] + '.' + frac + '0'.repeat(precision - frac.length);
  };
  const parts = ['2024-01-01 ', '', 'x', '1', '12', '12:', '23:59:59', '2:59:59', '23:5:59', '23:59:5', 'a3:59:59', '.', '..', '1.2', '123', '1234567', '12345678', 'Z', ':', '9'];
  let n = 0;
  for (const a of parts) for (const b of parts) for (const c of parts) {
    const s = a + b + c;
    for (let p = 0; p <= 9; p++) { assert.equal(padFraction(s, p), byRule(s, p), `padFraction(${JSON.stringify(s)}, ${p})`); n++; }
  }
  assert.ok(n > 50_000);
});
