/**
 * A row whose first event in the batch was an update (or a delete) is likely in the replica already: the
 * reducer says so (`present`), and the SQLite replica writes it with one UPDATE, and INSERTs only when
 * that matched no row; the other rows keep the multi-row INSERT path. A wrong hint costs a statement,
 * never a row: the table must end as row-by-row writes leave it, the new rows counted exactly. Read back
 * with plain SQL (quote(), CAST … AS TEXT); the statements run are recorded by their first word.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TableBuffer } from '../../main/engine/apply/reducer.ts';
import { createSqliteReplica, type SqliteReplica } from '../../main/engine/replica/sqlite/index.ts';
import type { Row, TableDef } from '../../main/engine/schema/table-model.ts';

const T: TableDef = {
  schema: 'crm', name: 'upd', primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'int', bits: 64 }, nullable: false },
    { name: 'name', type: { kind: 'string', length: 40, fixed: false }, nullable: true },
    { name: 'n', type: { kind: 'int', bits: 32 }, nullable: true },
  ],
};
const KEYS_ONLY: TableDef = { schema: 'crm', name: 'upd_keys', primaryKey: ['a', 'b'], columns: [
  { name: 'a', type: { kind: 'int', bits: 32 }, nullable: false },
  { name: 'b', type: { kind: 'int', bits: 32 }, nullable: false },
] };

let dir: string;
let r: SqliteReplica;
/** First word of every statement run against the data tables ('INSERT×32' for a 32-row insert). */
const ran: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tm-sqlite-upd-'));
  r = createSqliteReplica({ file: join(dir, 'replica.db'), tablePrefix: '' });
  await r.connect();
  await r.ensureStateTable();
  await r.createTable(T);
  await r.createTable(KEYS_ONLY);
  const db = r.handle;
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const st = prepare(sql);
    if (!/"upd/.test(sql) || sql.startsWith('CREATE')) return st;
    const rows = (sql.match(/\), \(/g) ?? []).length + 1;
    const word = sql.split(' ')[0]! + (rows > 1 ? `×${rows}` : '');
    const run = st.run.bind(st);
    st.run = ((...a: unknown[]) => { ran.push(word); return run(...(a as [])); }) as typeof st.run;
    return st;
  }) as typeof db.prepare;
});
after(async () => { await r.close(); rmSync(dir, { recursive: true, force: true }); });

function contents(): Map<string, string> {
  const rows = r.handle.prepare(`SELECT CAST("id" AS TEXT) AS id, quote("name") AS name, quote("n") AS n FROM "upd" ORDER BY "id"`).all() as Record<string, string>[];
  return new Map(rows.map((x) => [x.id!, `${x.name}|${x.n}`]));
}
const row = (id: number, tag: string): Row => ({ id: BigInt(id), name: `${tag}-${id}`, n: id % 7 });
const q = (v: unknown): string => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v));

async function applyAndCheck(rows: Row[], present: boolean[], what: string): Promise<void> {
  const table = contents();
  let inserted = 0;
  for (const x of rows) {
    if (!table.has(String(x.id))) inserted++;
    table.set(String(x.id), `${q(x.name)}|${q(x.n)}`);
  }
  ran.length = 0;
  const [delta] = await r.apply({ tables: [{ table: T, upserts: rows, present, deletes: [], markSeen: false }], state: [] });
  assert.deepEqual(contents(), table, `${what}: the table as row-by-row writes leave it`);
  assert.equal(delta!.inserted, inserted, `${what}: new rows counted exactly`);
}
const count = (word: string): number => ran.filter((w) => w === word).length;

test('the reducer: present when the key\'s first event is an update or a delete, not when it is an insert or a read', () => {
  const b = new TableBuffer(T);
  b.upsert({ id: 1n }, row(1, 'u'), 0, true);                                   // update
  b.upsert({ id: 2n }, row(2, 'c'), 0, false); b.upsert({ id: 2n }, row(2, 'u'), 0, true); // insert, then update: new
  b.delete({ id: 3n }); b.upsert({ id: 3n }, row(3, 'c'), 0, false);          // delete, then insert again: there
  b.upsert({ id: 4n }, row(4, 'r'), 0, false);                                  // snapshot read / insert
  b.upsert({ id: 5n }, row(5, 'u'), 0, true); b.delete({ id: 5n }); b.upsert({ id: 5n }, row(5, 'c'), 0, false);
  const ch = b.toChanges();
  assert.deepEqual(ch.upserts.map((x) => Number(x.id)), [1, 2, 3, 4, 5]);
  assert.deepEqual(ch.present, [true, false, true, false, true]);
  assert.equal(ch.present!.length, ch.upserts.length);
});

test('updates of rows there: one UPDATE each, no INSERT tried, nothing counted', async () => {
  await applyAndCheck(Array.from({ length: 64 }, (_, i) => row(i + 1, 'a')), Array(64).fill(false), 'new rows');
  await applyAndCheck(Array.from({ length: 50 }, (_, i) => row(i + 1, 'b')), Array(50).fill(true), 'updates');
  assert.equal(count('UPDATE'), 50);
  assert.equal(ran.filter((w) => w.startsWith('INSERT')).length, 0, ran.join(','));
});

