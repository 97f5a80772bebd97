/**
 * The replica behaviour suite: what every Replica (SQLite, PostgreSQL, SQL Server) must do, written
 * against the Replica interface only. Run it from a per-database test file:
 *
 *   describeReplicaBehaviour('sqlite', async () => ({ replica, cleanup, exec }));
 *
 * The factory returns a replica that is not yet connected (the suite connects it), a cleanup that
 * closes it and removes the database, and optionally `exec(sql)` to run raw SQL (used to add a user
 * index; tests needing it are skipped without it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ApplyUnit, Replica, TableChanges } from '../../main/engine/replica/replica.ts';
import type { ColumnDef, ColumnType, Row, TableDef } from '../../main/engine/schema/table-model.ts';
import { tableId } from '../../main/engine/schema/table-model.ts';

export interface ReplicaFixture {
  replica: Replica;
  cleanup(): Promise<void>;
  /** Runs one raw SQL statement on the replica database (optional). */
  exec?(sql: string): Promise<void>;
}

const SCHEMA = 'crm_test';

function col(name: string, type: ColumnType, nullable = true, defaultValue?: ColumnDef['defaultValue']): ColumnDef {
  const c: ColumnDef = { name, type, nullable };
  if (defaultValue !== undefined) c.defaultValue = defaultValue;
  return c;
}
const int = (bits: 8 | 16 | 32 | 64): ColumnType => ({ kind: 'int', bits });
const str = (length: number | null): ColumnType => ({ kind: 'string', length, fixed: false });
const dec = (precision: number, scale: number): ColumnType => ({ kind: 'decimal', precision, scale });

export const ALL_TYPES: TableDef = {
  schema: SCHEMA, name: 'all_types', primaryKey: ['id'],
  columns: [
    col('id', int(64), false),
    col('i8', int(8)), col('i16', int(16)), col('i32', int(32)), col('i64', int(64)),
    col('f32', { kind: 'float', bits: 32 }), col('f64', { kind: 'float', bits: 64 }),
    col('d18', dec(18, 2)), col('d38', dec(38, 10)),
    col('s', str(100)), col('txt', str(null)),
    col('bin', { kind: 'bytes', length: null, fixed: false }),
    col('dt', { kind: 'date' }), col('tm6', { kind: 'time', precision: 6 }), col('tm0', { kind: 'time', precision: 0 }),
    col('ts6', { kind: 'timestamp', precision: 6 }), col('ts3', { kind: 'timestamp', precision: 3 }),
    col('tstz', { kind: 'timestamptz', precision: 6 }),
    col('u', { kind: 'uuid' }), col('j', { kind: 'json' }), col('flag', { kind: 'bool' }),
  ],
};

export const ALL_TYPES_ROWS: Row[] = [
  {
    id: 1n, i8: 127, i16: -32768, i32: 2147483647, i64: 9223372036854775807n,
    f32: 1.5, f64: 0.30000000000000004,
    d18: '-1234567890123456.78', d38: '1234567890123456789012345678.0123456789',
    s: 'héllo wörld — 表 🎉', txt: "tab\there, newline\nand\r\\backslash 'quote' \"dq\" ;--",
    bin: Buffer.from([0, 1, 2, 0x5c, 0x0a, 0x09, 0xff, 0]),
    dt: '2024-02-29', tm6: '23:59:59.999999', tm0: '12:00:00',
    ts6: '2024-02-29 12:34:56.123456', ts3: '1999-12-31 23:59:59.999',
    tstz: '2024-02-29T12:34:56.123456Z',
    u: '0f8fad5b-d9cb-469f-a165-70867728950e', j: '{"a": 1, "b": [true, null, "x"]}', flag: true,
  },
  {
    id: 2n, i8: null, i16: null, i32: null, i64: null, f32: null, f64: null, d18: null, d38: null,
    s: null, txt: null, bin: null, dt: null, tm6: null, tm0: null, ts6: null, ts3: null, tstz: null,
    u: null, j: null, flag: null,
  },
  {
    id: -9007199254740993n, i8: -128, i16: 0, i32: -2147483648, i64: -9223372036854775808n,
    f32: -0.25, f64: -1e-300,
    d18: '-9999999999999999.99', d38: '-0.0000000001',
    s: '', txt: '', bin: Buffer.alloc(0),
    dt: '0001-01-01', tm6: '00:00:00.000001', tm0: '00:00:00',
    ts6: '1970-01-01 00:00:00.000000', ts3: '2038-01-19 03:14:07.000',
    tstz: '1969-12-31T23:59:59.999999Z',
    u: '00000000-0000-0000-0000-000000000000', j: '[]', flag: false,
  },
];

