/**
 * The PostgreSQL classifier table (main/engine/replica/postgres/errors.ts) on errors provoked from a real
 * server: a private instance started by the harness (startPostgres), a random database per run. Each case
 * runs statements that fail and checks the SQLSTATE the server sent and the action and code the table gives.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { driverError } from '../../main/engine/replica/driver-error.ts';
import { makePostgresClassifier } from '../../main/engine/replica/postgres/errors.ts';
import { createPostgresReplica } from '../../main/engine/replica/postgres/index.ts';
import { tagTable } from '../../main/engine/replica/error-tagging.ts';
import { freePort } from '../harness/util.ts';
import { startPostgres, type PostgresServer } from '../harness/postgres.ts';

const db = `tm_${randomBytes(6).toString('hex')}`;
const role = `tm_role_${randomBytes(4).toString('hex')}`;
const classify = makePostgresClassifier({ user: 'mirror', database: db });
let server: PostgresServer;

async function client(database = db, user = 'postgres', port = server.port): Promise<pg.Client> {
  const c = new pg.Client({ host: server.host, port, user, database });
  c.on('error', () => {}); // a terminated backend also reports on the client
  await c.connect();
  return c;
}
async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = await client();
  try { return await fn(c); } finally { await c.end().catch(() => {}); }
}
/** Two sessions of the test database, ended after `fn`. */
async function withTwoClients<T>(fn: (a: pg.Client, b: pg.Client) => Promise<T>): Promise<T> {
  const a = await client();
  const b = await client();
  try { return await fn(a, b); } finally { await a.end(); await b.end(); }
}
/** The error `p` rejects with (it must reject). */
async function failure(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  assert.fail('expected the statement to fail');
}
/** The SQLSTATE (or socket code) of the driver's error under `e`. */
const driverCode = (e: unknown): string | undefined => (driverError(e) as { code?: string } | undefined)?.code;
function check(e: unknown, sqlstate: string, action: string, code: string, hint?: RegExp): void {
  assert.equal((e as { code?: string }).code, sqlstate, `SQLSTATE of: ${(e as Error).message}`);
  const c = classify(e);
  assert.deepEqual([c.action, c.code], [action, code], c.hint);
  if (hint) assert.match(c.hint, hint);
}

before(async () => {
  server = await startPostgres();
  const c = await client('postgres');
  try {
    await c.query(`CREATE DATABASE ${db}`);
    await c.query(`CREATE ROLE ${role} LOGIN`);
    await c.query(`CREATE ROLE ${role}_nologin NOLOGIN`);
  } finally { await c.end(); }
  await withClient((c) => c.query(`CREATE SCHEMA crm;
    CREATE TABLE crm.contact (id int PRIMARY KEY, name varchar(5) NOT NULL, amount numeric(4,2), age int CHECK (age >= 0));
    CREATE UNIQUE INDEX contact_name ON crm.contact (name);
    INSERT INTO crm.contact VALUES (1, 'a', 1, 1), (2, 'b', 1, 1);
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;`));
});
after(async () => { await server?.stop(); });

