/**
 * One writer per replica, against a real database: the writer lease (state/writer-lease.ts) and the
 * request hand-off (state/requests.ts, state/request-runner.ts). Run from a per-database test file:
 *
 *   describeOneWriter('sqlite', async () => ({ open, scalar, cleanup }));
 *
 * `open()` returns a new, unconnected Replica on the same database each time (a second process's
 * connection); `scalar(sql)` runs plain SQL on its own connection and returns the first column of the
 * first row, so what was committed is checked without going through the replica code.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MirrorError } from '../../main/engine/errors.ts';
import { silentLogger } from '../../main/engine/log.ts';
import type { Replica } from '../../main/engine/replica/replica.ts';
import type { TableDef } from '../../main/engine/schema/table-model.ts';
import { pollRequests } from '../../main/engine/state/request-runner.ts';
import { readPendingRequests, submitRequest, waitForResult } from '../../main/engine/state/requests.ts';
import { readLiveLease, WriterLease } from '../../main/engine/state/writer-lease.ts';

export interface OneWriterFixture {
  open(): Replica;
  scalar(sql: string): Promise<unknown>;
  cleanup(): Promise<void>;
}

const code = (c: string) => (e: unknown) => e instanceof MirrorError && e.code === c;

export function describeOneWriter(name: string, factory: () => Promise<OneWriterFixture>): void {
  describe(`one writer per replica: ${name}`, () => {
    let fx: OneWriterFixture;
    const opened: Replica[] = [];
    const connect = async (): Promise<Replica> => {
      const r = fx.open();
      opened.push(r);
      await r.connect();
      await r.ensureStateTable();
      return r;
    };
    const T: TableDef = {
      schema: 'lease_test', name: `t_${randomBytes(3).toString('hex')}`, primaryKey: ['id'],
      columns: [{ name: 'id', type: { kind: 'int', bits: 32 }, nullable: false }, { name: 'v', type: { kind: 'string', length: 20, fixed: false }, nullable: true }],
    };
    const leaseEpoch = async () => {
      const v = await fx.scalar(`SELECT "Value" FROM "_ReplicationState" WHERE "Id" = 'lease'`);
      return v === undefined ? null : (JSON.parse(String(v)) as { epoch: number }).epoch;
    };

    before(async () => { fx = await factory(); });
    after(async () => {
      for (const r of opened) await r.close().catch(() => undefined);
      await fx.cleanup();
    });

    test('a second acquire is refused, naming the owner and what to do', async () => {
      const a = new WriterLease(await connect(), { command: 'sync', host: 'host-a', pid: 4242 });
      await a.acquire();
      const b = new WriterLease(await connect(), { command: 'serve', host: 'host-b', pid: 7 });
      await assert.rejects(b.acquire(), (e: unknown) => {
        assert.ok(e instanceof MirrorError && e.code === 'REPLICA_IN_USE', String(e));
        assert.match(e.message, /`sync` on host-a pid 4242, running since \d{4}-\d\d-\d\d/);
        assert.match(e.message, /last heartbeat \d+ s ago/);
        assert.match(e.message, /stop that one first.*wait 20 s/s);
        return true;
      });
      const live = await readLiveLease(opened[1]!);
      assert.equal(live?.host, 'host-a');
      const epoch = await leaseEpoch();
      await a.release();
      assert.equal(await leaseEpoch(), epoch, 'release keeps the row and its epoch');
      assert.equal(await readLiveLease(opened[1]!), null, 'a released lease is not live');
      const v = await fx.scalar(`SELECT "Value" FROM "_ReplicationState" WHERE "Id" = 'lease'`);
      assert.equal(typeof (JSON.parse(String(v)) as { releasedAt?: unknown }).releasedAt, 'number', 'marked released');
    });

    test('two first acquires at once: exactly one wins', async () => {
      await (await connect()).writeState([], ['lease']); // no row at all: the first-insert race
      const x = new WriterLease(await connect(), { command: 'x' });
      const y = new WriterLease(await connect(), { command: 'y' });
      const r = await Promise.allSettled([x.acquire(), y.acquire()]);
      assert.equal(r.filter((s) => s.status === 'fulfilled').length, 1, JSON.stringify(r.map((s) => s.status)));
      const lost = r.find((s) => s.status === 'rejected') as PromiseRejectedResult;
      assert.ok(code('REPLICA_IN_USE')(lost.reason), String(lost.reason));
      await x.release();
      await y.release();
    });

    test('a stale lease is taken over with epoch + 1; the old owner then cannot write anything', async () => {
      const oldReplica = await connect();
      await oldReplica.createTable(T);
      const old = new WriterLease(oldReplica, { command: 'sync', host: 'host-a', now: () => Date.now() - 60_000 });
      await old.acquire();
      const before = old.guard();
      await oldReplica.apply({ tables: [{ table: T, upserts: [{ id: 1, v: 'one' }], deletes: [], markSeen: false }], state: [{ id: 'offset:t:0', kind: 'offset', value: '{"next":"1"}' }], lease: before });

      const next = new WriterLease(await connect(), { command: 'sync', host: 'host-b' });
      await next.acquire(); // the old heartbeat is 60 s old: stale
      assert.equal(next.guard().epoch, before.epoch + 1);
      assert.equal(await leaseEpoch(), before.epoch + 1);

      const qualified = oldReplica.dialect.qualify(T);
      const rows = () => fx.scalar(`SELECT count(*) FROM ${qualified}`);
      const offset = () => fx.scalar(`SELECT "Value" FROM "_ReplicationState" WHERE "Id" = 'offset:t:0'`);
      const stale = { tables: [{ table: T, upserts: [{ id: 2, v: 'two' }], deletes: [{ id: 1 }], markSeen: false }], state: [{ id: 'offset:t:0', kind: 'offset' as const, value: '{"next":"3"}' }], lease: before };
      let caught: unknown;
      await assert.rejects(oldReplica.apply(stale), (e) => { caught = e; return code('REPLICA_LEASE_LOST')(e); });
      assert.match((caught as Error).message, /epoch \d+; it is now held by `sync` on host-b/);
      const c = oldReplica.classifyError(caught);
      assert.equal(c.action, 'halt-all');
      assert.equal(c.code, 'REPLICA_LEASE_LOST');
      assert.equal(Number(await rows()), 1, 'the stale batch wrote no row and deleted none');
      assert.equal(String(await fx.scalar(`SELECT v FROM ${qualified} WHERE id = 1`)), 'one');
      assert.equal(String(await offset()), '{"next":"1"}', 'the offset did not move');
      await assert.rejects(oldReplica.writeState([{ id: 'offset:t:0', kind: 'offset', value: '{"next":"9"}' }], [], before), code('REPLICA_LEASE_LOST'));
      assert.equal(String(await offset()), '{"next":"1"}');
      // A sweep is the one write that deletes rows no event named: the old owner's sweep deletes nothing.
      await oldReplica.beginSweep(T);
      await assert.rejects(oldReplica.finishSweep(T, before), code('REPLICA_LEASE_LOST'));
      assert.equal(Number(await rows()), 1, 'the stale sweep deleted nothing');
      await oldReplica.cancelSweep(T);

      await assert.rejects(old.heartbeat(), code('REPLICA_LEASE_LOST'));
      await old.release(); // no longer the owner: must not delete the new owner's row
      assert.equal(await leaseEpoch(), before.epoch + 1);

      await opened.at(-1)!.apply({ tables: [{ table: T, upserts: [{ id: 2, v: 'two' }], deletes: [], markSeen: false }], state: [], lease: next.guard() });
      assert.equal(Number(await rows()), 2, 'the new owner writes');
      await next.heartbeat();
      await next.release();
    });

    // A lease row gone is read as the replica restored under its holder, and written again: so a release
    // must not leave it gone, or a process paused past its lease (a laptop asleep) would take the replica
    // back after the process that took it over stopped, with that one's writes unseen by it.
    test('a process that lost the lease and wakes after the new owner stopped finds it lost, and writes nothing', async () => {
      const r1 = await connect();
      const a = new WriterLease(r1, { command: 'sync', host: 'host-a', now: () => Date.now() - 60_000 });
      await a.acquire();
      const guard = a.guard();
      const b = new WriterLease(await connect(), { command: 'sync', host: 'host-b' });
      await b.acquire(); // a's heartbeat is 60 s old: stale
      await b.release();
      await assert.rejects(a.heartbeat(), code('REPLICA_LEASE_LOST'));
      await assert.rejects(r1.writeState([{ id: 'session:woke', kind: 'session', value: '{}' }], [], guard), code('REPLICA_LEASE_LOST'));
      assert.equal((await r1.readState('session')).some((x) => x.id === 'session:woke'), false);
      assert.equal(await leaseEpoch(), guard.epoch + 1, 'the released row keeps the newer epoch');
    });

    test('heartbeats keep a lease live; the timer reports a takeover', async () => {
      const r = await connect();
      let lost: MirrorError | null = null;
      const a = new WriterLease(r, { command: 'sync', heartbeatMs: 50, staleAfterMs: 400, onLost: (e) => { lost = e; } });
      await a.acquire();
      a.start();
      await new Promise((res) => setTimeout(res, 600));
      const b = new WriterLease(await connect(), { command: 'serve', staleAfterMs: 400 });
      await assert.rejects(b.acquire(), code('REPLICA_IN_USE'), 'a heartbeating owner is never stale');
      // Simulate a takeover while `a` is paused: `b` with a clock far ahead sees `a` as stale.
      const c = new WriterLease(await connect(), { command: 'serve', staleAfterMs: 400, now: () => Date.now() + 60_000 });
      await c.acquire();
      await new Promise((res) => setTimeout(res, 300));
      assert.equal((lost as MirrorError | null)?.code, 'REPLICA_LEASE_LOST');
      assert.equal(a.record, null);
      a.stop();
      await c.release();
    });

    test('request rows round-trip: submit, run by the lease holder, result, row deleted', async () => {
      const cli = await connect();
      const engineSide = await connect();
      const lease = new WriterLease(engineSide, { command: 'sync' });
      await lease.acquire();
      const id = await submitRequest(cli, { kind: 'resync-tables', tables: ['crm7.contact'] }, 'resync-tables');
      const pending = await readPendingRequests(engineSide);
      assert.deepEqual(pending.map((p) => [p.id, p.kind, p.args.tables, p.status]), [[id, 'resync-tables', ['crm7.contact'], 'pending']]);
      assert.match(pending[0]!.submittedBy, /^resync-tables on .+ pid \d+$/);
      const statuses: string[] = [];
      const waiting = waitForResult(cli, id, 10_000, (r) => statuses.push(r.status));
      const ran = await pollRequests(engineSide, async (req) => ({ requested: req.args.tables }), silentLogger, { lease: () => lease.guard() });
      assert.equal(ran, 1);
      assert.deepEqual(await waiting, { requested: ['crm7.contact'] });
      assert.equal(statuses.at(-1), 'done'); // earlier statuses are seen or not, depending on timing
      assert.equal(await fx.scalar(`SELECT count(*) FROM "_ReplicationState" WHERE "Kind" = 'request'`).then(Number), 0, 'the submitter deletes the row');

      const bad = await submitRequest(cli, { kind: 'update-schema' });
      const failing = waitForResult(cli, bad, 10_000);
      await pollRequests(engineSide, async () => { throw new MirrorError('TABLE_UNKNOWN', 'no such table'); }, silentLogger);
      await assert.rejects(failing, (e) => code('TABLE_UNKNOWN')(e) && (e as Error).message === 'no such table');

      const never = await submitRequest(cli, { kind: 'update-schema' });
      await assert.rejects(waitForResult(cli, never, 600), code('REQUEST_TIMEOUT'));
      assert.deepEqual(await readPendingRequests(engineSide), [], 'a timed-out pending request is withdrawn');
      await lease.release();
    });
  });
}
