/**
 * The SQLite classifier table (main/engine/replica/sqlite/errors.ts) on errors provoked from a real
 * SQLite (better-sqlite3, in process): each case runs a statement that fails and checks the action and
 * code the table gives the error the driver threw.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { classifySqliteError } from '../../main/engine/replica/sqlite/errors.ts';
import { tagTable } from '../../main/engine/replica/error-tagging.ts';

const dir = mkdtempSync(join(tmpdir(), 'tm-sqlite-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const file = (): string => join(dir, `r${files++}.db`);

/** The error `fn` throws (it must throw). */
function thrown(fn: () => unknown): unknown {
  try { fn(); } catch (e) { return e; }
  assert.fail('expected the statement to fail');
}

function memory(): Database.Database {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE contact (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age INTEGER CHECK (age >= 0)) STRICT;
           CREATE UNIQUE INDEX contact_email ON contact (email);
           INSERT INTO contact VALUES (1, 'a@x', 1);`);
  return db;
}

describe('SQLite errors provoked for real, classified by the table', () => {
  const cases: Array<[string, (db: Database.Database) => unknown, string, string, string, string]> = [
    ['duplicate primary key', (db) => db.prepare("INSERT INTO contact VALUES (1, 'b@x', 1)").run(), 'SQLITE_CONSTRAINT_PRIMARYKEY', 'halt-table', 'REPLICA_DUPLICATE_KEY', 'duplicate key'],
    ['unique index added on the replica', (db) => db.prepare("INSERT INTO contact VALUES (2, 'a@x', 1)").run(), 'SQLITE_CONSTRAINT_UNIQUE', 'halt-table', 'REPLICA_DUPLICATE_KEY', 'unique index'],
    ['NULL into NOT NULL', (db) => db.prepare('INSERT INTO contact VALUES (3, NULL, 1)').run(), 'SQLITE_CONSTRAINT_NOTNULL', 'halt-table', 'REPLICA_WRITE_FAILED', 'does not fit'],
    ['CHECK added on the replica', (db) => db.prepare("INSERT INTO contact VALUES (4, 'c@x', -1)").run(), 'SQLITE_CONSTRAINT_CHECK', 'halt-table', 'REPLICA_WRITE_FAILED', 'does not fit'],
    ['text into a STRICT integer column', (db) => db.prepare("INSERT INTO contact VALUES (5, 'd@x', 'old')").run(), 'SQLITE_CONSTRAINT_DATATYPE', 'halt-table', 'REPLICA_WRITE_FAILED', 'does not fit'],
    ['a trigger of the customer refusing the write', (db) => { db.exec("CREATE TRIGGER guard BEFORE UPDATE ON contact WHEN NEW.email LIKE '%BLOCK%' BEGIN SELECT RAISE(ABORT, 'no BLOCK'); END"); db.prepare("UPDATE contact SET email = 'BLOCK' WHERE id = 1").run(); }, 'SQLITE_CONSTRAINT_TRIGGER', 'halt-table', 'REPLICA_WRITE_FAILED', '^A trigger on the replica table refused the write: no BLOCK\\. .*change or drop the trigger'],
    ['table dropped outside', (db) => db.prepare('INSERT INTO gone VALUES (1)').run(), 'SQLITE_ERROR', 'halt-table', 'SCHEMA_CONFLICT', 'differs from the source'],
    ['column dropped outside', (db) => db.prepare("INSERT INTO contact (id, email, phone) VALUES (6, 'e@x', '1')").run(), 'SQLITE_ERROR', 'halt-table', 'SCHEMA_CONFLICT', 'differs from the source'],
    ['other SQL error', (db) => db.prepare('SELEC 1').run(), 'SQLITE_ERROR', 'halt-table', 'REPLICA_WRITE_FAILED', 'failed'],
    ['max_page_count reached', (db) => { db.pragma('max_page_count = ' + String(db.pragma('page_count', { simple: true }))); db.prepare("INSERT INTO contact VALUES (7, ?, 1)").run('x'.repeat(100_000)); }, 'SQLITE_FULL', 'halt-all', 'REPLICA_LOG_FULL', 'full'],
  ];
  for (const [name, provoke, driverCode, action, code, hint] of cases) {
    test(name, () => {
      const db = memory();
      try {
        const e = thrown(() => provoke(db));
        assert.equal((e as { code?: string }).code, driverCode, `the driver's code for: ${name}`);
        const c = classifySqliteError(e);
        assert.equal(c.action, action);
        assert.equal(c.code, code);
        assert.match(c.hint, new RegExp(hint, 'i'));
        assert.equal(c.table, undefined);
        const tagged = classifySqliteError(tagTable(e, 'crm7.contact'));
        assert.equal(tagged.table, 'crm7.contact');
      } finally {
        db.close();
      }
    });
  }

  test('a second connection holds the write lock: SQLITE_BUSY, retried', () => {
    const path = file();
    const holder = new Database(path);
    const writer = new Database(path, { timeout: 0 });
    try {
      holder.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      holder.exec('BEGIN IMMEDIATE');
      holder.exec('INSERT INTO t VALUES (1)');
      const e = thrown(() => writer.exec('BEGIN IMMEDIATE'));
      assert.match(String((e as { code?: string }).code), /^SQLITE_BUSY/);
      const c = classifySqliteError(tagTable(e, 'crm7.t'));
      assert.deepEqual([c.action, c.code, c.table], ['retry', 'REPLICA_UNREACHABLE', 'crm7.t']);
      assert.match(c.hint, /locked by another connection \(table crm7\.t\)/);
    } finally {
      holder.exec('ROLLBACK');
      writer.close();
      holder.close();
    }
  });

  test('a file opened read-only: SQLITE_READONLY, halts all', () => {
    const path = file();
    new Database(path).exec('CREATE TABLE t (id INTEGER PRIMARY KEY)').close();
    const db = new Database(path, { readonly: true });
    try {
      const e = thrown(() => db.prepare('INSERT INTO t VALUES (1)').run());
      assert.equal((e as { code?: string }).code, 'SQLITE_READONLY');
      const c = classifySqliteError(e);
      assert.deepEqual([c.action, c.code], ['halt-all', 'REPLICA_PERMISSION']);
    } finally {
      db.close();
    }
  });

  test('a file that is not a database: SQLITE_NOTADB, halts all', () => {
    const path = file();
    writeFileSync(path, Buffer.alloc(4096, 'not a database '));
    const e = thrown(() => { const db = new Database(path); try { db.prepare('SELECT * FROM sqlite_master').all(); } finally { db.close(); } });
    assert.equal((e as { code?: string }).code, 'SQLITE_NOTADB');
    const c = classifySqliteError(e);
    assert.deepEqual([c.action, c.code], ['halt-all', 'REPLICA_WRITE_FAILED']);
    assert.match(c.hint, /damaged or not a database/);
  });

  test('the folder of the file does not exist: halts all with a permission code', () => {
    const e = thrown(() => new Database(join(dir, 'missing', 'r.db')));
    const c = classifySqliteError(e);
    assert.deepEqual([c.action, c.code], ['halt-all', 'REPLICA_PERMISSION']);
    assert.match(c.hint, /folder of the SQLite replica file does not exist/);
  });

  test('a bigint out of the int64 range cannot be bound: halts the table', () => {
    const db = memory();
    try {
      const e = thrown(() => db.prepare("INSERT INTO contact VALUES (?, 'f@x', 1)").run(2n ** 64n));
      assert.ok(e instanceof RangeError);
      const c = classifySqliteError(e);
      assert.deepEqual([c.action, c.code], ['halt-table', 'REPLICA_WRITE_FAILED']);
      assert.match(c.hint, /cannot be stored in SQLite/);
    } finally {
      db.close();
    }
  });

  test('a driver message that quotes {placeholders} is put in the hint as it is', () => {
    const db = memory();
    try {
      const e = thrown(() => db.prepare("INSERT INTO contact VALUES (1, '{where}{message}', 1)").run());
      Object.assign(e as object, { message: 'UNIQUE constraint failed: {where} {code}' });
      assert.match(classifySqliteError(e).hint, /failed: \{where\} \{code\}\. Upserts/);
    } finally {
      db.close();
    }
  });
});