test('an update that sets the values the row has: still matched (no INSERT), not counted', async () => {
  const same = Array.from({ length: 5 }, (_, i) => row(i + 1, 'b'));
  await applyAndCheck(same, Array(5).fill(true), 'same values');
  assert.deepEqual(ran, Array(5).fill('UPDATE'));
});

test('a hint that is wrong (an update of a row the replica lacks): UPDATE, then INSERT, counted new', async () => {
  await applyAndCheck([row(1000, 'c'), row(1001, 'c'), row(3, 'c')], [true, true, true], 'absent rows');
  assert.deepEqual(ran, ['UPDATE', 'INSERT', 'UPDATE', 'INSERT', 'UPDATE']);
});

test('updates interleaved with new rows: the new ones still go 32 at a time, the updates one UPDATE each', async () => {
  const rows: Row[] = [];
  const present: boolean[] = [];
  for (let i = 0; i < 64; i++) {
    rows.push(row(2000 + i, 'd')); present.push(false);
    if (i % 2 === 0) { rows.push(row(1 + i / 2, 'd')); present.push(true); } // keys 1–32: there
  }
  await applyAndCheck(rows, present, 'interleaved');
  assert.equal(count('INSERT×32'), 2, ran.join(','));
  assert.equal(count('UPDATE'), 32);
  assert.equal(count('INSERT'), 0);
});

test('a row only of key columns (nothing to update): written by the INSERT, counted once', async () => {
  ran.length = 0;
  const rows = [{ a: 1, b: 2 }, { a: 1, b: 3 }];
  const [d1] = await r.apply({ tables: [{ table: KEYS_ONLY, upserts: rows, present: [true, false], deletes: [], markSeen: false }], state: [] });
  const [d2] = await r.apply({ tables: [{ table: KEYS_ONLY, upserts: rows, present: [true, true], deletes: [], markSeen: false }], state: [] });
  assert.equal(d1!.inserted, 2);
  assert.equal(d2!.inserted, 0);
  const got = r.handle.prepare(`SELECT CAST("a" AS TEXT) || ':' || CAST("b" AS TEXT) AS k FROM "upd_keys" ORDER BY "b"`).all() as { k: string }[];
  assert.deepEqual(got.map((x) => x.k), ['1:2', '1:3']);
});

test('a sweep: updated and new rows alike are marked seen, so the sweep keeps exactly them', async () => {
  await r.beginSweep(T);
  const rows = [row(1, 'e'), row(5000, 'e'), row(2, 'e'), row(5001, 'e')];
  const had = contents();
  ran.length = 0;
  const [delta] = await r.apply({ tables: [{ table: T, upserts: rows, present: [true, false, true, true], deletes: [], markSeen: true }], state: [] });
  assert.equal(delta!.inserted, 2);
  assert.equal(await r.finishSweep(T), had.size - 2, 'every row but the two updated ones swept');
  assert.deepEqual([...contents().keys()], ['1', '2', '5000', '5001']);
  assert.equal(contents().get('5001'), `'e-5001'|${5001 % 7}`);
});

test('an UPDATE the table refuses (NOT NULL): the unit fails as the insert path does, named by table, nothing of it written', async () => {
  const strict: TableDef = { ...T, name: 'upd_strict', columns: T.columns.map((c) => (c.name === 'name' ? { ...c, nullable: false } : c)) };
  await r.createTable(strict);
  const rows = Array.from({ length: 10 }, (_, i) => row(i + 1, 's'));
  await r.apply({ tables: [{ table: strict, upserts: rows, present: Array(10).fill(false), deletes: [], markSeen: false }], state: [] });
  const read = (): string[] => (r.handle.prepare(`SELECT CAST("id" AS TEXT) || '|' || quote("name") AS x FROM "upd_strict" ORDER BY "id"`).all() as { x: string }[]).map((x) => x.x);
  const before = read();
  const updates = [row(1, 't'), row(2, 't'), { ...row(3, 't'), name: null }, row(4, 't'), row(11, 't')];
  let caught: unknown;
  ran.length = 0;
  await assert.rejects(r.apply({ tables: [{ table: strict, upserts: updates, present: [true, true, true, true, false], deletes: [], markSeen: false }], state: [] }), (e) => { caught = e; return true; });
  assert.deepEqual(ran, ['UPDATE', 'UPDATE', 'UPDATE'], 'refused on the UPDATE-first path, at the third row');
  const c = r.classifyError(caught);
  assert.equal(c.action, 'halt-table', JSON.stringify(c));
  assert.equal(c.code, 'REPLICA_WRITE_FAILED');
  assert.equal(c.table, 'crm.upd_strict');
  assert.deepEqual(read(), before, 'the unit rolled back whole: the two UPDATEs before the refused one undone, key 11 not inserted');
});
