/**
 * A request handed to the running engine (lease-handoff.ts `viaRunningEngine`, what `update-schema` and
 * `resync-tables` do while a `sync` holds the replica) waits out the replica's PostgreSQL server being
 * stopped and started again, as the engine does, and says so; an outage that outlasts the command's
 * timeout ends it with REPLICA_UNREACHABLE, never INTERNAL (the control-plane soak saw `resync-tables` exit 1
 * with "error [INTERNAL]: connect ECONNREFUSED" while the engine went on). The unit test
 * handed-request-rides-out-a-replica-outage pins patientReplica itself; this one pins that the hand-over
 * really goes through it, on a real server of its own (no Kafka: the holder is this process).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { settingsSchema } from '../../preload/contract/settings.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { viaRunningEngine } from '../../main/commands/lease-handoff.ts';
import type { SchemaCheckResult } from '../../main/engine/engine-control.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { silentLogger } from '../../main/engine/log.ts';
import { createPostgresReplica } from '../../main/engine/replica/postgres/index.ts';
import type { Replica } from '../../main/engine/replica/replica.ts';
import { pollRequests } from '../../main/engine/state/request-runner.ts';
import { readRequests } from '../../main/engine/state/requests.ts';
import type { RequestRecord } from '../../main/engine/state/requests.ts';
import { toStateJson } from '../../main/engine/state/json.ts';
import { stateIds } from '../../main/engine/state/records.ts';
import { WriterLease } from '../../main/engine/state/writer-lease.ts';
import { startPostgres } from '../harness/postgres.ts';
import type { PostgresServer } from '../harness/postgres.ts';
import { waitFor } from '../harness/util.ts';

const RESULT: SchemaCheckResult = { created: [], altered: ['crm.contact'], recreated: [], dropped: [], snapshotsRequested: [] };

describe('a handed request, the replica\'s PostgreSQL restarting, Kafka unreachable, and the replica restored under it', { concurrency: false, timeout: 180_000 }, () => {
  let server: PostgresServer;
  // A database of its own for each test: a test that fails leaves no holder or row in the next one's way.
  let db = '';
  let settings: Settings;
  let dbs = 0;
  before(async () => { server = await startPostgres(); });
  beforeEach(async () => {
    db = `handed_${++dbs}`;
    const c = new pg.Client({ ...server.info(), database: 'postgres' });
    await c.connect();
    try { await c.query(`CREATE DATABASE ${db}`); } finally { await c.end(); }
    settings = settingsSchema.parse({
      tenant: { ctx: 'handed', brokers: ['127.0.0.1:1'] },
      replica: { kind: 'postgres', host: server.host, port: server.port, database: db, user: server.info().user, ssl: false },
    });
  });
  after(async () => { await server?.stop(); });

  /**
   * This process as the running engine: holds the lease (heartbeat every 500 ms) and polls the requests
   * every 200 ms; a request it takes up is finished only once `finish` resolves. Errors of a poll (the
   * server being down) are retried by the next one, as the engine does.
   */
  async function holder(finish: Promise<void>, handle: (req: RequestRecord, replica: Replica) => Promise<unknown> = async () => RESULT) {
    const replica: Replica = createPostgresReplica({ host: server.host, port: server.port, database: db, user: server.info().user, tablePrefix: '' });
    await replica.connect();
    await replica.ensureStateTable();
    const lease = new WriterLease(replica, { command: 'sync', host: 'test-host', pid: process.pid, heartbeatMs: 500, log: silentLogger });
    await lease.acquire();
    lease.start();
    let taken = 0;
    const handled: string[] = [];
    let polling = true;
    const loop = (async () => {
      while (polling) {
        await pollRequests(replica, async (req) => { taken++; handled.push(req.id); await finish; return handle(req, replica); }, silentLogger, { lease: () => lease.guard() }).catch(() => undefined);
        await sleep(200);
      }
    })();
    return {
      taken: () => taken > 0,
      handled,
      async stop() { polling = false; await loop; await lease.release().catch(() => undefined); await replica.close(); },
    };
  }

  const io = () => { const said: string[] = []; return { said, io: { out: (l: string) => { said.push(l); }, json: false } }; };

  test('the server is stopped for 4 s and started again while the engine runs the request: the command waits, says so, and prints the outcome', async () => {
    let release!: () => void;
    const h = await holder(new Promise<void>((r) => { release = r; }));
    try {
      const { said, io: out } = io();
      const handed = viaRunningEngine(settings, { kind: 'update-schema' }, out, silentLogger, 60_000);
      await waitFor(() => h.taken(), { timeoutMs: 20_000, what: 'the holder to take the request up' });
      await server.process.stop(30_000);
      await sleep(4_000);
      await server.start();
      release();
      const r = await handed;
      assert.deepEqual(r, { ok: true });
      const text = said.join('\n');
      assert.match(text, /that engine handles the update-schema request/);
      assert.match(text, /the replica cannot be reached \(.+\); the engine retries, and this command waits for it/);
      assert.match(text, /the replica answers again; waiting on/);
      assert.match(text, /altered: crm\.contact/, 'the outcome the engine wrote after the restart');
      assert.equal(said.filter((l) => /cannot be reached/.test(l)).length, 1, 'the wait is said once');
    } finally { release(); await h.stop(); }
  });

  test('the server stays down past the command\'s timeout: it ends with REPLICA_UNREACHABLE, not INTERNAL; the request stays for the engine', async () => {
    let release!: () => void;
    const h = await holder(new Promise<void>((r) => { release = r; }));
    try {
      const { said, io: out } = io();
      const handed = viaRunningEngine(settings, { kind: 'update-schema' }, out, silentLogger, 8_000);
      await waitFor(() => h.taken(), { timeoutMs: 5_000, what: 'the holder to take the request up' });
      await server.process.stop(30_000);
      const t0 = Date.now();
      await assert.rejects(handed, (err: unknown) => {
        assert.ok(err instanceof MirrorError, `a classified error, not ${String(err)}`);
        assert.equal(err.code, 'REPLICA_UNREACHABLE');
        assert.ok(err.retriable, 'said retriable: the engine goes on');
        return true;
      });
      assert.ok(Date.now() - t0 < 12_000, 'within the timeout (and one retry)');
      assert.match(said.join('\n'), /the replica cannot be reached/);
      await server.start();
      release();
      // The request was the engine's: it finishes it once the server is back, whatever the command did.
      const check = createPostgresReplica({ host: server.host, port: server.port, database: db, user: server.info().user, tablePrefix: '' });
      await check.connect();
      try {
        await waitFor(async () => (await readRequests(check)).some((q) => q.kind === 'update-schema' && q.status === 'done' && q.submittedAt > t0 - 10_000), { timeoutMs: 20_000, what: 'the engine to finish the request' });
      } finally { await check.close(); }
    } finally { release(); await h.stop(); }
  });

  test('the engine cannot run a handed update-schema while Kafka is down (KAFKA_UNREACHABLE): the command says so once and asks again until it runs', async () => {
    let fails = 2;
    const h = await holder(Promise.resolve(), async () => {
      if (fails-- > 0) throw new MirrorError('KAFKA_UNREACHABLE', 'Kafka cannot be reached while reading handed-schemahistory: Connection error: connect ECONNREFUSED 127.0.0.1:1', { retriable: true });
      return RESULT;
    });
    try {
      const { said, io: out } = io();
      assert.deepEqual(await viaRunningEngine(settings, { kind: 'update-schema' }, out, silentLogger, 60_000), { ok: true });
      const text = said.join('\n');
      assert.equal(h.handled.length, 3, 'asked three times');
      assert.equal(said.filter((l) => /could not reach Kafka/.test(l)).length, 1, `said once:\n${text}`);
      assert.match(text, /the running engine could not reach Kafka for the update-schema request \(Kafka cannot be reached while reading handed-schemahistory: .*\); it retries, and this command asks again every 5 s/);
      assert.match(text, /altered: crm\.contact/);
      assert.equal(await requestRows(), 0, 'no failed request row left behind');
    } finally { await h.stop(); }
  });

  test('… and when Kafka stays down past the timeout: KAFKA_UNREACHABLE, not INTERNAL', async () => {
    const h = await holder(Promise.resolve(), async () => { throw new MirrorError('KAFKA_UNREACHABLE', 'Kafka cannot be reached while reading handed-schemahistory: Connection error', { retriable: true }); });
    try {
      const { io: out } = io();
      await assert.rejects(viaRunningEngine(settings, { kind: 'update-schema' }, out, silentLogger, 8_000), (err: unknown) => err instanceof MirrorError && err.code === 'KAFKA_UNREACHABLE');
    } finally { await h.stop(); }
  });

  async function requestRows(): Promise<number> {
    const q = new pg.Client({ ...server.info(), database: db });
    await q.connect();
    try {
      const { rows } = await q.query<{ Value: string }>('SELECT "Value" FROM "_ReplicationState" WHERE "Kind" = \'request\'');
      return rows.length;
    } finally { await q.end(); }
  }

  /** The replica's state as a backup holds it: taken, and put back (one transaction), with plain SQL. */
  async function backup() {
    const c = new pg.Client({ ...server.info(), database: db });
    await c.connect();
    try {
      const { rows } = await c.query<{ Id: string; Kind: string; Value: string }>('SELECT "Id", "Kind", "Value" FROM "_ReplicationState" WHERE "Kind" <> \'lease\'');
      return {
        async restore() {
          const r = new pg.Client({ ...server.info(), database: db });
          await r.connect();
          try {
            await r.query('BEGIN');
            await r.query('DELETE FROM "_ReplicationState" WHERE "Kind" <> \'lease\'');
            for (const x of rows) await r.query('INSERT INTO "_ReplicationState" ("Id", "Kind", "Value") VALUES ($1, $2, $3)', [x.Id, x.Kind, x.Value]);
            await r.query('COMMIT');
          } finally { await r.end(); }
        },
      };
    } finally { await c.end(); }
  }

  test('the replica is restored to a backup taken before an update-schema was handed over, while the engine runs it: the command says so and hands it over again; the second one is printed', async () => {
    let release!: () => void;
    let n = 0;
    const h = await holder(new Promise<void>((r) => { release = r; }), async () => ({ ...RESULT, altered: [`crm.contact_${++n}`] }));
    const saved = await backup();
    try {
      const { said, io: out } = io();
      const handed = viaRunningEngine(settings, { kind: 'update-schema' }, out, silentLogger, 60_000);
      await waitFor(() => h.taken(), { timeoutMs: 20_000, what: 'the holder to take the request up' });
      await saved.restore();
      // The first run is let go only once the command has seen its request gone.
      await waitFor(() => said.some((l) => /is gone from _ReplicationState/.test(l)), { timeoutMs: 10_000, what: 'the command to see its request gone' });
      release();
      assert.deepEqual(await handed, { ok: true });
      const text = said.join('\n');
      assert.match(text, /the update-schema request \S+ is gone from _ReplicationState before this command ended: the replica went back to an earlier state \(restored from a backup, or provisioned again\) while it waited; handing the update-schema request over again/);
      assert.equal(h.handled.length, 2, 'handed over twice');
      assert.notEqual(h.handled[0], h.handled[1]);
      // What is printed is the second run's, as the replica now has it; the first run's outcome is not
      // written (its row is gone: before 2026-12-07 the write re-created it, an orphan row for an hour that a
      // command polling at the wrong moment printed as its outcome).
      assert.match(text, /altered: crm\.contact_2/);
      assert.doesNotMatch(text, /altered: crm\.contact_1/);
      assert.equal(await requestRows(), 0, 'no request row left: the first outcome was not written to a re-created row');
    } finally { release(); await h.stop(); }
  });

  test('the whole database restored from a copy taken before an update-schema was handed over (DROP … WITH (FORCE), a moment without it, CREATE … TEMPLATE) while the engine runs it: the command waits out the database being gone, sees its request gone, hands it over again', async () => {
    let release!: () => void;
    let n = 0;
    const h = await holder(new Promise<void>((r) => { release = r; }), async () => ({ ...RESULT, altered: [`crm.contact_${++n}`] }));
    const copy = `${db}_bak`;
    const admin = async (sql: string): Promise<void> => {
      const c = new pg.Client({ ...server.info(), database: 'postgres' });
      await c.connect();
      try { await c.query(sql); } finally { await c.end(); }
    };
    try {
      // The copy needs the database without sessions: the holder's are ended until it is made (it reconnects).
      for (let i = 0; ; i++) {
        await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}' AND pid <> pg_backend_pid()`);
        try { await admin(`CREATE DATABASE ${copy} TEMPLATE ${db}`); break; } catch (err) { if ((err as { code?: string }).code !== '55006' || i >= 50) throw err; }
      }
      const { said, io: out } = io();
      const handed = viaRunningEngine(settings, { kind: 'update-schema' }, out, silentLogger, 60_000);
      await waitFor(() => h.taken(), { timeoutMs: 20_000, what: 'the holder to take the request up' });
      await admin(`DROP DATABASE ${db} WITH (FORCE)`);
      await sleep(2_000); // the command polls every 0.5 s: it meets the database gone
      await admin(`CREATE DATABASE ${db} TEMPLATE ${copy}`);
      await waitFor(() => said.some((l) => /is gone from _ReplicationState/.test(l)), { timeoutMs: 20_000, what: 'the command to see its request gone' });
      release();
      assert.deepEqual(await handed, { ok: true });
      const text = said.join('\n');
      assert.equal(said.filter((l) => /the replica cannot be reached/.test(l)).length, 1, `the wait is said once:\n${text}`);
      assert.match(text, new RegExp(`the replica cannot be reached \\(The database ${db} is gone, though Tenant Mirror had it open before \\(dropped, or being restored from a backup\\)`));
      assert.match(text, /handing the update-schema request over again/);
      assert.equal(h.handled.length, 2, 'handed over twice');
      assert.match(text, /altered: crm\.contact_2/);
      assert.doesNotMatch(text, /altered: crm\.contact_1/);
    } finally {
      release();
      await h.stop();
      await admin(`DROP DATABASE IF EXISTS ${copy} WITH (FORCE)`);
    }
  });

  test('the replica is restored to a backup taken before a resync-tables was handed over, after the engine took it: the old "ok" of the table is not reported as the resync; handed over again, the new resync is', async () => {
    const table = (state: string, rowsScanned: number | null) => ({
      id: stateIds.table('crm.contact'), kind: 'table' as const, value: toStateJson({
        id: 'crm.contact', state, staleReason: null,
        lastResync: rowsScanned === null ? null : { kind: 'incremental', outcome: 'repaired', startedAt: Date.now() - 1000, finishedAt: Date.now(), rowsScanned, rowsReported: rowsScanned, rowsDeleted: 0, rowsBefore: rowsScanned, rowsAfter: rowsScanned, reason: null },
      }),
    });
    const c = createPostgresReplica({ host: server.host, port: server.port, database: db, user: server.info().user, tablePrefix: '' });
    await c.connect();
    try { await c.ensureStateTable(); await c.writeState([table('ok', 3)]); } finally { await c.close(); }
    const saved = await backup();
    // The engine's side of a resync: the table marked resyncing with the request; the first one is lost
    // with the restore (the real engine writes nothing more once the replica went back), the second is
    // done after 1.5 s with 7 rows.
    let runs = 0;
    const h = await holder(Promise.resolve(), async (_req, r) => {
      await r.writeState([table('resyncing', 3)]);
      if (++runs > 1) setTimeout(() => { void r.writeState([table('ok', 7)]).catch(() => undefined); }, 1500);
      return { requested: ['crm.contact'] };
    });
    try {
      const { said, io: out } = io();
      const handed = viaRunningEngine(settings, { kind: 'resync-tables', tables: ['crm.contact'] }, out, silentLogger, 60_000);
      await waitFor(() => said.some((l) => /^resnapshot requested for crm\.contact/.test(l)), { timeoutMs: 20_000, what: 'the command to wait on the table' });
      await saved.restore();
      assert.deepEqual(await handed, { ok: true });
      const text = said.join('\n');
      assert.match(text, /the resync-tables request \S+ is gone from _ReplicationState before this command ended: the replica went back .*; handing the resync-tables request over again/);
      assert.equal(h.handled.length, 2, 'handed over twice');
      assert.match(text, /ok +crm\.contact · repaired: 7 snapshot rows applied/);
      assert.doesNotMatch(text, /ok +crm\.contact · repaired: 3 snapshot rows applied/, 'the backup\'s old resync is not reported as this one');
      assert.equal(await requestRows(), 0, 'the command deletes its kept request row at the end');
    } finally { await h.stop(); }
  });
});
