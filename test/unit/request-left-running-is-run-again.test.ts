/**
 * A handed request left `running` by a run that did not end — the sync that took it up killed -9 and a new
 * one taking the replica over at once (before the waiting command's holder check sees a gap), or the
 * replica failing under the outcome write — was never finished: pollRequests took up `pending` rows only,
 * and the command waited for its timeout. Now the lease holder runs it again. And a request whose row is
 * gone by the end of its run (the replica restored under it) gets no outcome written (it re-created the row).
 * Since the status writes are guarded (the row must hold what the runner read or wrote, in the same
 * transaction): a pending request withdrawn by its command right after the runner read it is neither run
 * nor brought back; and a request whose runs keep stopping the engine is begun MAX_REQUEST_RUNS times, then
 * failed (REQUEST_ABANDONED) instead of begun again on every restart. On a real SQLite replica file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../main/engine/log.ts';
import { createSqliteReplica } from '../../main/engine/replica/sqlite/replica.ts';
import type { SqliteReplica } from '../../main/engine/replica/sqlite/replica.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import type { Replica } from '../../main/engine/replica/replica.ts';
import { MAX_REQUEST_RUNS, pollRequests } from '../../main/engine/state/request-runner.ts';
import { readRequests, requestRowId, submitRequest, updateRequest } from '../../main/engine/state/requests.ts';

let dir = '';
let replica: SqliteReplica;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tm-requests-'));
  replica = createSqliteReplica({ file: join(dir, 'r.db'), tablePrefix: '' });
  await replica.connect();
  await replica.ensureStateTable();
});
after(async () => { await replica.close(); rmSync(dir, { recursive: true, force: true }); });

test('a request left running is run again by the next poll and finished', async () => {
  const id = await submitRequest(replica, { kind: 'resync-tables', tables: ['crm.a'] }, 'resync-tables');
  const rec = (await readRequests(replica)).find((r) => r.id === id)!;
  await updateRequest(replica, rec, 'running'); // taken up by a process that then died
  const ran: string[] = [];
  assert.equal(await pollRequests(replica, async (req) => { ran.push(req.id); return { requested: req.args.tables }; }, silentLogger), 1);
  assert.deepEqual(ran, [id]);
  const after1 = (await readRequests(replica)).find((r) => r.id === id)!;
  assert.equal(after1.status, 'done');
  assert.deepEqual(after1.result, { requested: ['crm.a'] });
  assert.equal(await pollRequests(replica, async () => { throw new Error('not run twice'); }, silentLogger), 0, 'a done request is not run again');
  await replica.writeState([], [requestRowId(id)]);
});

test('a request whose row is gone by the end of its run gets no outcome written', async () => {
  const id = await submitRequest(replica, { kind: 'update-schema' });
  assert.equal(await pollRequests(replica, async () => { await replica.writeState([], [requestRowId(id)]); return { created: [] }; }, silentLogger), 1);
  assert.deepEqual((await readRequests(replica)).map((r) => r.id), [], 'the row is not re-created');
});

test('a pending request withdrawn right after the runner read it is not run and not brought back', async () => {
  const id = await submitRequest(replica, { kind: 'resync-tables', tables: ['crm.a'] }, 'resync-tables');
  // The command's timeout deletes the pending row between the runner's read and its "running" write.
  const racing = new Proxy(replica, {
    get(t, k) {
      if (k === 'readState') return async (kind?: Parameters<Replica['readState']>[0]) => { const rows = await t.readState(kind); await t.writeState([], [requestRowId(id)]); return rows; };
      const v: unknown = Reflect.get(t, k);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  const ran: string[] = [];
  assert.equal(await pollRequests(racing, async (req) => { ran.push(req.id); return null; }, silentLogger), 0, 'none run');
  assert.deepEqual(ran, [], 'the withdrawn request is not run');
  assert.deepEqual((await readRequests(replica)).map((r) => r.id), [], 'its row is not re-created as running');
});

test('a request whose runs stop the engine every time is begun MAX_REQUEST_RUNS times, then failed as abandoned', async () => {
  const id = await submitRequest(replica, { kind: 'update-schema' }, 'update-schema');
  const crash = async (): Promise<never> => { throw new MirrorError('REPLICA_LEASE_LOST', 'the engine stops mid-run'); };
  for (let run = 1; run <= MAX_REQUEST_RUNS; run++) {
    await assert.rejects(pollRequests(replica, crash, silentLogger), /mid-run/);
    const rec = (await readRequests(replica)).find((r) => r.id === id)!;
    assert.equal(rec.status, 'running');
    assert.equal(rec.attempts, run, `run ${run} is counted`);
  }
  let called = false;
  assert.equal(await pollRequests(replica, async () => { called = true; return null; }, silentLogger), 1);
  assert.equal(called, false, 'not begun a fourth time');
  const rec = (await readRequests(replica)).find((r) => r.id === id)!;
  assert.equal(rec.status, 'failed');
  assert.equal(rec.error?.code, 'REQUEST_ABANDONED');
  assert.match(rec.error?.message ?? '', new RegExp(`update-schema request ${id} .*begun ${MAX_REQUEST_RUNS} times`));
  await replica.writeState([], [requestRowId(id)]);
});

test('a request left running by an older build (no run count) is counted as begun once', async () => {
  const id = await submitRequest(replica, { kind: 'update-schema' });
  const rec = (await readRequests(replica)).find((r) => r.id === id)!;
  await updateRequest(replica, rec, 'running');
  assert.equal(await pollRequests(replica, async () => ({ created: [] }), silentLogger), 1);
  const done = (await readRequests(replica)).find((r) => r.id === id)!;
  assert.equal(done.status, 'done');
  assert.equal(done.attempts, 2);
  await replica.writeState([], [requestRowId(id)]);
});
