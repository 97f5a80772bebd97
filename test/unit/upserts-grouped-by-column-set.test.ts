/** replica/column-sets.ts: the grouping of upserted rows by column set that every dialect uses. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnSets, groupByColumnSet } from '../../main/engine/replica/column-sets.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import type { ColumnDef, TableDef } from '../../main/engine/schema/table-model.ts';

const col = (name: string): ColumnDef => ({ name, type: { kind: 'int', bits: 32 }, nullable: name !== 'id' });
const def: TableDef = { schema: 'crm', name: 'Contact', columns: ['id', 'a', 'b'].map(col), primaryKey: ['id'] };

test('rows are grouped by the columns they carry, in table order, groups and rows in the order first seen', () => {
  const groups = groupByColumnSet(def, [{ b: 1, id: 1, a: 1 }, { id: 2, b: 2 }, { id: 3, a: 3, b: 3 }, { id: 4, b: null }, { id: 5, a: undefined as never, b: 5 }]);
  assert.deepEqual(groups.map((g) => [g.columns, g.rows.map((r) => r['id'])]), [
    [['id', 'a', 'b'], [1, 3]],
    [['id', 'b'], [2, 4, 5]], // an undefined value counts as left out; null is a value
  ]);
});

test('each set is made once and reused', () => {
  let made = 0;
  const sets = new ColumnSets(def, (names) => ({ names, n: ++made }));
  const first = sets.of({ id: 1, a: 1 });
  assert.equal(sets.of({ id: 2, b: 2 }).n, 2);
  assert.equal(sets.of({ a: 3, id: 3 }), first);
  assert.equal(made, 2);
  assert.deepEqual(sets.values().map((v) => v.names), [['id', 'a'], ['id', 'b']]);
});

test('a column the table lacks is a schema conflict; a missing or null key fails the write', () => {
  const code = (row: Record<string, unknown>) => { try { groupByColumnSet(def, [{ id: 1, a: 1 }, row as never]); return 'ok'; } catch (e) { return e instanceof MirrorError ? `${e.code}: ${e.message}` : String(e); } };
  assert.equal(code({ id: 2, zz: 1 }), 'SCHEMA_CONFLICT: a row for crm.Contact has column(s) zz that the replica table does not have');
  assert.equal(code({ id: 2, zz: undefined }), 'ok');
  assert.equal(code({ a: 1 }), 'REPLICA_WRITE_FAILED: a row for crm.Contact lacks primary-key column id');
  // Checked when a row starts a new set (the database's NOT NULL key catches the rest, as before).
  assert.equal(code({ id: null, b: 1 }), 'REPLICA_WRITE_FAILED: a row for crm.Contact lacks primary-key column id');
});
