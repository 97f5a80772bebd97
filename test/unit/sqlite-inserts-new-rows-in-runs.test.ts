/**
 * The SQLite replica writes runs of new rows with one multi-row INSERT (sqlite/replica.ts, insertMany).
 * Whatever the runs meet — keys already there, rows of other column sets, a short tail, a sweep's rows —
 * the table must end as writing the rows one at a time leaves it, with the new rows counted exactly.
 * Read back with plain SQL (CAST … AS TEXT), not through the replica.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createSqliteReplica, type SqliteReplica } from '../../main/engine/replica/sqlite/index.ts';
import type { Row, TableDef } from '../../main/engine/schema/table-model.ts';

const T: TableDef = {
  schema: 'crm', name: 'runs', primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'int', bits: 64 }, nullable: false },
    { name: 'name', type: { kind: 'string', length: 40, fixed: false }, nullable: true },
    { name: 'amount', type: { kind: 'decimal', precision: 12, scale: 2 }, nullable: true },
    { name: 'n', type: { kind: 'int', bits: 32 }, nullable: true },
  ],
};

let dir: string;
let r: SqliteReplica;
const prepared: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tm-sqlite-runs-'));
  r = createSqliteReplica({ file: join(dir, 'replica.db'), tablePrefix: '' });
  await r.connect();
  await r.ensureStateTable();
  await r.createTable(T);
  const db = r.handle;
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => { prepared.push(sql); return prepare(sql); }) as typeof db.prepare;
});
after(async () => { await r.close(); rmSync(dir, { recursive: true, force: true }); });

/** The table as text, by key: what an independent reader sees. */
function contents(): Map<string, string> {
  const rows = r.handle.prepare(`SELECT CAST("id" AS TEXT) AS id, quote("name") AS name, quote("amount") AS amount, quote("n") AS n FROM "runs" ORDER BY "id"`).all() as Record<string, string>[];
  return new Map(rows.map((x) => [x.id!, `${x.name}|${x.amount}|${x.n}`]));
}

/** What writing `rows` one at a time over `had` leaves: a carried column is set, a left-out one kept. */
function expected(had: Map<string, string>, rows: Row[]): { table: Map<string, string>; inserted: number } {
  const table = new Map(had);
  let inserted = 0;
  const q = (v: unknown): string => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v));
  for (const row of rows) {
    const id = String(row.id);
    const was = table.get(id)?.split('|') ?? null;
    if (!was) inserted++;
    const cols = ['name', 'amount', 'n'].map((c, i) => (row[c] !== undefined ? q(row[c]) : was ? was[i]! : 'NULL'));
    table.set(id, cols.join('|'));
  }
  return { table, inserted };
}

async function applyAndCheck(rows: Row[], what: string): Promise<void> {
  const before = contents();
  const want = expected(before, rows);
  const [delta] = await r.apply({ tables: [{ table: T, upserts: rows, deletes: [], markSeen: false }], state: [] });
  assert.deepEqual(contents(), want.table, `${what}: the table as row-by-row writes leave it`);
  assert.equal(delta!.inserted, want.inserted, `${what}: new rows counted exactly`);
}

const row = (id: number, tag: string): Row => ({ id: BigInt(id), name: `${tag}-${id}`, amount: `${id}.25`, n: id % 7 });

test('a unit of new rows: runs of 32 in one statement each, the tail of 4 row by row', async () => {
  prepared.length = 0;
  await applyAndCheck(Array.from({ length: 100 }, (_, i) => row(i + 1, 'a')), 'new rows');
  assert.ok(prepared.some((s) => (s.match(/\), \(/g) ?? []).length === 31), 'a 32-row INSERT was prepared (the multi-row path ran)');
});

test('a run that meets keys already there: every row as row-by-row writes leave it, only the new counted', async () => {
  // Keys 90–129: 90–100 exist (11 rows), 101–129 new; then 29 updates of existing rows after the conflict.
  const rows = [...Array.from({ length: 40 }, (_, i) => row(90 + i, 'b')), ...Array.from({ length: 29 }, (_, i) => row(10 + i, 'c'))];
  await applyAndCheck(rows, 'a run over existing keys');
});

test('updates only (no run is new): values changed, nothing counted', async () => {
  await applyAndCheck(Array.from({ length: 70 }, (_, i) => row(1 + i, 'd')), 'updates');
});

test('column sets interleaved (partial after-images): a run stops at a row of another set', async () => {
  const rows: Row[] = [];
  for (let i = 0; i < 120; i++) {
    const id = 200 + i;
    // Every 10th row leaves out `amount` (unavailable): it keeps what the table has, or NULL when new.
    rows.push(i % 10 === 9 ? { id: BigInt(id), name: `e-${id}`, n: 1 } : row(id, 'e'));
  }
  // And an existing key carrying yet another column set (no `amount`, `n` set to NULL):
  rows.push({ id: 3n, name: 'partial', n: null });
  await applyAndCheck(rows, 'interleaved column sets');
});

test('new rows after a conflicting run of the same unit are written (row by row) and counted', async () => {
  // Keys 200–231 exist (the test before): the first run conflicts; 64 new keys follow.
  const rows = [...Array.from({ length: 32 }, (_, i) => row(200 + i, 'f')), ...Array.from({ length: 64 }, (_, i) => row(400 + i, 'f'))];
  await applyAndCheck(rows, 'new rows after a conflict');
  assert.equal(contents().get('463'), `'f-463'|'463.25'|1`);
});

test('a sweep (rows marked seen): every row written and marked, so the sweep keeps exactly them', async () => {
  await r.beginSweep(T);
  const rows = Array.from({ length: 40 }, (_, i) => row(500 + i, 'g'));
  const had = contents();
  const want = expected(had, rows);
  const [delta] = await r.apply({ tables: [{ table: T, upserts: rows, deletes: [], markSeen: true }], state: [] });
  assert.deepEqual(contents(), want.table);
  assert.equal(delta!.inserted, 40);
  assert.equal(await r.finishSweep(T), had.size, 'every row not in the sweep deleted, every swept row kept');
  assert.deepEqual([...contents().keys()], rows.map((x) => String(x.id)));
});

test('a run with a value the table refuses (NOT NULL): the unit fails as a row-by-row write does, named by table, nothing of it written', async () => {
  const strict: TableDef = { ...T, name: 'runs_strict', columns: T.columns.map((c) => (c.name === 'name' ? { ...c, nullable: false } : c)) };
  await r.createTable(strict);
  const rows = Array.from({ length: 40 }, (_, i) => row(700 + i, 'h'));
  rows[10] = { ...rows[10]!, name: null };
  let caught: unknown;
  await assert.rejects(r.apply({ tables: [{ table: strict, upserts: rows, deletes: [], markSeen: false }], state: [] }), (e) => { caught = e; return true; });
  const c = r.classifyError(caught);
  assert.equal(c.action, 'halt-table', JSON.stringify(c));
  assert.equal(c.code, 'REPLICA_WRITE_FAILED');
  assert.equal(c.table, 'crm.runs_strict');
  assert.equal((r.handle.prepare('SELECT count(*) AS n FROM "runs_strict"').get() as { n: bigint }).n, 0n, 'the unit rolled back whole');
});
