/**
 * schema/row-code.ts: rows read and built by generated code give what the generic loops give, for any
 * column name (quotes, backslashes, line separators, code-looking names), and the decoder, the column
 * sets and the reducer that use it keep their rules (unavailable values left out, a failing value named by
 * its column, an undefined value counted as left out, a partial image merged over the full one).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builder, codeable, gatherer, presence } from '../../main/engine/schema/row-code.ts';
import { buildStructDecoder, UNAVAILABLE } from '../../main/engine/decode/struct-decoder.ts';
import type { ConnectField } from '../../main/engine/decode/connect-schema.ts';
import { TableBuffer } from '../../main/engine/apply/reducer.ts';
import { ColumnSets } from '../../main/engine/replica/column-sets.ts';
import { copyPayload } from '../../main/engine/replica/postgres/values.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import type { Row, RowValue, TableDef } from '../../main/engine/schema/table-model.ts';

const ODD = ['id', 'a"b', 'c\\d', 'e\nf', 'g\u2028h', "'); throw new Error('x'); ('", '${x}', '`', 'constructor', 'toString', '0', '12', 'ünï', ''];

test('gather reads each named value in order, a missing one as undefined, for odd names too', () => {
  const row: Row = {};
  ODD.forEach((n, i) => { if (i !== 3) row[n] = i % 2 ? `v${i}` : i; });
  const out: (RowValue | undefined)[] = [];
  gatherer(ODD)(row, out);
  assert.deepEqual(out, ODD.map((n) => row[n]));
  assert.equal(out[3], undefined);
  assert.equal(gatherer([...ODD]), gatherer(ODD), 'one function per column list');
});

test('build makes a row with exactly the names, in order, for odd names too', () => {
  const values = ODD.map((_, i) => (i % 3 === 0 ? null : i % 3 === 1 ? BigInt(i) : `t${i}`));
  const row = builder(ODD)(values);
  // Integer-like names ('0', '12') come first in any JavaScript object, as with the generic loop.
  const generic: Row = {};
  ODD.forEach((n, i) => { generic[n] = values[i]!; });
  assert.deepEqual(Object.keys(row), Object.keys(generic));
  assert.deepEqual(row, generic);
  assert.equal(Object.getPrototypeOf(row), Object.prototype);
});

test('presence: every name there and not undefined (null is a value)', () => {
  const has = presence(['id', 'a"b']);
  assert.equal(has({ id: 1, 'a"b': null }), true);
  assert.equal(has({ id: 1 }), false);
  assert.equal(has({ id: 1, 'a"b': undefined as never }), false);
  assert.equal(presence([])({}), true);
});

test('__proto__ is never written into code: the generic loops serve it', () => {
  assert.equal(codeable(['id', '__proto__']), false);
  const row = builder(['id', '__proto__'])([1, null]);
  assert.equal(row['id'], 1);
  const out: (RowValue | undefined)[] = [];
  gatherer(['id', '__proto__'])({ id: 7 }, out);
  assert.equal(out[0], 7);
});

const field = (name: string, type: string, extra: Partial<ConnectField> = {}): ConnectField => ({ field: name, type, optional: name !== 'id', ...extra } as ConnectField);
const schema: ConnectField = {
  type: 'struct', name: 'x.crm.t.Value', optional: true,
  fields: [field('id', 'int32'), field('s', 'string'), field('b', 'bytes'), field('n', 'int64'), field('d', 'string', { name: 'io.debezium.time.ZonedTimestamp' })],
} as ConnectField;

test('the decoder gives the generic result: all values, unavailable ones left out, a failing value named', () => {
  const d = buildStructDecoder(schema, 'mariadb');
  const full = d.decode({ id: 1, s: 'x', b: 'AAE=', n: 12345678901234567890n, d: '2026-12-02T10:00:00Z' });
  assert.deepEqual(Object.keys(full), ['id', 's', 'b', 'n', 'd']);
  assert.equal(full['n'], 12345678901234567890n);
  assert.deepEqual(full['b'], Buffer.from([0, 1]));
  const nulls = d.decode({ id: 2 });
  assert.deepEqual(nulls, { id: 2, s: null, b: null, n: null, d: null });
  const partial = d.decode({ id: 3, s: UNAVAILABLE, b: Buffer.from(UNAVAILABLE).toString('base64'), n: 1 });
  assert.deepEqual(partial, { id: 3, n: 1n, d: null });
  assert.throws(() => d.decode({ id: 4, n: 'not a number' }), (e: unknown) => e instanceof MirrorError && e.code === 'DECODE_FAILED' && /column n/.test(e.message));
  // The decoder goes on after a fallback (its scratch values are not left behind).
  assert.deepEqual(d.decode({ id: 5, s: 'y' }), { id: 5, s: 'y', b: null, n: null, d: null });
});

const def: TableDef = { schema: 'crm', name: 't', primaryKey: ['id'], columns: ['id', 'a', 'b'].map((name) => ({ name, type: { kind: 'int', bits: 32 }, nullable: name !== 'id' })) };

test('column sets: a row with the last set\'s columns and an extra undefined key is of the smaller set', () => {
  const sets = new ColumnSets(def, (names) => names.join(','));
  assert.equal(sets.of({ id: 1, a: 1, b: 1 }), 'id,a,b');
  assert.equal(sets.of({ id: 2, a: 2, b: 2 }), 'id,a,b');
  assert.equal(sets.of({ id: 3, a: 3, b: undefined as never }), 'id,a');
  assert.equal(sets.of({ id: 4, a: 4, b: 4, zz: undefined as never }), 'id,a,b');
  assert.throws(() => sets.of({ id: 5, a: 5, zz: 1 }), /column\(s\) zz/);
});

test('the reducer: a full image is kept with the key written into it; a partial one is merged over the last full one', () => {
  const buf = new TableBuffer(def);
  const after: Row = { id: 1, a: 1, b: 1 };
  buf.upsert({ id: 1 }, after);
  assert.equal([...buf.entries.values()][0]!.row, after, 'no copy of a full image');
  buf.upsert({ id: 1 }, { id: 1, b: 9 });
  assert.deepEqual([...buf.entries.values()][0]!.row, { id: 1, a: 1, b: 9 });
  // The key's value wins over the image's (a key may be typed apart from its row column).
  buf.upsert({ id: 2 }, { id: 20 as RowValue, a: null, b: null });
  assert.deepEqual(buf.toChanges().upserts.map((r) => r['id']), [1, 2]);
  assert.equal(copyPayload(buf.toChanges().upserts, ['id', 'a', 'b']), '1\t1\t9\n2\t\\N\t\\N\n');
});
