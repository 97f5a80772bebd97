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
import { after, before, describe, test } from 'node:test';
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
import { WriterLease } from '../../main/engine/state/writer-lease.ts';
import { startPostgres } from '../harness/postgres.ts';
import type { PostgresServer } from '../harness/postgres.ts';
import { waitFor } from '../harness/util.ts';

const RESULT: SchemaCheckResult = { created: [], altered: ['crm.contact'], recreated: [], dropped: [], snapshotsRequested: [] };

describe('a handed request and the replica\'s PostgreSQL restarting', { concurrency: false, timeout: 180_000 }, () => {
  let server: PostgresServer;
  const db = 'handed';
  let settings: Settings;
  before(async () => {
    server = await startPostgres();
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
  async function holder(finish: Promise<void>) {
    const replica: Replica = createPostgresReplica({ host: server.host, port: server.port, database: db, user: server.info().user, tablePrefix: '' });
    await replica.connect();
    await replica.ensureStateTable();
    const lease = new WriterLease(replica, { command: 'sync', host: 'test-host', pid: process.pid, heartbeatMs: 500, log: silentLogger });
    await lease.acquire();
    lease.start();
    let taken = false;
    let polling = true;
    const loop = (async () => {
      while (polling) {
        await pollRequests(replica, async () => { taken = true; await finish; return RESULT; }, silentLogger, { lease: () => lease.guard() }).catch(() => undefined);
        await sleep(200);
      }
    })();
    return {
      taken: () => taken,
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
    } finally { await h.stop(); }
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
    } finally { await h.stop(); }
  });
});
