/** SQLite replica: the shared behaviour suite, plus SQLite-specific checks with real provoked errors. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createSqliteReplica, type SqliteReplica } from '../../main/engine/replica/sqlite/index.ts';
import type { Row, TableDef } from '../../main/engine/schema/table-model.ts';
import { describeReplicaBehaviour } from './replica-behaviour.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tm-sqlite-'));
}

for (const tablePrefix of ['', 'crm']) {
  describeReplicaBehaviour(`sqlite${tablePrefix ? ` (tablePrefix ${tablePrefix})` : ''}`, async () => {
    const dir = tempDir();
    const replica = createSqliteReplica({ file: join(dir, 'replica.db'), tablePrefix });
    return {
      replica,
      exec: async (sql: string) => { replica.handle.exec(sql); },
      cleanup: async () => { await replica.close(); rmSync(dir, { recursive: true, force: true }); },
    };
  });
}

const T: TableDef = {
  schema: 'crm', name: 'contact', primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'int', bits: 32 }, nullable: false },
    { name: 'name', type: { kind: 'string', length: 20, fixed: false }, nullable: false },
    { name: 'n', type: { kind: 'int', bits: 64 }, nullable: true },
  ],
};

describe('sqlite replica specifics', () => {
  let dir: string;
  let file: string;
  let r: SqliteReplica;
  before(async () => {
    dir = tempDir();
    file = join(dir, 'replica.db');
    r = createSqliteReplica({ file, tablePrefix: '', busyTimeoutMs: 100 });
    await r.connect();
    await r.ensureStateTable();
    await r.createTable(T);
  });
  after(async () => {
    await r.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('WAL, synchronous=NORMAL, busy timeout, STRICT tables', () => {
    assert.equal(r.handle.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(Number(r.handle.pragma('synchronous', { simple: true })), 1);
    assert.equal(Number(r.handle.pragma('busy_timeout', { simple: true })), 100);
    const sql = (r.handle.prepare(`SELECT sql FROM sqlite_master WHERE name = 'contact'`).get() as { sql: string }).sql;
    assert.match(sql, /STRICT$/);
  });

  test('a write lock held by a second connection -> SQLITE_BUSY -> retry', async () => {
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      let caught: unknown;
      await assert.rejects(r.apply({ tables: [{ table: T, upserts: [{ id: 1, name: 'a' }], deletes: [], markSeen: false }], state: [] }), (e) => { caught = e; return true; });
      assert.match(String((caught as { code?: string }).code), /^SQLITE_BUSY/);
      const c = r.classifyError(caught);
      assert.equal(c.action, 'retry');
      assert.equal(c.code, 'REPLICA_UNREACHABLE');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await r.apply({ tables: [{ table: T, upserts: [{ id: 1, name: 'a' }], deletes: [], markSeen: false }], state: [] });
    assert.equal(await r.countRows(T), 1);
  });

  test('NOT NULL and wrong-type values -> halt-table naming the table', async () => {
    for (const row of [{ id: 2, name: null }, { id: 3, name: 'x', n: Buffer.from('zz') }] as Row[]) {
      let caught: unknown;
      await assert.rejects(r.apply({ tables: [{ table: T, upserts: [row], deletes: [], markSeen: false }], state: [] }), (e) => { caught = e; return true; });
      const c = r.classifyError(caught);
      assert.equal(c.action, 'halt-table', JSON.stringify(c));
      assert.equal(c.code, 'REPLICA_WRITE_FAILED');
      assert.equal(c.table, 'crm.contact');
      assert.match(c.hint, /crm\.contact/);
    }
  });

  test('int64 beyond the int64 range -> halt-table', async () => {
    let caught: unknown;
    await assert.rejects(r.apply({ tables: [{ table: T, upserts: [{ id: 4, name: 'x', n: 2n ** 64n }], deletes: [], markSeen: false }], state: [] }), (e) => { caught = e; return true; });
    assert.equal(r.classifyError(caught).action, 'halt-table');
  });

  test('a table dropped behind our back -> SCHEMA_CONFLICT halt-table', async () => {
    const gone: TableDef = { ...T, name: 'gone' };
    let caught: unknown;
    await assert.rejects(r.apply({ tables: [{ table: gone, upserts: [{ id: 1, name: 'a' }], deletes: [], markSeen: false }], state: [] }), (e) => { caught = e; return true; });
    const c = r.classifyError(caught);
    assert.equal(c.code, 'SCHEMA_CONFLICT');
    assert.equal(c.action, 'halt-table');
  });

  test('disk full (max_page_count) -> SQLITE_FULL -> halt-all', async () => {
    const big: TableDef = { ...T, name: 'big' };
    await r.createTable(big);
    const pages = Number(r.handle.pragma('page_count', { simple: true }));
    r.handle.pragma(`max_page_count = ${pages + 5}`);
    let caught: unknown;
    try {
      const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, name: 'y'.repeat(20) }));
      await assert.rejects(r.apply({ tables: [{ table: big, upserts: rows, deletes: [], markSeen: false }], state: [] }), (e) => { caught = e; return true; });
    } finally {
      r.handle.pragma('max_page_count = 4294967294');
    }
    assert.equal((caught as { code?: string }).code, 'SQLITE_FULL');
    const c = r.classifyError(caught);
    assert.equal(c.action, 'halt-all');
    assert.equal(c.code, 'REPLICA_LOG_FULL');
  });

  test('missing directory -> SQLITE_CANTOPEN -> halt-all REPLICA_PERMISSION; checkRights says so', async () => {
    const bad = createSqliteReplica({ file: join(dir, 'no', 'such', 'dir', 'x.db'), tablePrefix: '' });
    let caught: unknown;
    await assert.rejects(bad.connect(), (e) => { caught = e; return true; });
    const c = bad.classifyError(caught);
    assert.equal(c.action, 'halt-all');
    assert.equal(c.code, 'REPLICA_PERMISSION');
    const rights = await bad.checkRights();
    assert.equal(rights.ok, false);
    assert.match(rights.missing.join('\n'), /does not exist/);
  });

  test('a read-only file -> SQLITE_READONLY -> halt-all REPLICA_PERMISSION; checkRights names file and folder', async () => {
    const roDir = tempDir();
    const roFile = join(roDir, 'ro.db');
    const seed = new Database(roFile);
    seed.exec(`CREATE TABLE "_ReplicationState" ("Id" TEXT PRIMARY KEY, "Kind" TEXT, "Value" TEXT, "UpdatedUtc" TEXT)`);
    seed.close();
    // Root ignores file modes but not the immutable attribute: as root the file and folder are made
    // immutable (chattr +i), otherwise read-only by mode. Either way the write really fails.
    const asRoot = process.getuid?.() === 0;
    const lock = (on: boolean): void => {
      if (asRoot) {
        for (const f of [roFile, roDir]) {
          const r = spawnSync('chattr', [on ? '+i' : '-i', f], { encoding: 'utf8' });
          assert.equal(r.status, 0, `chattr ${on ? '+i' : '-i'} ${f}: ${r.error?.message ?? r.stderr}`);
        }
      } else {
        chmodSync(roFile, on ? 0o444 : 0o644);
        chmodSync(roDir, on ? 0o555 : 0o755);
      }
    };
    lock(true);
    const ro = createSqliteReplica({ file: roFile, tablePrefix: '' });
    try {
      const rights = await ro.checkRights();
      assert.equal(rights.ok, false);
      assert.match(rights.missing.join('\n'), /not writable/);
      let caught: unknown = null;
      try { await ro.connect(); await ro.writeState([{ id: 'x', kind: 'session', value: '{}' }]); } catch (e) { caught = e; }
      assert.ok(caught, 'write must fail');
      assert.match(String((caught as { code?: string }).code), /^SQLITE_(READONLY|CANTOPEN)/);
      const c = ro.classifyError(caught);
      assert.equal(c.action, 'halt-all');
      assert.equal(c.code, 'REPLICA_PERMISSION');
    } finally {
      await ro.close().catch(() => undefined);
      lock(false);
      rmSync(roDir, { recursive: true, force: true });
    }
  });

  test('unique index on the replica -> SQLITE_CONSTRAINT_UNIQUE -> duplicate key', async () => {
    const u: TableDef = { ...T, name: 'uniq' };
    await r.createTable(u);
    r.handle.exec(`CREATE UNIQUE INDEX ux ON uniq (name)`);
    let caught: unknown;
    await assert.rejects(r.apply({ tables: [{ table: u, upserts: [{ id: 1, name: 'same' }, { id: 2, name: 'same' }], deletes: [], markSeen: false }], state: [] }), (e) => { caught = e; return true; });
    assert.equal((caught as { code?: string }).code, 'SQLITE_CONSTRAINT_UNIQUE');
    assert.equal(r.classifyError(caught).code, 'REPLICA_DUPLICATE_KEY');
  });

  test('rebuild keeps views, triggers and indexes working', async () => {
    const v: TableDef = { ...T, name: 'withview' };
    await r.createTable(v);
    await r.apply({ tables: [{ table: v, upserts: [{ id: 1, name: 'a', n: 5n }], deletes: [], markSeen: false }], state: [] });
    r.handle.exec(`CREATE VIEW vv AS SELECT id, name FROM withview; CREATE INDEX ix_wv ON withview (n);`);
    const relaxed = { ...v.columns[1]!, nullable: true };
    const v2: TableDef = { ...v, columns: [v.columns[0]!, relaxed, v.columns[2]!] };
    await r.alterTable({ table: v2, addColumns: [], widenColumns: [], relaxNullability: [relaxed] });
    assert.deepStrictEqual(r.handle.prepare('SELECT count(*) AS c FROM vv').get(), { c: 1n });
    assert.ok(r.handle.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'ix_wv'`).get());
    await r.apply({ tables: [{ table: v2, upserts: [{ id: 2, name: null }], deletes: [], markSeen: false }], state: [] });
    assert.equal(await r.countRows(v2), 2);
    assert.ok(!existsSync(join(dir, 'nothing')));
  });
});