const COMPOSITE: TableDef = {
  schema: SCHEMA, name: 'composite', primaryKey: ['tenant', 'code'],
  columns: [col('tenant', int(32), false), col('code', str(20), false), col('amount', dec(9, 2)), col('note', str(200))],
};

const SIMPLE: TableDef = {
  schema: SCHEMA, name: 'simple', primaryKey: ['id'],
  columns: [col('id', int(32), false), col('name', str(50)), col('qty', int(32)), col('price', dec(10, 2))],
};

const STRICT: TableDef = {
  schema: SCHEMA, name: 'strict_not_null', primaryKey: ['id'],
  columns: [col('id', int(32), false), col('name', str(50), false)],
};

/** Normalises values the databases may legitimately re-render (json text) before comparing. */
function normalise(def: TableDef, rows: Row[]): Row[] {
  const json = def.columns.filter((c) => c.type.kind === 'json').map((c) => c.name);
  return rows.map((r) => {
    const o: Row = { ...r };
    for (const j of json) if (typeof o[j] === 'string') o[j] = JSON.stringify(JSON.parse(o[j]));
    return o;
  });
}

function full(def: TableDef, row: Row): Row {
  const o: Row = {};
  for (const c of def.columns) o[c.name] = row[c.name] === undefined ? null : row[c.name]!;
  return o;
}

