/**
 * A handed request left `running` by a run that did not end — the sync that took it up killed -9 and a new
 * one taking the replica over at once (before the waiting command's holder check sees a gap), or the
 * replica failing under the outcome write — was never finished: pollRequests took up `pending` rows only,
 * and the command waited for its timeout. Now the lease holder runs it again. And a request whose row is
 * gone by the end of its run (the replica restored under it) gets no outcome written (it re-created the row).
 * On a real SQLite replica file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../main/engine/log.ts';
import { createSqliteReplica } from '../../main/engine/replica/sqlite/replica.ts';
import type { SqliteReplica } from '../../main/engine/replica/sqlite/replica.ts';
import { pollRequests } from '../../main/engine/state/request-runner.ts';
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