describe('PostgreSQL errors provoked for real, classified by the table', () => {
  const statements: Array<[string, string, string, string, string, RegExp?]> = [
    ['unique index added on the replica', "INSERT INTO crm.contact VALUES (3, 'a', 1, 1)", '23505', 'halt-table', 'REPLICA_DUPLICATE_KEY', /unique index rejected a row \(table crm\.contact\)/],
    ['two rows with one key in one upsert', "INSERT INTO crm.contact VALUES (4, 'x', 1, 1), (4, 'y', 1, 1) ON CONFLICT (id) DO UPDATE SET name = excluded.name", '21000', 'halt-table', 'REPLICA_DUPLICATE_KEY', /same key/],
    ['text longer than the column', "INSERT INTO crm.contact VALUES (5, 'toolong', 1, 1)", '22001', 'halt-table', 'SCHEMA_CONFLICT', /narrower than the source/],
    ['number overflows the column', "INSERT INTO crm.contact VALUES (6, 'f', 1000, 1)", '22003', 'halt-table', 'SCHEMA_CONFLICT'],
    ['text that is no integer', "INSERT INTO crm.contact VALUES (7, 'g', 1, 'x'::text::int)", '22P02', 'halt-table', 'REPLICA_WRITE_FAILED', /rejected a value/],
    ['NULL into NOT NULL', 'INSERT INTO crm.contact VALUES (8, NULL, 1, 1)', '23502', 'halt-table', 'REPLICA_WRITE_FAILED', /constraint on the replica table/],
    ['CHECK added on the replica', "INSERT INTO crm.contact VALUES (9, 'h', 1, -1)", '23514', 'halt-table', 'REPLICA_WRITE_FAILED'],
    ['table dropped outside', 'INSERT INTO crm.gone VALUES (1)', '42P01', 'halt-table', 'SCHEMA_CONFLICT', /changed outside Tenant Mirror/],
    ['column dropped outside', 'UPDATE crm.contact SET phone = 1', '42703', 'halt-table', 'SCHEMA_CONFLICT'],
    ['table created outside', 'CREATE TABLE crm.contact (id int)', '42P07', 'halt-table', 'SCHEMA_CONFLICT'],
    ['column type changed outside', "INSERT INTO crm.contact (id, name, amount) SELECT 10, 'j', now()", '42804', 'halt-table', 'SCHEMA_CONFLICT'],
    ['a column used by a view added on the replica', 'CREATE VIEW crm.names AS SELECT name FROM crm.contact; ALTER TABLE crm.contact ALTER COLUMN name TYPE varchar(9)', '0A000', 'halt-table', 'SCHEMA_CONFLICT', /^A view or rule on the replica table uses a column whose type the source changed: .*\(rule _RETURN on view crm\.names depends on column "name"\)\. Drop the view/],
    ['a view added on the replica blocks the DROP of a rebuild', 'CREATE VIEW crm.everything AS SELECT * FROM crm.contact; DROP TABLE crm.contact', '2BP01', 'halt-table', 'SCHEMA_CONFLICT', /^Other objects depend on the replica table: cannot drop table crm\.contact because other objects depend on it \(view crm\.everything depends on table crm\.contact\)\. .*drop those objects/],
    ['a trigger of the customer raising an error (rolled back with its statement)', "CREATE FUNCTION crm.guard() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'no %', NEW.name; END$$; CREATE TRIGGER guard BEFORE INSERT ON crm.contact FOR EACH ROW EXECUTE FUNCTION crm.guard(); INSERT INTO crm.contact VALUES (11, 'k', 1, 1)", 'P0001', 'halt-table', 'REPLICA_WRITE_FAILED', /^A trigger on the replica table raised an error: no k \(P0001\)\. .*change or drop the trigger, then resync the table/],
    ['a syntax error', 'SELEC 1', '42601', 'halt-table', 'REPLICA_WRITE_FAILED', /failed \(table crm\.contact\)|failed: .*\(42601\)/],
  ];
  for (const [name, sql, sqlstate, action, code, hint] of statements) {
    test(name, async () => {
      const e = await withClient((c) => failure(c.query(sql)));
      check(e, sqlstate, action, code, hint);
    });
  }

  test('the tag of the table being written wins over the table pg reports', async () => {
    const e = await withClient((c) => failure(c.query("INSERT INTO crm.contact VALUES (3, 'a', 1, 1)")));
    assert.equal(classify(e).table, 'crm.contact');
    assert.equal(classify(tagTable(e, 'crm7.Contact')).table, 'crm7.Contact');
  });

  test('a statement inside an aborted transaction: 25P02, retried', async () => {
    const e = await withClient(async (c) => {
      await c.query('BEGIN');
      await c.query('SELECT 1/0').catch(() => {});
      return failure(c.query('SELECT 1'));
    });
    check(e, '25P02', 'retry', 'REPLICA_WRITE_FAILED', /aborted/);
  });

  test('the replica made read-only (default_transaction_read_only, as on a standby after a failover): 25006, retried as unreachable, not a table halted', async () => {
    const e = await withClient(async (c) => { await c.query('SET default_transaction_read_only = on'); return failure(c.query("INSERT INTO crm.contact VALUES (9, 'z', 1, 1)")); });
    check(e, '25006', 'retry', 'REPLICA_UNREACHABLE', /accepts no writes now .*read-only standby.*retrying until it accepts writes/);
  });

  test('a lock held by another session: 55P03 under lock_timeout, retried', async () => {
    const holder = await client();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE crm.contact IN ACCESS EXCLUSIVE MODE');
      const e = await withClient(async (c) => { await c.query("SET lock_timeout = '50ms'"); return failure(c.query('SELECT * FROM crm.contact')); });
      check(e, '55P03', 'retry', 'REPLICA_WRITE_FAILED', /Another session holds it/);
    } finally { await holder.end(); }
  });

  test('statement_timeout: 57014, retried', async () => {
    const e = await withClient(async (c) => { await c.query("SET statement_timeout = '50ms'"); return failure(c.query('SELECT pg_sleep(5)')); });
    check(e, '57014', 'retry', 'REPLICA_WRITE_FAILED');
  });

  test('a deadlock between two sessions: 40P01, retried', async () => {
    await withTwoClients(async (a, b) => {
      await a.query("BEGIN; SET LOCAL deadlock_timeout = '50ms'; UPDATE crm.contact SET age = 2 WHERE id = 1");
      await b.query("BEGIN; SET LOCAL deadlock_timeout = '50ms'; UPDATE crm.contact SET age = 2 WHERE id = 2");
      const results = await Promise.allSettled([a.query('UPDATE crm.contact SET age = 3 WHERE id = 2'), b.query('UPDATE crm.contact SET age = 3 WHERE id = 1')]);
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.ok(rejected, 'one session is chosen as the deadlock victim');
      check(rejected.reason, '40P01', 'retry', 'REPLICA_WRITE_FAILED', /deadlock/);
    });
  });

  test('a serialization failure: 40001, retried', async () => {
    await withTwoClients(async (a, b) => {
      await a.query('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT * FROM crm.contact');
      await b.query('UPDATE crm.contact SET age = 4 WHERE id = 1');
      const e = await failure(a.query('UPDATE crm.contact SET age = 5 WHERE id = 1'));
      check(e, '40001', 'retry', 'REPLICA_WRITE_FAILED', /serialization failure/);
    });
  });

  test('the session is terminated by an administrator: 57P01, retried', async () => {
    const victim = await client();
    const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const sleeping = failure(victim.query('SELECT pg_sleep(30)'));
    await withClient(async (c) => {
      for (let i = 0; i < 100 && (await c.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep(30)%'", [pid])).rowCount === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await c.query('SELECT pg_terminate_backend($1)', [pid]);
    });
    check(await sleeping, '57P01', 'retry', 'REPLICA_UNREACHABLE', /shutting down or restarting/);
    await victim.end().catch(() => {});
  });

  test('the query of a connection that is already gone: retried as unreachable', async () => {
    const c = await client();
    await c.end();
    const e = await failure(c.query('SELECT 1'));
    const cl = classify(e);
    assert.deepEqual([cl.action, cl.code], ['retry', 'REPLICA_UNREACHABLE'], (e as Error).message);
  });

  test('no server on the port: ECONNREFUSED, retried', async () => {
    const port = await freePort();
    const e = await failure(client(db, 'postgres', port));
    check(e, 'ECONNREFUSED', 'retry', 'REPLICA_UNREACHABLE', /cannot be reached/);
  });

  test('a database that does not exist: 3D000, halts all', async () => {
    const e = await failure(client(`${db}_missing`));
    check(e, '3D000', 'halt-all', 'REPLICA_UNREACHABLE', new RegExp(`CREATE DATABASE "${db}"`));
  });

  test('the database dropped under a replica that had it open (a restore: DROP … WITH (FORCE), CREATE … TEMPLATE): 3D000, retried until it is back; never opened: halts all', async () => {
    const gone = `${db}_restored`;
    await withClient((c) => c.query(`CREATE DATABASE ${gone}`));
    const opts = { host: server.host, port: server.port, database: gone, user: 'postgres', tablePrefix: '' };
    const replica = createPostgresReplica(opts);
    try {
      await replica.connect();
      await replica.ensureStateTable();
      await withClient((c) => c.query(`DROP DATABASE ${gone} WITH (FORCE)`));
      const e = await failure(replica.readState());
      const c = replica.classifyError(e);
      assert.equal(driverCode(e), '3D000', (e as Error).message);
      assert.deepEqual([c.action, c.code], ['retry', 'REPLICA_UNREACHABLE'], c.hint);
      assert.match(c.hint, new RegExp(`The database ${gone} is gone, though Tenant Mirror had it open before \\(dropped, or being restored from a backup\\).*retrying until it is there again`));
      // A replica of this process that never had it open: a setting to fix, as before.
      const fresh = createPostgresReplica(opts);
      const f = await failure(fresh.connect());
      assert.deepEqual([fresh.classifyError(f).action, fresh.classifyError(f).code], ['halt-all', 'REPLICA_UNREACHABLE']);
      await fresh.close();
      // Back (as a restore leaves it): the same replica object answers again.
      await withClient((c) => c.query(`CREATE DATABASE ${gone}`));
      await replica.ensureStateTable();
      assert.deepEqual(await replica.readState(), []);
    } finally {
      await replica.close();
      await withClient((c) => c.query(`DROP DATABASE IF EXISTS ${gone} WITH (FORCE)`));
    }
  });

  test('a role that may not log in: 28000, halts all', async () => {
    const e = await failure(client(db, `${role}_nologin`));
    check(e, '28000', 'halt-all', 'REPLICA_PERMISSION', /refused the login mirror/);
  });

  test('a login without rights: 42501, halts all with the GRANT that fixes it', async () => {
    const c = await client(db, role);
    try {
      let e = await failure(c.query('SELECT * FROM crm.contact'));
      check(e, '42501', 'halt-all', 'REPLICA_PERMISSION', /GRANT USAGE, CREATE ON SCHEMA "crm" TO "mirror";/);
      e = await failure(c.query('CREATE TABLE public.t (id int)'));
      check(e, '42501', 'halt-all', 'REPLICA_PERMISSION', /GRANT USAGE, CREATE ON SCHEMA "public" TO "mirror";/);
    } finally { await c.end(); }
  });
});
