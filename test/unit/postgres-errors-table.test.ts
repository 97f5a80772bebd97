/**
 * The PostgreSQL classifier table (main/engine/replica/postgres/errors.ts) for the rows a test cannot
 * provoke on a throw-away server (disk full, a connection class, a value class the exact list leaves
 * out) and for the lookup order: exact SQLSTATE, then its class, then the fallback. The errors are pg's
 * own DatabaseError with the SQLSTATE the server would send. Rows provoked for real:
 * test/integration/postgres-errors-classified.test.ts (a private server, about 2 s).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { makePostgresClassifier, SQLSTATE_CLASSES, SQLSTATES } from '../../main/engine/replica/postgres/errors.ts';
import { tagTable } from '../../main/engine/replica/error-tagging.ts';
import { MirrorError } from '../../main/engine/errors.ts';

const classify = makePostgresClassifier({ user: 'mirror', database: 'crm_copy' });

function serverError(code: string, message = 'server said no'): Error {
  const e = new pg.DatabaseError(message, message.length, 'error');
  e.code = code;
  return e;
}

const CASES: Array<[string, string, 'retry' | 'halt-table' | 'halt-all', string, RegExp]> = [
  ['53100', 'disk full', 'retry', 'REPLICA_LOG_FULL', /out of disk space/],
  ['53200', 'out of memory: class 53 only', 'retry', 'REPLICA_UNREACHABLE', /short of resources \(53200\)/],
  ['08006', 'connection failure: class 08', 'retry', 'REPLICA_UNREACHABLE', /Connection to PostgreSQL failed \(08006\)/],
  ['22P02', 'invalid text representation: class 22', 'halt-table', 'REPLICA_WRITE_FAILED', /rejected a value/],
  ['23502', 'NOT NULL added by hand: class 23', 'halt-table', 'REPLICA_WRITE_FAILED', /constraint on the replica table/],
  ['22001', 'string too long: exact row before class 22', 'halt-table', 'SCHEMA_CONFLICT', /narrower than the source column/],
  ['28P01', 'wrong password: class 28', 'halt-all', 'REPLICA_PERMISSION', /refused the login mirror \(28P01\)/],
  ['58030', 'I/O error on the server: class 58', 'retry', 'REPLICA_UNREACHABLE', /system error \(58030\).*Check the server's disk/],
  ['57P04', 'database dropped under a session', 'retry', 'REPLICA_UNREACHABLE', /is gone, though Tenant Mirror had it open before/],
  ['25006', 'read-only transaction (a standby)', 'retry', 'REPLICA_UNREACHABLE', /accepts no writes now/],
  ['3D000', 'no such database', 'halt-all', 'REPLICA_UNREACHABLE', /CREATE DATABASE "crm_copy"/],
  ['XX000', 'internal error: no row, no class', 'halt-table', 'REPLICA_WRITE_FAILED', /Writing to the PostgreSQL replica failed: server said no \(XX000\)/],
];

test('55000 "database … is not currently accepting connections" (closed for maintenance) -> retry REPLICA_UNREACHABLE; another 55000 keeps halting the table', () => {
  const closed = classify(serverError('55000', 'database "crm_copy" is not currently accepting connections'));
  assert.deepEqual([closed.action, closed.code], ['retry', 'REPLICA_UNREACHABLE']);
  assert.match(closed.hint, /ALLOW_CONNECTIONS false/);
  const other = classify(serverError('55000', 'cannot refresh materialized view concurrently'));
  assert.deepEqual([other.action, other.code], ['halt-table', 'REPLICA_WRITE_FAILED']);
});

for (const [code, name, action, errorCode, hint] of CASES) {
  test(`${code} (${name}) -> ${action} ${errorCode}`, () => {
    const c = classify(serverError(code));
    assert.deepEqual([c.action, c.code], [action, errorCode]);
    assert.match(c.hint, hint);
    assert.equal(classify(tagTable(serverError(code), 'crm7.contact')).table, 'crm7.contact');
  });
}

test('every row of the table is reached through the classifier with its own action and code', () => {
  for (const [code, rule] of SQLSTATES) {
    const c = classify(serverError(code));
    assert.deepEqual([c.action, c.code], [rule.action, rule.code], code);
  }
  for (const [cls, rule] of SQLSTATE_CLASSES) {
    const code = `${cls}ZZZ`;
    assert.equal(SQLSTATES.has(code), false);
    const c = classify(serverError(code));
    assert.deepEqual([c.action, c.code], [rule.action, rule.code], code);
  }
});

test('a permission error names the GRANT that fixes it', () => {
  const c = classify(serverError('42501', 'permission denied for schema crm7'));
  assert.deepEqual([c.action, c.code], ['halt-all', 'REPLICA_PERMISSION']);
  assert.match(c.hint, /GRANT USAGE, CREATE ON SCHEMA "crm7" TO "mirror";/);
});

test('socket codes and a lost connection without a code are retried as unreachable; our own errors keep their code', () => {
  for (const code of ['ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND']) {
    const e = Object.assign(new Error(`connect ${code}`), { code });
    assert.deepEqual([classify(e).action, classify(e).code], ['retry', 'REPLICA_UNREACHABLE'], code);
  }
  assert.deepEqual([classify(new Error('Connection terminated unexpectedly')).action, classify(new Error('Connection terminated unexpectedly')).code], ['retry', 'REPLICA_UNREACHABLE']);
  const own = classify(new MirrorError('SCHEMA_CONFLICT', 'name too long'));
  assert.deepEqual([own.action, own.code], ['halt-table', 'SCHEMA_CONFLICT']);
});
