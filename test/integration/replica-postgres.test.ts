/**
 * PostgreSQL replica: the shared behaviour suite, plus PostgreSQL-specific checks with real provoked
 * errors. Needs PostgreSQL at PGHOST:PGPORT (npm test sets them to its stack's private instance; default
 * 127.0.0.1:5432, user postgres, trust auth); each suite creates a random database tm_<hex> and drops it at the end.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createPostgresReplica, type PostgresReplica, type PostgresReplicaOptions } from '../../main/engine/replica/postgres/index.ts';
import type { TableDef } from '../../main/engine/schema/table-model.ts';
import { describeReplicaBehaviour } from './replica-behaviour.ts';

const HOST = process.env.PGHOST ?? '127.0.0.1';
const PORT = Number(process.env.PGPORT ?? 5432);
const ADMIN = process.env.PGUSER ?? 'postgres';

async function admin<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ host: HOST, port: PORT, user: ADMIN, database });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

async function createDb(): Promise<string> {
  const name = `tm_${randomBytes(6).toString('hex')}`;
  await admin('postgres', (c) => c.query(`CREATE DATABASE ${name}`));
  return name;
}

async function dropDb(name: string): Promise<void> {
  await admin('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

function options(database: string, extra: Partial<PostgresReplicaOptions> = {}): PostgresReplicaOptions {
  return { host: HOST, port: PORT, database, user: ADMIN, tablePrefix: '', ...extra };
}

for (const tablePrefix of ['', 'mirror']) {
  describeReplicaBehaviour(`postgres${tablePrefix ? ` (tablePrefix ${tablePrefix})` : ''}`, async () => {
    const db = await createDb();
    const replica = createPostgresReplica(options(db, { tablePrefix }));
    return {
      replica,
      exec: (sql: string) => admin(db, async (c) => { await c.query(sql); }),
      cleanup: async () => { await replica.close(); await dropDb(db); },
    };
  });
}

// The bulk threshold forced both ways, so both write paths run the whole suite.
describeReplicaBehaviour('postgres (COPY for every batch)', async () => {
  const db = await createDb();
  const replica = createPostgresReplica(options(db, { copyThreshold: 1 }));
  return { replica, exec: (sql: string) => admin(db, async (c) => { await c.query(sql); }), cleanup: async () => { await replica.close(); await dropDb(db); } };
});
describeReplicaBehaviour('postgres (multi-row statements only)', async () => {
  const db = await createDb();
  const replica = createPostgresReplica(options(db, { copyThreshold: 1e9 }));
  return { replica, exec: (sql: string) => admin(db, async (c) => { await c.query(sql); }), cleanup: async () => { await replica.close(); await dropDb(db); } };
});

const T: TableDef = {
  schema: 'crm', name: 'contact', primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'int', bits: 32 }, nullable: false },
    { name: 'name', type: { kind: 'string', length: 5, fixed: false }, nullable: true },
  ],
};
const up = (rows: Record<string, number | string | null>[], table: TableDef = T) => ({ tables: [{ table, upserts: rows, deletes: [], markSeen: false }], state: [] });

async function failure(p: Promise<unknown>): Promise<unknown> {
  let caught: unknown;
  await assert.rejects(p, (e) => { caught = e; return true; });
  return caught;
}

describe('postgres replica specifics', () => {
  let db: string;
  let r: PostgresReplica;
  before(async () => {
    db = await createDb();
    r = createPostgresReplica(options(db, { lockTimeoutMs: 300 }));
    await r.connect();
    await r.ensureStateTable();
    await r.createTable(T);
  });
  after(async () => {
    await r.close();
    await dropDb(db);
  });

  test('value too long for varchar(n) (22001) -> halt-table SCHEMA_CONFLICT naming the table, both paths', async () => {
    for (const n of [1, 200]) {
      const rows = Array.from({ length: n }, (_, i) => ({ id: i, name: i === n - 1 ? 'toolong' : 'ok' }));
      const e = await failure(r.apply(up(rows)));
      assert.equal((e as { code?: string }).code, '22001');
      const c = r.classifyError(e);
      assert.equal(c.action, 'halt-table');
      assert.equal(c.code, 'SCHEMA_CONFLICT');
      assert.equal(c.table, 'crm.contact');
      assert.match(c.hint, /crm\.contact/);
    }
  });

  test('COPY-sized groups go straight into their table while their rows are new; a row already there sends the group through the stage, with the same result', async () => {
    const t: TableDef = { ...T, name: 'direct' };
    const t2: TableDef = { ...T, name: 'direct2' };
    await r.createTable(t); await r.createTable(t2);
    const rows = (from: number, n: number, name: string) => Array.from({ length: n }, (_, i) => ({ id: from + i, name }));
    const read = () => admin(db, async (c) => (await c.query<{ id: number; name: string }>(`SELECT id, name::text AS name FROM crm.direct ORDER BY id`)).rows);
    const before = { ...r.copies };
    // New rows: straight in, counted as inserted.
    let d = await r.apply(up(rows(0, 150, 'a'), t));
    assert.deepEqual(d, [{ inserted: 150, deleted: 0 }]);
    assert.equal(r.copies.direct, before.direct + 1);
    // One row of the group already there (id 149): undone, staged; 149 updated, 150…299 inserted.
    d = await r.apply(up(rows(149, 151, 'b'), t));
    assert.deepEqual(d, [{ inserted: 150, deleted: 0 }]);
    assert.equal(r.copies.conflicts, before.conflicts + 1);
    assert.equal(r.copies.staged, before.staged + 1);
    const got = await read();
    assert.equal(got.length, 300);
    assert.deepEqual(got.filter((x) => x.id < 149).map((x) => x.name), Array(149).fill('a'));
    assert.deepEqual(got.filter((x) => x.id >= 149).map((x) => x.name), Array(151).fill('b'));
    // The table stays on the stage this session, even for rows that are new; another table does not.
    await r.apply({ tables: [{ table: t, upserts: rows(300, 120, 'c'), deletes: [], markSeen: false }, { table: t2, upserts: rows(0, 120, 'c'), deletes: [], markSeen: false }], state: [] });
    assert.equal(r.copies.staged, before.staged + 2);
    assert.equal(r.copies.direct, before.direct + 2);
    assert.equal((await read()).length, 420);
    // A group with a seen set to fill never goes straight in.
    await r.beginSweep(t2);
    await r.apply({ tables: [{ table: t2, upserts: rows(1000, 120, 'd'), deletes: [], markSeen: true }], state: [] });
    assert.equal(r.copies.direct, before.direct + 2);
    assert.equal(r.copies.staged, before.staged + 3);
    await r.cancelSweep(t2);
  });

  test('rows larger than a COPY piece, and multi-byte text cut across pieces, arrive byte for byte on both COPY paths', async () => {
    const t: TableDef = { schema: 'crm', name: 'bigtext', primaryKey: ['id'], columns: [
      { name: 'id', type: { kind: 'int', bits: 32 }, nullable: false },
      { name: 'body', type: { kind: 'string', length: null, fixed: false }, nullable: true },
    ] };
    await r.createTable(t);
    // 150 rows (COPY-sized): small ones cut across 256 KiB pieces, one of 1.5 MiB of 2-byte characters
    // (longer than a piece: a piece of its own), emoji (surrogate pairs: 4 bytes) with tabs, newlines and
    // backslashes (escaped in COPY text).
    const body = (i: number): string | null => i === 7 ? 'é'.repeat(786_432) : i === 8 ? '😀\t\n\\'.repeat(70_000) : i % 10 === 3 ? null : `row ${i} ` + 'ü€'.repeat(i * 37);
    const rows = Array.from({ length: 150 }, (_, i) => ({ id: i, body: body(i) }));
    const expected = rows.map((x) => ({ id: x.id, md5: x.body === null ? null : createHash('md5').update(x.body, 'utf8').digest('hex'), chars: x.body === null ? null : [...x.body].length }));
    const read = () => admin(db, async (c) => (await c.query<{ id: number; md5: string | null; chars: number | null }>(
      `SELECT id, md5(convert_to(body, 'UTF8')) AS md5, char_length(body) AS chars FROM crm.bigtext ORDER BY id`)).rows);
    const before = { ...r.copies };
    assert.deepEqual(await r.apply(up(rows, t)), [{ inserted: 150, deleted: 0 }]);
    assert.equal(r.copies.direct, before.direct + 1, 'new rows: COPY straight into the table');
    assert.deepEqual(await read(), expected);
    // The same rows again, changed: they are there, so the group goes through the stage.
    const again = rows.map((x) => ({ id: x.id, body: x.body === null ? 'now set' : x.body + '∑' }));
    assert.deepEqual(await r.apply(up(again, t)), [{ inserted: 0, deleted: 0 }]);
    assert.equal(r.copies.staged, before.staged + 1, 'rows already there: COPY into the stage');
    assert.deepEqual(await read(), again.map((x) => ({ id: x.id, md5: createHash('md5').update(x.body, 'utf8').digest('hex'), chars: [...x.body].length })));
  });

  test('NUL character in text -> halt-table, naming the column and key before the server sees it (docs/values.md)', async () => {
    const e = await failure(r.apply(up([{ id: 1, name: 'a\u0000b' }])));
    const c = r.classifyError(e);
    assert.equal(c.action, 'halt-table');
    assert.match(`${(e as Error).message} ${c.hint}`, /U\+0000/);
    assert.match((e as Error).message, /name/);
    assert.match((e as Error).message, /id=1/);
  });

  test('a lock held by a second connection (55P03 after lock_timeout) -> retry', async () => {
    await admin(db, async (c) => {
      await c.query('BEGIN');
      await c.query('LOCK TABLE crm.contact IN ACCESS EXCLUSIVE MODE');
      try {
        const e = await failure(r.apply(up([{ id: 1, name: 'a' }])));
        assert.equal((e as { code?: string }).code, '55P03');
        assert.equal(r.classifyError(e).action, 'retry');
      } finally {
        await c.query('ROLLBACK');
      }
    });
    await r.apply(up([{ id: 1, name: 'a' }]));
  });

  // The request runner's status write races the command that withdraws the row: read without a lock, the
  // row was seen (the DELETE not committed yet) and the upsert, waiting on the deleted row, then inserted it again.
  test('a held-row guard waits for a DELETE in flight and then finds the row gone: nothing written, the row not brought back', async () => {
    const id = 'request:race-1';
    const value = '{"id":"race-1","status":"pending"}';
    await r.writeState([{ id, kind: 'request', value }]);
    await admin(db, async (c) => {
      await c.query('BEGIN');
      await c.query('DELETE FROM "_ReplicationState" WHERE "Id" = $1', [id]);
      const write = r.writeState([{ id, kind: 'request', value: '{"id":"race-1","status":"running"}' }], [], undefined, [{ id, value }]);
      const settled = write.then(() => 'written', (e: unknown) => (e as { code?: string }).code ?? String(e));
      await new Promise((res) => setTimeout(res, 100)); // the write waits on the row's lock (lock_timeout 300 ms)
      await c.query('COMMIT');
      assert.equal(await settled, 'REPLICA_WENT_BACK');
    });
    assert.equal((await r.readState('request')).some((x) => x.id === id), false, 'the withdrawn row is not brought back');
  });

  test('deadlock (40P01) -> retry', async () => {
    await r.apply(up([{ id: 10, name: 'x' }, { id: 11, name: 'y' }]));
    const a = new pg.Client({ host: HOST, port: PORT, user: ADMIN, database: db });
    const b = new pg.Client({ host: HOST, port: PORT, user: ADMIN, database: db });
    await a.connect(); await b.connect();
    try {
      await a.query('BEGIN'); await b.query('BEGIN');
      await a.query(`UPDATE crm.contact SET name = 'a' WHERE id = 10`);
      await b.query(`UPDATE crm.contact SET name = 'b' WHERE id = 11`);
      const results = await Promise.allSettled([
        a.query(`UPDATE crm.contact SET name = 'a' WHERE id = 11`),
        b.query(`UPDATE crm.contact SET name = 'b' WHERE id = 10`),
      ]);
      const rejected = results.find((x) => x.status === 'rejected') as PromiseRejectedResult | undefined;
      assert.ok(rejected, 'one side must be the deadlock victim');
      assert.equal(rejected.reason.code, '40P01');
      assert.equal(r.classifyError(rejected.reason).action, 'retry');
    } finally {
      await a.query('ROLLBACK').catch(() => undefined); await b.query('ROLLBACK').catch(() => undefined);
      await a.end(); await b.end();
    }
  });

  test('backend terminated by an administrator (57P01) -> retry, and the next call reconnects', async () => {
    // Killed while idle: the client notices and the next call reconnects transparently.
    await r.countRows(T);
    await admin(db, (c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'tenant-mirror'`, [db]));
    await new Promise((res) => setTimeout(res, 100));
    await r.apply(up([{ id: 2, name: 'b' }]));
    // Killed mid-statement (waiting for a lock): the call fails with 57P01, the next one reconnects.
    const r3 = createPostgresReplica(options(db, { lockTimeoutMs: 20000 }));
    await r3.connect();
    try {
      await admin(db, async (c) => {
        await c.query('BEGIN');
        await c.query('LOCK TABLE crm.contact IN ACCESS EXCLUSIVE MODE');
        const pending = failure(r3.apply(up([{ id: 5, name: 'e' }])));
        let killed = 0;
        for (let i = 0; i < 50 && !killed; i++) {
          await new Promise((res) => setTimeout(res, 50));
          const k = await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`, [db]);
          killed = k.rowCount ?? 0;
        }
        await c.query('ROLLBACK');
        const e = await pending;
        assert.equal((e as { code?: string }).code, '57P01', String(e));
        const cl = r3.classifyError(e);
        assert.equal(cl.action, 'retry');
        assert.equal(cl.code, 'REPLICA_UNREACHABLE');
      });
      await r3.apply(up([{ id: 5, name: 'e' }]));
      assert.ok((await r3.readRows(T)).some((x) => x.id === 5));
    } finally {
      await r3.close();
    }
  });

  test('nothing listening (ECONNREFUSED) -> retry REPLICA_UNREACHABLE', async () => {
    const bad = createPostgresReplica({ host: '127.0.0.1', port: 1, database: db, user: ADMIN, tablePrefix: '' });
    const e = await failure(bad.connect());
    const c = bad.classifyError(e);
    assert.equal(c.action, 'retry');
    assert.equal(c.code, 'REPLICA_UNREACHABLE');
    await bad.close();
  });

  test('table dropped (42P01) / column dropped (42703) behind our back -> halt-table SCHEMA_CONFLICT', async () => {
    const t2: TableDef = { ...T, name: 'victim' };
    await r.createTable(t2);
    await admin(db, (c) => c.query(`ALTER TABLE crm.victim DROP COLUMN name`));
    let e = await failure(r.apply(up([{ id: 1, name: 'a' }], t2)));
    assert.equal((e as { code?: string }).code, '42703');
    assert.equal(r.classifyError(e).code, 'SCHEMA_CONFLICT');
    await admin(db, (c) => c.query(`DROP TABLE crm.victim`));
    e = await failure(r.apply(up([{ id: 1 }], t2)));
    assert.equal((e as { code?: string }).code, '42P01');
    const c = r.classifyError(e);
    assert.equal(c.code, 'SCHEMA_CONFLICT');
    assert.equal(c.action, 'halt-table');
    assert.equal(c.table, 'crm.victim');
  });

  test('names over 63 bytes get a distinct escaped name (docs/naming.md), never a silent truncation', async () => {
    const a: TableDef = { ...T, name: 'é'.repeat(32) }; // 64 bytes
    const b: TableDef = { ...T, name: 'é'.repeat(31) + 'xy' }; // 64 bytes, same first 63 bytes
    await r.createTable(a);
    await r.createTable(b);
    await r.createTable({ ...T, name: 'é'.repeat(31) + 'x' }); // 63 bytes: kept as it is
    const names = await admin(db, async (c) => (await c.query<{ n: string }>(`SELECT tablename AS n FROM pg_tables WHERE schemaname = 'crm' ORDER BY 1`)).rows.map((x) => x.n));
    assert.ok(names.includes('é'.repeat(31) + 'x'), `the 63-byte name is kept (${names.join(', ')})`);
    const escaped = names.filter((n) => /__[0-9a-f]{10}$/.test(n));
    assert.equal(escaped.length, 2, `each 64-byte name has its own escaped table (${names.join(', ')})`);
    for (const n of escaped) assert.ok(Buffer.byteLength(n, 'utf8') <= 63, `${n} fits 63 bytes`);
  });

  test('timestamps keep microseconds and wall clock whatever the server time zone', async () => {
    await admin(db, (c) => c.query(`ALTER DATABASE ${db} SET timezone TO 'America/St_Johns'`));
    const r2 = createPostgresReplica(options(db));
    try {
      const t: TableDef = {
        schema: 'crm', name: 'times', primaryKey: ['id'],
        columns: [
          { name: 'id', type: { kind: 'int', bits: 32 }, nullable: false },
          { name: 'ts', type: { kind: 'timestamp', precision: 6 }, nullable: true },
          { name: 'tz', type: { kind: 'timestamptz', precision: 6 }, nullable: true },
          { name: 't', type: { kind: 'time', precision: 6 }, nullable: true },
        ],
      };
      await r2.createTable(t);
      const row = { id: 1, ts: '2024-03-10 02:30:00.000001', tz: '2024-03-10T06:30:00.000001Z', t: '02:30:00.100000' };
      await r2.apply(up([row], t));
      assert.deepStrictEqual(await r2.readRows(t), [row]);
    } finally {
      await r2.close();
    }
  });

  test('revoked rights: checkRights names the GRANTs; writes fail halt-all REPLICA_PERMISSION with a GRANT hint', async () => {
    const role = `tm_role_${randomBytes(4).toString('hex')}`;
    await admin(db, async (c) => {
      await c.query(`CREATE ROLE ${role} LOGIN`);
      await c.query(`REVOKE CREATE, TEMPORARY ON DATABASE ${db} FROM PUBLIC`);
      await c.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
      await c.query(`GRANT USAGE ON SCHEMA crm TO ${role}`);
      await c.query(`GRANT SELECT ON crm.contact TO ${role}`);
    });
    const limited = createPostgresReplica(options(db, { user: role }));
    try {
      const rights = await limited.checkRights();
      assert.equal(rights.ok, false);
      const text = rights.missing.join('\n');
      assert.match(text, /GRANT TEMPORARY ON DATABASE/);
      assert.match(text, /GRANT USAGE, CREATE ON SCHEMA "public"/);
      assert.match(text, /GRANT SELECT, INSERT, UPDATE, DELETE ON "public"\."_ReplicationState"/);
      let e = await failure(limited.createTable({ ...T, schema: 'newschema' }));
      assert.equal((e as { code?: string }).code, '42501');
      let c = limited.classifyError(e);
      assert.equal(c.action, 'halt-all');
      assert.equal(c.code, 'REPLICA_PERMISSION');
      assert.match(c.hint, /GRANT CREATE/);
      e = await failure(limited.apply(up([{ id: 3, name: 'c' }])));
      assert.equal((e as { code?: string }).code, '42501');
      c = limited.classifyError(e);
      assert.equal(c.action, 'halt-all');
      assert.match(c.hint, new RegExp(`GRANT SELECT, INSERT, UPDATE, DELETE ON "contact" TO "${role}"`));
    } finally {
      await limited.close();
      await admin(db, async (c) => {
        await c.query(`DROP OWNED BY ${role}`);
        await c.query(`GRANT CREATE, TEMPORARY ON DATABASE ${db} TO PUBLIC`);
      });
      await admin('postgres', (c) => c.query(`DROP ROLE ${role}`)).catch(async () => {
        await dropDb(db); await admin('postgres', (c) => c.query(`DROP ROLE IF EXISTS ${role}`));
      });
    }
  });
});
