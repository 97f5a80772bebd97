import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decoderFor, encoderFor } from '../../main/engine/replica/sqlite/values.ts';
import { classifySqliteError } from '../../main/engine/replica/sqlite/errors.ts';
import { tagTable } from '../../main/engine/replica/error-tagging.ts';
import { MirrorError } from '../../main/engine/errors.ts';

test('encoders: bool to 0/1, canonical decimal and fractional seconds, UTC timestamptz; strings bind as is', () => {
  assert.equal(encoderFor({ kind: 'bool' })!(true), 1);
  assert.equal(encoderFor({ kind: 'bool' })!(false), 0);
  assert.equal(encoderFor({ kind: 'int', bits: 64 })!('9223372036854775807'), 9223372036854775807n);
  assert.equal(encoderFor({ kind: 'decimal', precision: 9, scale: 2 })!('-1.5'), '-1.50');
  assert.equal(encoderFor({ kind: 'decimal', precision: 9, scale: 2 })!('7'), '7.00');
  assert.equal(encoderFor({ kind: 'timestamp', precision: 6 })!('2024-01-01 00:00:00.5'), '2024-01-01 00:00:00.500000');
  assert.equal(encoderFor({ kind: 'time', precision: 3 })!('10:00:00'), '10:00:00.000');
  assert.equal(encoderFor({ kind: 'timestamptz', precision: 3 })!('2024-01-01T01:00:00.5+02:00'), '2023-12-31T23:00:00.500Z');
  assert.equal(encoderFor({ kind: 'uuid' })!('0F8FAD5B-D9CB-469F-A165-70867728950E'), '0f8fad5b-d9cb-469f-a165-70867728950e');
  assert.equal(encoderFor({ kind: 'string', length: null, fixed: false }), null);
});

test('decoders give the row-value shapes', () => {
  assert.equal(decoderFor({ kind: 'bool' })(1n), true);
  assert.equal(decoderFor({ kind: 'bool' })(0n), false);
  assert.equal(decoderFor({ kind: 'int', bits: 32 })(5n), 5);
  assert.equal(decoderFor({ kind: 'int', bits: 64 })(5n), 5n);
  assert.equal(decoderFor({ kind: 'float', bits: 64 })(0.1), 0.1);
  assert.equal(decoderFor({ kind: 'decimal', precision: 9, scale: 2 })('1.5'), '1.50');
  assert.equal(decoderFor({ kind: 'date' })(null), null);
});

test('error table by code', () => {
  const e = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  assert.deepStrictEqual(
    ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_PERM',
      'SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_NOTNULL', 'SQLITE_MISMATCH', 'SQLITE_IOERR_FSYNC', 'SQLITE_CORRUPT']
      .map((c) => { const r = classifySqliteError(e(c)); return `${c} ${r.action} ${r.code}`; }),
    [
      'SQLITE_BUSY retry REPLICA_UNREACHABLE', 'SQLITE_BUSY_SNAPSHOT retry REPLICA_UNREACHABLE', 'SQLITE_LOCKED retry REPLICA_UNREACHABLE',
      'SQLITE_FULL halt-all REPLICA_LOG_FULL', 'SQLITE_READONLY halt-all REPLICA_PERMISSION', 'SQLITE_CANTOPEN halt-all REPLICA_PERMISSION',
      'SQLITE_PERM halt-all REPLICA_PERMISSION', 'SQLITE_CONSTRAINT_PRIMARYKEY halt-table REPLICA_DUPLICATE_KEY',
      'SQLITE_CONSTRAINT_NOTNULL halt-table REPLICA_WRITE_FAILED', 'SQLITE_MISMATCH halt-table REPLICA_WRITE_FAILED',
      'SQLITE_IOERR_FSYNC retry REPLICA_UNREACHABLE', 'SQLITE_CORRUPT halt-all REPLICA_WRITE_FAILED',
    ]);
  assert.equal(classifySqliteError(e('SQLITE_ERROR', 'no such table: contact')).code, 'SCHEMA_CONFLICT');
  const tagged = classifySqliteError(tagTable(e('SQLITE_CONSTRAINT_NOTNULL', 'NOT NULL constraint failed: contact.name'), 'crm7.contact'));
  assert.equal(tagged.table, 'crm7.contact');
  assert.match(tagged.hint, /crm7\.contact/);
  assert.equal(classifySqliteError(new MirrorError('SCHEMA_CONFLICT', 'too long')).action, 'halt-table');
});