function sortRows(def: TableDef, rows: Row[]): Row[] {
  const key = (r: Row) => def.primaryKey.map((k) => String(r[k])).join('\u0000');
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function changes(table: TableDef, upserts: Row[], deletes: Row[] = [], markSeen = false): TableChanges {
  return { table, upserts, deletes, markSeen };
}

function unit(tables: TableChanges[], state: ApplyUnit['state'] = []): ApplyUnit {
  return { tables, state };
}

export function describeReplicaBehaviour(name: string, factory: () => Promise<ReplicaFixture>): void {
  describe(`replica behaviour: ${name}`, () => {
    let fx: ReplicaFixture;
    let r: Replica;

    async function expectRows(def: TableDef, expected: Row[]): Promise<void> {
      const got = await r.readRows(def);
      assert.deepStrictEqual(normalise(def, sortRows(def, got)), normalise(def, sortRows(def, expected.map((e) => full(def, e)))));
    }

    async function fresh(def: TableDef): Promise<void> {
      await r.dropTable(def);
      await r.createTable(def);
    }

    before(async () => {
      fx = await factory();
      r = fx.replica;
      await r.connect();
      await r.ensureStateTable();
    });
    after(async () => {
      await fx?.cleanup();
    });

    test('state table: idempotent create, upsert, read, remove', async () => {
      await r.ensureStateTable();
      await r.writeState([
        { id: 'session', kind: 'session', value: '{"tenant":"t1"}' },
        { id: 'offset:topic.a:0', kind: 'offset', value: '{"next":10}' },
      ]);
      await r.writeState([{ id: 'offset:topic.a:0', kind: 'offset', value: '{"next":11}' }, { id: 'gap:x:0:1', kind: 'gap', value: '{}' }], ['session']);
      const state = await r.readState();
      assert.deepStrictEqual(state.sort((a, b) => a.id.localeCompare(b.id)), [
        { id: 'gap:x:0:1', kind: 'gap', value: '{}' },
        { id: 'offset:topic.a:0', kind: 'offset', value: '{"next":11}' },
      ]);
      await r.writeState([], ['gap:x:0:1', 'offset:topic.a:0']);
      assert.deepStrictEqual(await r.readState(), []);
    });

    test('every column type round-trips exactly through apply and readRows', async () => {
      await fresh(ALL_TYPES);
      assert.equal(await r.tableExists(ALL_TYPES), true);
      await r.apply(unit([changes(ALL_TYPES, ALL_TYPES_ROWS)]));
      const got = await r.readRows(ALL_TYPES);
      assert.equal(got.length, 3);
      await expectRows(ALL_TYPES, ALL_TYPES_ROWS);
      const one = got.find((x) => x.id === 1n)!;
      assert.equal(typeof one.i64, 'bigint');
      assert.equal(typeof one.i32, 'number');
      assert.equal(typeof one.flag, 'boolean');
      assert.ok(Buffer.isBuffer(one.bin));
      const three = got.find((x) => x.id === -9007199254740993n)!;
      assert.equal(three.s, '', 'empty string stays an empty string');
      assert.equal(got.find((x) => x.id === 2n)!.s, null, 'NULL stays NULL');
      assert.equal(await r.countRows(ALL_TYPES), 3);
    });

    test('a large batch (bulk path) round-trips every type too', async () => {
      await fresh(ALL_TYPES);
      const rows: Row[] = [];
      for (let i = 0; i < 1500; i++) {
        const base = ALL_TYPES_ROWS[i % 3]!;
        rows.push({ ...base, id: BigInt(i) * 1000000007n, i32: i % 3 === 1 ? null : i });
      }
      await r.apply(unit([changes(ALL_TYPES, rows)], [{ id: 'offset:bulk:0', kind: 'offset', value: '1500' }]));
      await expectRows(ALL_TYPES, rows);
      // Update all of them in bulk, delete half in bulk.
      const updated: Row[] = rows.map((x) => ({ ...x, s: `v2 ${String(x.id)}` }));
      await r.apply(unit([changes(ALL_TYPES, updated)]));
      const gone = updated.filter((_, i) => i % 2 === 0);
      await r.apply(unit([changes(ALL_TYPES, [], gone.map((x) => ({ id: x.id! })))]));
      await expectRows(ALL_TYPES, updated.filter((_, i) => i % 2 === 1));
      await r.writeState([], ['offset:bulk:0']);
    });

    test('timestamptz with an offset reads back as the same instant', async () => {
      await fresh(ALL_TYPES);
      await r.apply(unit([changes(ALL_TYPES, [{ id: 7n, tstz: '2024-02-29T14:34:56.123456+02:00' }])]));
      const [row] = await r.readRows(ALL_TYPES);
      const v = String(row!.tstz);
      assert.equal(Date.parse(v), Date.parse('2024-02-29T12:34:56.123Z'), v);
      assert.match(v, /\.123456/);
    });

    test('upsert, then update, then delete', async () => {
      await fresh(SIMPLE);
      await r.apply(unit([changes(SIMPLE, [{ id: 1, name: 'a', qty: 1, price: '1.00' }, { id: 2, name: 'b', qty: 2, price: '2.00' }])]));
      await r.apply(unit([changes(SIMPLE, [{ id: 1, name: 'a2', qty: 10, price: '10.50' }, { id: 3, name: 'c', qty: 3, price: '3.00' }])]));
      await expectRows(SIMPLE, [
        { id: 1, name: 'a2', qty: 10, price: '10.50' }, { id: 2, name: 'b', qty: 2, price: '2.00' }, { id: 3, name: 'c', qty: 3, price: '3.00' },
      ]);
      await r.apply(unit([changes(SIMPLE, [{ id: 2, name: 'b2', qty: null, price: null }], [{ id: 1 }, { id: 99 }])]));
      await expectRows(SIMPLE, [{ id: 2, name: 'b2', qty: null, price: null }, { id: 3, name: 'c', qty: 3, price: '3.00' }]);
      assert.equal(await r.countRows(SIMPLE), 2);
    });

    test('partial-column upserts leave the other columns alone; mixed column sets in one batch', async () => {
      await fresh(SIMPLE);
      await r.apply(unit([changes(SIMPLE, [{ id: 1, name: 'a', qty: 1, price: '1.00' }, { id: 2, name: 'b', qty: 2, price: '2.00' }])]));
      await r.apply(unit([changes(SIMPLE, [
        { id: 1, qty: 100 },
        { id: 2, name: 'b-renamed' },
        { id: 3, price: '3.30' },
        { id: 4, name: 'd', qty: 4, price: '4.00' },
      ])]));
      await expectRows(SIMPLE, [
        { id: 1, name: 'a', qty: 100, price: '1.00' },
        { id: 2, name: 'b-renamed', qty: 2, price: '2.00' },
        { id: 3, name: null, qty: null, price: '3.30' },
        { id: 4, name: 'd', qty: 4, price: '4.00' },
      ]);
    });

    test('apply answers what each commit inserted and deleted, table by table: COUNT(*) moves by exactly that (small and bulk batches, partial rows, key-only rows, absent keys)', async () => {
      await fresh(SIMPLE);
      await fresh(COMPOSITE);
      const keyOnly: TableDef = { ...COMPOSITE, name: 'key_only', columns: COMPOSITE.columns.filter((c) => COMPOSITE.primaryKey.includes(c.name)) };
      await fresh(keyOnly);
      const counts = async () => [await r.countRows(SIMPLE), await r.countRows(COMPOSITE), await r.countRows(keyOnly)];
      const bulk = (from: number, n: number, name: string): Row[] => Array.from({ length: n }, (_, i) => ({ id: from + i, name, qty: i, price: '1.00' }));
      const steps: Array<{ u: ApplyUnit; want: Array<[number, number]> }> = [
        { u: unit([changes(SIMPLE, bulk(1, 3, 'a')), changes(COMPOSITE, [{ tenant: 1, code: 'A', amount: '1.10', note: 'x' }])]), want: [[3, 0], [1, 0]] },
        // 2 updates + 1 insert; a partial row of an existing key; delete of one present and one absent key
        { u: unit([changes(SIMPLE, [{ id: 1, name: 'a2', qty: 1, price: '1.00' }, { id: 2, qty: 7 }, { id: 4, name: 'd', qty: 4, price: null }], [{ id: 3 }, { id: 99 }]),
          changes(COMPOSITE, [{ tenant: 1, code: 'A', amount: '2.20' }, { tenant: 2, code: 'B', note: 'new, partial' }], [{ tenant: 9, code: 'Z' }])]), want: [[1, 1], [1, 0]] },
        // the bulk path (COPY / staged): 150 new rows and 2 existing ones, then the same again (all updates)
        { u: unit([changes(SIMPLE, [...bulk(100, 150, 'bulk'), { id: 1, name: 'a3', qty: 1, price: '1.00' }, { id: 2, name: 'b3', qty: 2, price: '2.00' }])]), want: [[150, 0]] },
        { u: unit([changes(SIMPLE, bulk(100, 150, 'bulk again'))]), want: [[0, 0]] },
        { u: unit([changes(SIMPLE, [], bulk(100, 120, 'x').map((x) => ({ id: x.id! })))]), want: [[0, 120]] },
        // key-only rows: DO NOTHING on a conflict
        { u: unit([changes(keyOnly, [{ tenant: 1, code: 'A' }, { tenant: 1, code: 'B' }])]), want: [[2, 0]] },
        { u: unit([changes(keyOnly, [{ tenant: 1, code: 'A' }, { tenant: 1, code: 'C' }], [{ tenant: 1, code: 'B' }])]), want: [[1, 1]] },
      ];
      let before = await counts();
      for (const [i, { u, want }] of steps.entries()) {
        const deltas = await r.apply(u);
        assert.deepEqual(deltas.map((d) => [d.inserted, d.deleted]), want, `step ${i}: inserted/deleted per table`);
        const now = await counts();
        u.tables.forEach((tc, j) => {
          const k = tc.table === SIMPLE ? 0 : tc.table === COMPOSITE ? 1 : 2;
          assert.equal(now[k]! - before[k]!, deltas[j]!.inserted - deltas[j]!.deleted, `step ${i}: ${tc.table.name} moved by what apply answered`);
        });
        before = now;
      }
      await r.dropTable(keyOnly);
    });

    test('composite primary key', async () => {
      await fresh(COMPOSITE);
      await r.apply(unit([changes(COMPOSITE, [
        { tenant: 1, code: 'A', amount: '1.10', note: 'x' },
        { tenant: 1, code: 'B', amount: '2.20', note: null },
        { tenant: 2, code: 'A', amount: '-3.30', note: 'y' },
      ])]));
      await r.apply(unit([changes(COMPOSITE, [{ tenant: 1, code: 'B', amount: '9.99' }], [{ tenant: 2, code: 'A' }, { tenant: 2, code: 'B' }])]));
      await expectRows(COMPOSITE, [
        { tenant: 1, code: 'A', amount: '1.10', note: 'x' },
        { tenant: 1, code: 'B', amount: '9.99', note: null },
      ]);
    });

    test('apply is one transaction: a failing row in the second table leaves rows and state untouched', async () => {
      await fresh(SIMPLE);
      await fresh(STRICT);
      await r.apply(unit([changes(SIMPLE, [{ id: 1, name: 'kept', qty: 1, price: '1.00' }])], [{ id: 'offset:tx:0', kind: 'offset', value: '{"next":1}' }]));
      const bad = unit([
        changes(SIMPLE, [{ id: 1, name: 'changed', qty: 2, price: '2.00' }, { id: 2, name: 'new', qty: 2, price: '2.00' }]),
        changes(STRICT, [{ id: 1, name: 'ok' }, { id: 2, name: null }]),
      ], [{ id: 'offset:tx:0', kind: 'offset', value: '{"next":99}' }, { id: 'table:crm_test.simple', kind: 'table', value: '{}' }]);
      let caught: unknown;
      await assert.rejects(r.apply(bad), (e) => { caught = e; return true; });
      const c = r.classifyError(caught);
      assert.equal(c.action, 'halt-table', JSON.stringify(c));
      assert.equal(c.table, tableId(STRICT), JSON.stringify(c));
      await expectRows(SIMPLE, [{ id: 1, name: 'kept', qty: 1, price: '1.00' }]);
      assert.equal(await r.countRows(STRICT), 0);
      const state = await r.readState();
      assert.deepStrictEqual(state.filter((s) => s.id === 'offset:tx:0' || s.id === 'table:crm_test.simple'),
        [{ id: 'offset:tx:0', kind: 'offset', value: '{"next":1}' }]);
      // The replica is usable after the failure.
      await r.apply(unit([changes(STRICT, [{ id: 3, name: 'fine' }])], [{ id: 'offset:tx:0', kind: 'offset', value: '{"next":2}' }]));
      assert.equal(await r.countRows(STRICT), 1);
      assert.deepStrictEqual((await r.readState()).find((s) => s.id === 'offset:tx:0'), { id: 'offset:tx:0', kind: 'offset', value: '{"next":2}' });
      await r.writeState([], ['offset:tx:0']);
    });

    test('a position guard: a unit is written only while its offset row holds what the guard says (REPLICA_WENT_BACK, nothing written, otherwise)', async () => {
      await fresh(SIMPLE);
      const id = 'offset:pos:0';
      const row = (next: string) => ({ id, kind: 'offset' as const, value: JSON.stringify({ next, at: 1 }) });
      // No row yet: the guard must say null.
      await assert.rejects(r.apply({ ...unit([changes(SIMPLE, [{ id: 1, name: 'x', qty: 1, price: '1.00' }])], [row('5')]), position: { id, next: '3' } }),
        (e) => (e as { code?: string }).code === 'REPLICA_WENT_BACK');
      await r.apply({ ...unit([changes(SIMPLE, [{ id: 1, name: 'a', qty: 1, price: '1.00' }])], [row('5')]), position: { id, next: null } });
      await r.apply({ ...unit([changes(SIMPLE, [{ id: 2, name: 'b', qty: 2, price: '2.00' }])], [row('9')]), position: { id, next: '5' } });
      // The replica "went back" (the row says 5 again, as after a crash that lost the last commit).
      await r.writeState([row('5')]);
      let caught: unknown;
      await assert.rejects(r.apply({ ...unit([changes(SIMPLE, [{ id: 3, name: 'c', qty: 3, price: '3.00' }], [{ id: 1 }])], [row('12')]), position: { id, next: '9' } }),
        (e) => { caught = e; return true; });
      assert.equal((caught as { code?: string }).code, 'REPLICA_WENT_BACK', String(caught));
      const c = r.classifyError(caught);
      assert.deepEqual([c.code, c.action], ['REPLICA_WENT_BACK', 'halt-all']);
      await expectRows(SIMPLE, [{ id: 1, name: 'a', qty: 1, price: '1.00' }, { id: 2, name: 'b', qty: 2, price: '2.00' }]);
      assert.equal((await r.readState()).find((s) => s.id === id)?.value, row('5').value);
      await r.writeState([], [id]);
    });

    test('a state write with position guards lands only while every guarded offset row holds what it says (REPLICA_WENT_BACK, nothing written, otherwise)', async () => {
      const off = (p: number, next: string) => ({ id: `offset:sg:${p}`, kind: 'offset' as const, value: JSON.stringify({ next, at: 1 }) });
      const mark = (v: string) => ({ id: 'session:sg-mark', kind: 'session' as const, value: JSON.stringify({ v }) });
      await r.writeState([off(0, '10'), off(1, '20'), mark('before')]);
      const held = [{ id: 'offset:sg:0', next: '10' }, { id: 'offset:sg:1', next: '20' }];
      await r.writeState([mark('held')], [], undefined, held);
      assert.equal((await r.readState()).find((s) => s.id === 'session:sg-mark')?.value, mark('held').value);
      // Partition 1 went back (a restore under the running engine): the write is refused whole.
      await r.writeState([off(1, '15')]);
      let caught: unknown;
      await assert.rejects(r.writeState([mark('after'), off(0, '11')], ['session:sg-mark'], undefined, held), (e) => { caught = e; return true; });
      assert.equal((caught as { code?: string }).code, 'REPLICA_WENT_BACK', String(caught));
      const state = await r.readState();
      assert.equal(state.find((s) => s.id === 'session:sg-mark')?.value, mark('held').value, 'nothing of the refused write landed');
      assert.equal(state.find((s) => s.id === 'offset:sg:0')?.value, off(0, '10').value);
      await r.writeState([], ['offset:sg:0', 'offset:sg:1', 'session:sg-mark']);
    });

    test('a state write with a held-row guard lands only while the row holds exactly that value: a row gone or changed is REPLICA_WENT_BACK, nothing written, the row not brought back', async () => {
      const id = 'request:hg-1';
      const v = (status: string) => JSON.stringify({ id: 'hg-1', status });
      const other = { id: 'session:hg-mark', kind: 'session' as const, value: '{"v":1}' };
      await r.writeState([{ id, kind: 'request', value: v('pending') }]);
      await r.writeState([{ id, kind: 'request', value: v('running') }], [], undefined, [{ id, value: v('pending') }]);
      assert.equal((await r.readState('request')).find((s) => s.id === id)?.value, v('running'));
      // Changed since (another writer): refused whole.
      await assert.rejects(r.writeState([{ id, kind: 'request', value: v('done') }, other], [], undefined, [{ id, value: v('pending') }]), { code: 'REPLICA_WENT_BACK' });
      assert.equal((await r.readState('request')).find((s) => s.id === id)?.value, v('running'));
      assert.equal((await r.readState()).some((s) => s.id === other.id), false, 'nothing of the refused write landed');
      // Gone (withdrawn by its command, or the replica restored): not written again.
      await r.writeState([], [id]);
      await assert.rejects(r.writeState([{ id, kind: 'request', value: v('done') }], [], undefined, [{ id, value: v('running') }]), { code: 'REPLICA_WENT_BACK' });
      assert.equal((await r.readState('request')).some((s) => s.id === id), false, 'the row is not brought back');
    });

    test('sweep removes unseen rows only; cancel keeps everything', async () => {
      await fresh(COMPOSITE);
      const rows = [1, 2, 3, 4, 5].map((i) => ({ tenant: 1, code: `c${i}`, amount: `${i}.00`, note: null }));
      await r.apply(unit([changes(COMPOSITE, rows)]));

      await r.beginSweep(COMPOSITE);
      await r.cancelSweep(COMPOSITE);
      assert.equal(await r.countRows(COMPOSITE), 5);

      await r.beginSweep(COMPOSITE);
      await r.beginSweep(COMPOSITE); // restart = empty set again
      // Snapshot re-delivers 1, 3, 5 and a new 6 (marked seen); a live update of 2 is not marked.
      await r.apply(unit([changes(COMPOSITE, [rows[0]!, rows[2]!, { ...rows[4]!, amount: '50.00' }, { tenant: 1, code: 'c6', amount: '6.00', note: 'new' }], [], true)]));
      await r.apply(unit([changes(COMPOSITE, [{ ...rows[1]!, note: 'live' }], [], false)]));
      const many = Array.from({ length: 300 }, (_, i) => ({ tenant: 2, code: `m${i}`, amount: '0.00', note: null }));
      await r.apply(unit([changes(COMPOSITE, many, [], true)])); // bulk path marks seen too
      const deleted = await r.finishSweep(COMPOSITE);
      assert.equal(deleted, 2);
      await expectRows(COMPOSITE, [
        rows[0]!, rows[2]!, { ...rows[4]!, amount: '50.00' }, { tenant: 1, code: 'c6', amount: '6.00', note: 'new' }, ...many,
      ]);
    });

    test('keys marked without a row (marks) keep their rows as written, and write nothing else', async () => {
      await fresh(COMPOSITE);
      const rows = Array.from({ length: 1200 }, (_, i) => ({ tenant: 3, code: `k${i}`, amount: `${i}.25`, note: i % 2 ? 'odd' : null }));
      await r.apply(unit([changes(COMPOSITE, rows)]));
      await r.beginSweep(COMPOSITE);
      // Every other key marked by its key alone (more than one statement's worth); a key the table lacks is only marked.
      const marks = rows.filter((_, i) => i % 2 === 0).map((x) => ({ tenant: x.tenant, code: x.code }));
      const before = await r.countRows(COMPOSITE);
      const d = await r.apply(unit([{ ...changes(COMPOSITE, [], [], true), marks: [...marks, { tenant: 9, code: 'absent' }] }]));
      assert.deepEqual(d, [{ inserted: 0, deleted: 0 }]);
      assert.equal(await r.countRows(COMPOSITE), before, 'a mark inserts no row');
      assert.equal(await r.finishSweep(COMPOSITE), 600);
      await expectRows(COMPOSITE, rows.filter((_, i) => i % 2 === 0));
    });

    test('alter: add columns and relax NOT NULL keep rows; a user index survives', async () => {
      const def: TableDef = {
        schema: SCHEMA, name: 'evolving', primaryKey: ['id'],
        columns: [col('id', int(32), false), col('name', str(20), false), col('email', str(100))],
      };
      await fresh(def);
      await r.apply(unit([changes(def, [{ id: 1, name: 'a', email: 'a@x' }, { id: 2, name: 'b', email: 'b@x' }])]));
      const q = r.dialect.quoteIdent.bind(r.dialect);
      if (fx.exec) await fx.exec(`CREATE UNIQUE INDEX ${q('ux_evolving_email')} ON ${r.dialect.qualify(def)} (${q('email')})`);

      const added = [col('score', dec(9, 2)), col('status', str(10), false, 'new'), col('active', { kind: 'bool' }, true, true)];
      const wider = col('name', str(200), true);
      const def2: TableDef = { ...def, columns: [def.columns[0]!, wider, def.columns[2]!, ...added] };
      await r.alterTable({ table: def2, addColumns: added, widenColumns: [wider], relaxNullability: [wider] });
      await expectRows(def2, [
        { id: 1, name: 'a', email: 'a@x', score: null, status: 'new', active: true },
        { id: 2, name: 'b', email: 'b@x', score: null, status: 'new', active: true },
      ]);
      const long = 'x'.repeat(150);
      await r.apply(unit([changes(def2, [{ id: 3, name: long, email: 'c@x', score: '1.25', status: 'done', active: false }, { id: 4, name: null, email: null }])]));
      await expectRows(def2, [
        { id: 1, name: 'a', email: 'a@x', score: null, status: 'new', active: true },
        { id: 2, name: 'b', email: 'b@x', score: null, status: 'new', active: true },
        { id: 3, name: long, email: 'c@x', score: '1.25', status: 'done', active: false },
        { id: 4, name: null, email: null, score: null, status: 'new', active: true },
      ]);
      // Re-running the same plan is harmless (an engine retry after a crash).
      await r.alterTable({ table: def2, addColumns: added, widenColumns: [wider], relaxNullability: [wider] });
      assert.equal(await r.countRows(def2), 4);
      if (fx.exec) {
        let caught: unknown;
        await assert.rejects(r.apply(unit([changes(def2, [{ id: 5, name: 'dup', email: 'a@x' }])])), (e) => { caught = e; return true; });
        const c = r.classifyError(caught);
        assert.equal(c.code, 'REPLICA_DUPLICATE_KEY', JSON.stringify(c));
        assert.equal(c.action, 'halt-table');
      }
      await r.dropTable(def2);
    });

    test('drop table (and again: idempotent)', async () => {
      await fresh(SIMPLE);
      await r.beginSweep(SIMPLE);
      await r.dropTable(SIMPLE);
      assert.equal(await r.tableExists(SIMPLE), false);
      await r.dropTable(SIMPLE);
      await r.createTable(SIMPLE);
      assert.equal(await r.countRows(SIMPLE), 0);
      await r.dropTable(SIMPLE);
    });

    test('identifiers with quotes, brackets, semicolons, spaces and unicode', async () => {
      const weird: TableDef = {
        schema: SCHEMA, name: 'we"ird [t]; drop table x; -- ü表',
        primaryKey: ['k"ey', 'se;mi'],
        columns: [
          col('k"ey', int(32), false), col('se;mi', str(20), false),
          col('[br]acket', str(50)), col('spa ce', int(64)), col('ünï表🎉', str(20)), col("'single'", str(10)),
        ],
      };
      await fresh(weird);
      const rows = [
        { 'k"ey': 1, 'se;mi': 'a', '[br]acket': 'x', 'spa ce': 1n, 'ünï表🎉': 'ü', "'single'": "'" },
        { 'k"ey': 2, 'se;mi': 'b"]', '[br]acket': null, 'spa ce': null, 'ünï表🎉': null, "'single'": null },
      ];
      await r.apply(unit([changes(weird, rows)]));
      await expectRows(weird, rows);
      await r.beginSweep(weird);
      await r.apply(unit([changes(weird, [rows[0]!], [], true)]));
      assert.equal(await r.finishSweep(weird), 1);
      const extra = col('new "col"]', str(5));
      const weird2 = { ...weird, columns: [...weird.columns, extra] };
      await r.alterTable({ table: weird2, addColumns: [extra], widenColumns: [], relaxNullability: [] });
      await r.apply(unit([changes(weird2, [{ 'k"ey': 1, 'se;mi': 'a', 'new "col"]': 'v' }], [])]));
      await expectRows(weird2, [{ ...rows[0]!, 'new "col"]': 'v' }]);
      await r.dropTable(weird2);
      assert.equal(await r.tableExists(weird2), false);
    });

    test('long names either work without colliding or fail clearly as a schema conflict', async () => {
      const base = 'n'.repeat(70);
      const a: TableDef = { ...SIMPLE, name: `${base}_a` };
      const b: TableDef = { ...SIMPLE, name: `${base}_b` };
      let err: unknown;
      try {
        await r.createTable(a);
        await r.createTable(b);
      } catch (e) {
        err = e;
      }
      if (err) {
        const c = r.classifyError(err);
        assert.equal(c.code, 'SCHEMA_CONFLICT', JSON.stringify(c));
        assert.match(c.hint, /long|bytes|length/i);
        return;
      }
      await r.apply(unit([changes(a, [{ id: 1, name: 'a' }]), changes(b, [{ id: 1, name: 'b' }, { id: 2, name: 'b' }])]));
      assert.equal(await r.countRows(a), 1);
      assert.equal(await r.countRows(b), 2);
      await r.dropTable(a);
      await r.dropTable(b);
    });

    test('checkRights passes for the test login', async () => {
      const rights = await r.checkRights();
      assert.deepStrictEqual(rights, { ok: true, missing: [] });
    });
  });
}
