/**
 * A request handed to a running `sync` whose replica is then put back from a backup (its request row gone,
 * the lease row back to one naming a process that stopped before the backup): the command hands it over
 * again, and gives the `sync` it had handed it to the takeover grace to take the lease again (its next
 * heartbeat does) instead of taking the replica itself at once. Until 2026-12-07 evening it read the
 * restored row alone, took the lease to run the request here, and the `sync` ended with REPLICA_LEASE_LOST,
 * exit 6 (the control-plane soak, seed 271828, on PostgreSQL). Real SQLite replica, real WriterLease.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { viaRunningEngine } from '../../main/commands/lease-handoff.ts';
import type { SchemaCheckResult } from '../../main/engine/engine-control.ts';
import { silentLogger } from '../../main/engine/log.ts';
import { createReplica } from '../../main/engine/replica/create-replica.ts';
import type { Replica } from '../../main/engine/replica/replica.ts';
import { readPendingRequests, requestRowId, updateRequest } from '../../main/engine/state/requests.ts';
import type { RequestRecord } from '../../main/engine/state/requests.ts';
import { WriterLease } from '../../main/engine/state/writer-lease.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'tm-rehand-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const schemaResult: SchemaCheckResult = { created: [], altered: [], recreated: [], dropped: [], snapshotsRequested: [] };

/** A pid of this host whose process has ended (and been reaped). */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;

/** The next pending request other than `seen` (polled every 50 ms, 10 s at most). */
async function nextRequest(replica: Replica, seen: string | null): Promise<RequestRecord> {
  for (const until = Date.now() + 10_000; Date.now() < until; await sleep(50)) {
    const r = (await readPendingRequests(replica)).find((q) => q.id !== seen);
    if (r) return r;
  }
  throw new Error('no request was handed over');
}

/**
 * A replica held by a running engine (this process's WriterLease, epoch 6 over a row of epoch 5) that has an
 * update-schema request handed to it; the replica then goes back: the lease row is the backup's (epoch 5, a
 * `sync` whose process has ended, its last heartbeat `backupAgeMs` before) and the request row is gone.
 * `retakeAfterMs` later the engine's heartbeat takes the lease again (never, when null) and it answers the
 * request handed to it again.
 */
async function restoredUnderHandedRequest(name: string, retakeAfterMs: number | null, graceMs: number, backupAgeMs = 25_000) {
  const settings = settingsSchema.parse({ tenant: { ctx: 'acme', brokers: ['127.0.0.1:1'] }, replica: { kind: 'sqlite', file: join(dir, `${name}.db`) } });
  const replica = await createReplica(settings);
  await replica.connect();
  await replica.ensureStateTable();
  const backupRow = { ownerId: 'the-sync-before-the-backup', host: hostname(), pid: deadPid(), epoch: 5, heartbeatAt: Date.now(), startedAt: Date.now() - 60_000, command: 'sync' };
  const putBack = (): Promise<null> => replica.updateLease(() => ({ result: null, write: JSON.stringify({ ...backupRow, heartbeatAt: Date.now() - backupAgeMs }) }));
  await putBack();
  const lease = new WriterLease(replica, { command: 'sync' });
  await lease.acquire();
  assert.equal(lease.record?.epoch, 6);
  const said: string[] = [];
  const command = viaRunningEngine(settings, { kind: 'update-schema' }, { out: (l) => { said.push(l); }, json: false }, silentLogger, 60_000, { graceMs });
  const engine = (async () => {
    const first = await nextRequest(replica, null);
    await putBack();
    await replica.writeState([], [requestRowId(first.id)]);
    if (retakeAfterMs === null) return;
    await sleep(retakeAfterMs);
    await lease.heartbeat(); // finds the row older than its own: takes it again
    const again = await nextRequest(replica, first.id);
    await updateRequest(replica, again, 'done', { outcome: { result: schemaResult }, lease: lease.guard() });
  })();
  try {
    const [handed] = await Promise.all([command, engine]);
    return { handed, said, lease };
  } finally {
    lease.stop();
    await replica.close();
  }
}

test('the engine takes the lease again 1.5 s after the restore: the request is handed to it again, not run here', async () => {
  const { handed, said, lease } = await restoredUnderHandedRequest('retaken', 1500, 10_000);
  assert.deepEqual(handed, { ok: true }, said.join('\n'));
  assert.equal(lease.record?.epoch, 6, 'the running engine still holds its lease');
  const text = said.join('\n');
  assert.match(text, /went back to an earlier state.*; handing the update-schema request over again/);
  assert.match(text, /names no running process; waiting up to 10 s for another process to take the replica over/);
  assert.match(text, /another process took the replica over: handing it the request/);
  assert.equal(said.filter((l) => l.startsWith('The replica is being written by')).length, 2, text);
});

test('nobody takes the replica after the restore within the grace: the command runs it here (null), after the grace', async () => {
  const t0 = Date.now();
  const { handed, said } = await restoredUnderHandedRequest('none', null, 1500);
  assert.equal(handed, null, said.join('\n'));
  assert.ok(Date.now() - t0 >= 1500, 'the grace was given');
  assert.doesNotMatch(said.join('\n'), /took the replica over/);
});

test('a backup taken 2 s before the restore (the row\'s heartbeat still fresh, its process ended): the engine takes the lease again all the same', async () => {
  // Until 2026-12-07 evening its heartbeat read the fresh row of another owner as a takeover: REPLICA_LEASE_LOST, exit 6.
  const { handed, said, lease } = await restoredUnderHandedRequest('fresh-backup', 1500, 10_000, 2000);
  assert.deepEqual(handed, { ok: true }, said.join('\n'));
  assert.equal(lease.record?.epoch, 6);
});
