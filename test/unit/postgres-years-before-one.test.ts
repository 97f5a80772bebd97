/**
 * PostgreSQL has no year 0: ISO (astronomical) years ≤ 0 in row values are written with BC to its
 * date/time columns (0000 is 1 BC, -0001 is 2 BC) and PostgreSQL's BC text reads back as the ISO year.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePgText, toPgYear, withPgYears } from '../../main/engine/replica/postgres/values.ts';

test('years ≤ 0 are written with BC, years ≥ 1 untouched', () => {
  assert.equal(toPgYear('0000-12-30T14:00:00.000000Z'), '0001-12-30T14:00:00.000000Z BC');
  assert.equal(toPgYear('-0001-12-31T10:00:00Z'), '0002-12-31T10:00:00Z BC');
  assert.equal(toPgYear('0000-02-29'), '0001-02-29 BC');
  for (const v of ['0001-01-01T00:00:00.000000Z', '0001-01-01 00:00:00', '9999-12-31', '10000-01-01T13:59:59.999999Z']) assert.equal(toPgYear(v), v);
});

test('PostgreSQL BC text reads back as the ISO year', () => {
  assert.equal(decodePgText('0001-12-30 14:00:00+00 BC', { kind: 'timestamptz', precision: 6 }), '0000-12-30T14:00:00.000000Z');
  assert.equal(decodePgText('0002-12-31 10:00:00 BC', { kind: 'timestamp', precision: 0 }), '-0001-12-31 10:00:00');
  assert.equal(decodePgText('0001-02-29 BC', { kind: 'date' }), '0000-02-29');
  assert.equal(decodePgText('0001-01-01', { kind: 'date' }), '0001-01-01');
  assert.equal(decodePgText('x BC', { kind: 'string', length: null, fixed: false }), 'x BC');
});

test('only the named columns of rows that need it are rewritten', () => {
  const rows = [{ id: 1, t: '0000-12-31T10:00:00Z', s: '0000-01-01' }, { id: 2, t: '2024-01-01T00:00:00Z', s: 'x' }];
  const out = withPgYears(rows, ['t']);
  assert.deepEqual(out[0], { id: 1, t: '0001-12-31T10:00:00Z BC', s: '0000-01-01' });
  assert.equal(out[1], rows[1]);
  assert.equal(rows[0]!.t, '0000-12-31T10:00:00Z');
});
