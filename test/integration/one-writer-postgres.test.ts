/**
 * One writer per replica on a real PostgreSQL (PGHOST:PGPORT, default 127.0.0.1:5432, user postgres,
 * trust auth; no Kafka). Each replica is its own session, as a second process would be.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresReplica } from '../../main/engine/replica/postgres/index.ts';
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
