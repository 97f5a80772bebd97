/**
 * The replica's _ReplicationState dropped under a running engine: the next write stops the engine with
 * REPLICA_NOT_PROVISIONED ("run provision"), no table halted. Until 2026-12-08 the lease check's "no such
 * table: _ReplicationState" was a SCHEMA_CONFLICT of the table in the batch: every table was halted in turn
 * with "resnapshot the table", which could not help, and the engine retried the state write for ever.
 * Run through the real processor and an in-memory SQLite replica (test/doubles/engine-context.ts); the
 * PostgreSQL and SQL Server classifiers are given their drivers' errors (sqlserver-errors.test.ts too).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { processMessages } from '../../main/engine/apply/processor.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { makePostgresClassifier } from '../../main/engine/replica/postgres/errors.ts';
import { classifySqliteError } from '../../main/engine/replica/sqlite/errors.ts';
import { WriterLease } from '../../main/engine/state/writer-lease.ts';
import { silentLogger } from '../../main/engine/log.ts';
import { makeContext, Topic } from '../doubles/engine-context.ts';

it('a batch written after _ReplicationState was dropped: REPLICA_NOT_PROVISIONED, no table halted, nothing written', { timeout: 20_000 }, async () => {
  const topic = new Topic();
  const ctx = await makeContext(topic);
  const lease = new WriterLease(ctx.replica, { command: 'unit', log: silentLogger });
  await lease.acquire();
  ctx.lease = lease;
  const hb = async () => undefined;
  await processMessages(ctx, 0, [1, 2, 3].map((id, i) => topic.message({ table: 'contact', id, attempt: 1, snapshot: i === 0 ? 'first' : i === 2 ? 'last' : 'true' })), hb);
  const db = (ctx.replica as unknown as { db: { exec(sql: string): void; prepare(sql: string): { all(): Array<{ n: string }> } } }).db;
  const before = ctx.registry.all().map((r) => [r.id, r.state, r.error?.code ?? null]);
  assert.deepEqual(before, [['crm_fixture.contact', 'snapshotting', null]]);
  db.exec('DROP TABLE "_ReplicationState"');
  const err = await processMessages(ctx, 0, [topic.message({ table: 'contact', id: 4, op: 'c' })], hb).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof MirrorError, `a MirrorError: ${String(err)}`);
  assert.equal(err.code, 'REPLICA_NOT_PROVISIONED');
  assert.match(err.message, /_ReplicationState is gone \(no such table: _ReplicationState\).*run `tenant-mirror provision` to start over/);
  assert.deepEqual(ctx.registry.all().map((r) => [r.id, r.state, r.error?.code ?? null]), before, 'no table halted');
  assert.deepEqual(db.prepare('SELECT CAST(COUNT(*) AS TEXT) AS n FROM "contact"').all(), [{ n: '3' }], 'row 4 not written');
  lease.stop();
  await ctx.replica.close();
});

it('each dialect says it as REPLICA_NOT_PROVISIONED, halt-all; a missing table of the mirror stays SCHEMA_CONFLICT of that table', () => {
  const pg = makePostgresClassifier({ user: 'mirror', database: 'crm_copy' });
  const pgGone = pg(Object.assign(new Error('relation "_ReplicationState" does not exist'), { code: '42P01' }));
  assert.deepEqual([pgGone.action, pgGone.code], ['halt-all', 'REPLICA_NOT_PROVISIONED']);
  assert.match(pgGone.hint, /relation "_ReplicationState" does not exist/);
  const pgTable = pg(Object.assign(new Error('relation "crm.contact" does not exist'), { code: '42P01' }));
  assert.deepEqual([pgTable.action, pgTable.code], ['halt-table', 'SCHEMA_CONFLICT']);
  const lite = classifySqliteError(Object.assign(new Error('no such table: _ReplicationState'), { code: 'SQLITE_ERROR' }));
  assert.deepEqual([lite.action, lite.code], ['halt-all', 'REPLICA_NOT_PROVISIONED']);
  const liteTable = classifySqliteError(Object.assign(new Error('no such table: contact'), { code: 'SQLITE_ERROR' }));
  assert.deepEqual([liteTable.action, liteTable.code], ['halt-table', 'SCHEMA_CONFLICT']);
  // A seen set's name starts with _ReplicationSeen_, not _ReplicationState: not taken for the state table.
  const seen = classifySqliteError(Object.assign(new Error('no such table: _ReplicationSeen_0123456789ab'), { code: 'SQLITE_ERROR' }));
  assert.equal(seen.code, 'SCHEMA_CONFLICT');
});
