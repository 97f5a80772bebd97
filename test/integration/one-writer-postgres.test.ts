/**
 * One writer per replica on a real PostgreSQL (PGHOST:PGPORT, set by npm test to its stack's instance; default 127.0.0.1:5432, user postgres,
 * trust auth; no Kafka). Each replica is its own session, as a second process would be.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import pg from 'pg';
import { MirrorError } from '../../main/engine/errors.ts';
import { createPostgresReplica } from '../../main/engine/replica/postgres/index.ts';
import { WriterLease } from '../../main/engine/state/writer-lease.ts';
import { describeOneWriter } from './one-writer-behaviour.ts';

const HOST = process.env.PGHOST ?? '127.0.0.1';
const PORT = Number(process.env.PGPORT ?? 5432);
const USER = process.env.PGUSER ?? 'postgres';

async function on<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ host: HOST, port: PORT, user: USER, database });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

describeOneWriter('postgres', async () => {
  const db = `tm_${randomBytes(6).toString('hex')}`;
  await on('postgres', (c) => c.query(`CREATE DATABASE ${db}`));
  return {
    open: () => createPostgresReplica({ host: HOST, port: PORT, database: db, user: USER, tablePrefix: '' }),
    scalar: (sql) => on(db, async (c) => {
      const r = await c.query({ text: sql, rowMode: 'array' });
      return (r.rows[0] as unknown[] | undefined)?.[0];
    }),
    cleanup: () => on('postgres', async (c) => { await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`); }),
  };
});

describe('one writer per replica: postgres locking', () => {
  test('processes setting up one fresh replica at the same moment all find _ReplicationState made, none fails on the race (then the lease decides)', async () => {
    // CREATE TABLE IF NOT EXISTS is not safe against itself: two sessions that both see no table both
    // create it, and the later commit fails on pg_type's unique index — a second `provision` started with
    // the first exited 1 with that (INTERNAL) instead of 6 (REPLICA_IN_USE).
    for (let round = 0; round < 6; round++) {
      const db = `tm_${randomBytes(6).toString('hex')}`;
      await on('postgres', (c) => c.query(`CREATE DATABASE ${db}`));
      const rs = [0, 1, 2].map(() => createPostgresReplica({ host: HOST, port: PORT, database: db, user: USER, tablePrefix: '' }));
      try {
        await Promise.all(rs.map((r) => r.connect()));
        const out = await Promise.allSettled(rs.map((r) => r.ensureStateTable()));
        const failed = out.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => String(o.reason));
        assert.deepEqual(failed, [], `round ${round}: every process made or found the state table`);
        assert.equal(await on(db, async (c) => (await c.query(`SELECT count(*)::int AS n FROM "_ReplicationState"`)).rows[0].n), 0);
      } finally {
        for (const r of rs) await r.close().catch(() => undefined);
        await on('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
      }
    }
  });

  test('a batch waits for a takeover in flight (FOR SHARE against FOR UPDATE), then rolls back under the new epoch', async () => {
    const db = `tm_${randomBytes(6).toString('hex')}`;
    await on('postgres', (c) => c.query(`CREATE DATABASE ${db}`));
    const r = createPostgresReplica({ host: HOST, port: PORT, database: db, user: USER, tablePrefix: '' });
    const taker = new pg.Client({ host: HOST, port: PORT, user: USER, database: db });
    try {
      await r.connect();
      await r.ensureStateTable();
      const mine = new WriterLease(r, { command: 'sync' });
      await mine.acquire();
      const guard = mine.guard();
      await taker.connect();
      await taker.query('BEGIN');
      const row = await taker.query<{ Value: string }>(`SELECT "Value" FROM "_ReplicationState" WHERE "Id" = 'lease' FOR UPDATE`);
      const next = { ...JSON.parse(row.rows[0]!.Value) as object, ownerId: 'taker', epoch: guard.epoch + 1 };
      await taker.query(`UPDATE "_ReplicationState" SET "Value" = $1 WHERE "Id" = 'lease'`, [JSON.stringify(next)]);
      let settled = false;
      const batch = r.writeState([{ id: 'offset:t:0', kind: 'offset', value: '{"next":"5"}' }], [], guard).finally(() => { settled = true; });
      batch.catch(() => undefined);
      await new Promise((res) => setTimeout(res, 300));
      assert.equal(settled, false, 'the batch waits for the taker to commit');
      await taker.query('COMMIT');
      await assert.rejects(batch, (e) => e instanceof MirrorError && e.code === 'REPLICA_LEASE_LOST' && e.message.includes(`(epoch ${guard.epoch + 1})`));
      assert.equal((await r.readState('offset')).length, 0, 'nothing was written');
    } finally {
      await taker.end().catch(() => undefined);
      await r.close();
      await on('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
    }
  });
});
