/** The writer-lease rules as a table: who may take, refresh and release the `lease` row. No database. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideHeartbeat, decideRelease, decideTake, describeHolder, inUseError, isLive, parseLease } from '../../main/engine/state/lease-rules.ts';
import type { LeaseRecord } from '../../main/engine/state/lease-rules.ts';
import { assertLeaseHeld } from '../../main/engine/replica/lease-check.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { processGone } from '../../main/engine/state/writer-lease.ts';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const held = (o: Partial<LeaseRecord> = {}): LeaseRecord => ({ ownerId: 'a', host: 'host-a', pid: 42, epoch: 5, heartbeatAt: NOW - 1000, startedAt: NOW - 3_600_000, command: 'sync', ...o });
const me = { ownerId: 'b', host: 'host-b', pid: 7, heartbeatAt: NOW, startedAt: NOW, command: 'serve' };
const json = (r: LeaseRecord) => JSON.stringify(r);

describe('writer lease rules', () => {
  const takes: Array<[string, string | null, { ok: boolean; epoch?: number }]> = [
    ['no row: epoch 1', null, { ok: true, epoch: 1 }],
    ['a live other owner: refused', json(held()), { ok: false }],
    ['an other owner 19.9 s quiet: refused', json(held({ heartbeatAt: NOW - 19_999 })), { ok: false }],
    ['an other owner 20 s quiet (stale): taken, epoch + 1', json(held({ heartbeatAt: NOW - 20_000 })), { ok: true, epoch: 6 }],
    ['this owner again: re-taken, epoch + 1', json(held({ ownerId: 'b' })), { ok: true, epoch: 6 }],
    ['an unreadable row: taken, epoch 1', '{not json', { ok: true, epoch: 1 }],
  ];
  for (const [why, current, want] of takes) {
    it(`take with ${why}`, () => {
      const d = decideTake(current, me, 20_000);
      assert.equal(d.result.ok, want.ok);
      if (d.result.ok) {
        assert.equal(d.result.lease.epoch, want.epoch);
        assert.deepEqual(JSON.parse(d.write!), d.result.lease);
      } else {
        assert.equal(d.write, undefined);
        assert.equal(d.result.holder.ownerId, 'a');
      }
    });
  }

  it('heartbeat refreshes only while owner and epoch match', () => {
    const mine = held();
    const d = decideHeartbeat(json(mine), mine, NOW);
    assert.equal(d.result?.lease.heartbeatAt, NOW);
    assert.equal(d.result?.retaken, false);
    assert.equal(JSON.parse(d.write!).epoch, 5);
    // Taken over: a newer epoch (of this owner re-acquiring, or of another), or another owner live.
    for (const other of [json(held({ epoch: 6 })), json(held({ ownerId: 'z' })), json(held({ ownerId: 'z', epoch: 6, heartbeatAt: NOW - 60_000 })), json(held({ ownerId: 'z', epoch: 4 }))]) {
      assert.deepEqual(decideHeartbeat(other, mine, NOW), { result: null }, other);
    }
  });

  it('heartbeat takes the lease again when the replica went back under it (no row, an older row of its own, a stale older row)', () => {
    const mine = held();
    for (const [why, row] of [['no row', null], ['an unreadable row', '{not json'], ['its own older epoch', json(held({ epoch: 3, heartbeatAt: NOW - 1000 }))],
      ['another owner\'s older, stale row', json(held({ ownerId: 'z', epoch: 4, heartbeatAt: NOW - 20_000 }))]] as const) {
      const d = decideHeartbeat(row, mine, NOW);
      assert.equal(d.result?.retaken, true, why);
      assert.deepEqual(JSON.parse(d.write!), { ...mine, heartbeatAt: NOW }, why);
    }
    assert.deepEqual(decideHeartbeat(json(held({ ownerId: 'z', epoch: 4, heartbeatAt: NOW - 19_999 })), mine, NOW), { result: null }, 'another owner\'s older row with a live heartbeat: lost');
  });

  it('release deletes only its own row', () => {
    const mine = held();
    const d = decideRelease(json(mine), mine, NOW);
    assert.equal(d.result, true);
    assert.deepEqual(JSON.parse(d.write!), { ...mine, releasedAt: NOW }, 'marked released, its epoch kept');
    assert.deepEqual(decideRelease(json(held({ epoch: 6, ownerId: 'b' })), mine, NOW), { result: false });
    assert.deepEqual(decideRelease(null, mine, NOW), { result: false });
  });

  it('a released lease is not live: taken at once with epoch + 1; a process that lost the lease and wakes after its new owner stopped finds it lost, not gone back', () => {
    const released = held({ ownerId: 'z', epoch: 6, heartbeatAt: NOW - 1000, releasedAt: NOW - 500 });
    assert.equal(isLive(released, NOW, 20_000), false);
    const t = decideTake(json(released), me, 20_000);
    assert.ok(t.result.ok && t.result.lease.epoch === 7);
    const woke = held({ epoch: 5 }); // paused past staleAfterMs; `z` took over (epoch 6) and stopped since
    assert.deepEqual(decideHeartbeat(json(released), woke, NOW), { result: null });
    assert.throws(() => assertLeaseHeld(json(released), { ownerId: 'a', epoch: 5 }, NOW), (e) => e instanceof MirrorError && e.code === 'REPLICA_LEASE_LOST');
    // A restored backup's released row of an older epoch is the replica gone back.
    assert.equal(decideHeartbeat(json(held({ ownerId: 'z', epoch: 4, releasedAt: NOW - 5000, heartbeatAt: NOW - 5000 })), woke, NOW).result?.retaken, true);
    assert.equal(parseLease(json(released))?.releasedAt, NOW - 500);
  });

  it('liveness is strict at staleAfterMs', () => {
    assert.equal(isLive(held({ heartbeatAt: NOW - 19_999 }), NOW, 20_000), true);
    assert.equal(isLive(held({ heartbeatAt: NOW - 20_000 }), NOW, 20_000), false);
    assert.equal(parseLease('{"ownerId":1}'), null);
  });

  it('REPLICA_IN_USE names the holder and says what to do', () => {
    const e = inUseError(held(), NOW, 20_000);
    assert.equal(e.code, 'REPLICA_IN_USE');
    assert.equal(e.retriable, false);
    assert.equal(describeHolder(held(), NOW), '`sync` on host-a pid 42, running since 2026-12-01 11:00:00 UTC (last heartbeat 1 s ago, at 2026-12-01 11:59:59 UTC)');
    assert.match(e.message, /stop that one first .*wait 20 s after its last heartbeat/);
    assert.deepEqual(e.detail, { host: 'host-a', pid: 42, command: 'sync', since: NOW - 3_600_000, heartbeatAt: NOW - 1000, epoch: 5 });
  });

  it('REPLICA_IN_USE by a command that ends by itself says to start again once it has ended, not to stop it', () => {
    for (const command of ['resync-tables', 'update-schema', 'provision', 'reset-offsets']) {
      const e = inUseError(held({ command }), NOW, 20_000);
      assert.ok(e.message.startsWith(`the replica is already being written by \`${command}\` on host-a pid 42, running since`), e.message);
      assert.ok(e.message.includes('write to a replica: it is a command that ends by itself: start again once it has ended (or stop it in its terminal). If it was killed, wait 20 s'), e.message);
      assert.doesNotMatch(e.message, /stop that one first/);
    }
    assert.match(inUseError(held({ command: 'serve' }), NOW, 20_000).message, /stop that one first/);
  });

  it('the batch check passes only for the same owner and epoch; a row gone or older is the replica gone back, a newer one a takeover', () => {
    assertLeaseHeld(json(held()), { ownerId: 'a', epoch: 5 }, NOW);
    for (const [row, guard] of [[json(held()), { ownerId: 'a', epoch: 4 }], [json(held()), { ownerId: 'b', epoch: 5 }], [json(held({ ownerId: 'z', epoch: 4 })), { ownerId: 'a', epoch: 5 }]] as const) {
      assert.throws(() => assertLeaseHeld(row, guard, NOW), (e) => e instanceof MirrorError && e.code === 'REPLICA_LEASE_LOST' && !e.retriable);
    }
    for (const [row, guard] of [[null, { ownerId: 'a', epoch: 5 }], [json(held({ epoch: 2 })), { ownerId: 'a', epoch: 5 }], [json(held({ ownerId: 'z', epoch: 4, heartbeatAt: NOW - 30_000 })), { ownerId: 'a', epoch: 5 }]] as const) {
      assert.throws(() => assertLeaseHeld(row, guard, NOW), (e) => e instanceof MirrorError && e.code === 'REPLICA_WENT_BACK' && e.retriable && /went back to an earlier state/.test(e.message));
    }
  });
});

describe('a holder on this host whose process is gone', () => {
  const here = (pid: number): LeaseRecord => held({ host: hostname(), pid, heartbeatAt: Date.now() });

  it('a running process is not gone; an exited one is', async () => {
    const child = spawn('sleep', ['5'], { stdio: 'ignore' });
    try {
      assert.equal(processGone(here(child.pid!)), false, 'running');
    } finally { child.kill('SIGKILL'); }
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 50)); // reaped by node
    assert.equal(processGone(here(child.pid!)), true, 'killed and reaped');
  });

  it('a process killed but not yet reaped by its parent (a zombie) is gone: a new writer takes over at once', async () => {
    // The inner shell exits after 1 s; by then its parent has become `sleep` (exec), which never waits for it:
    // a zombie until `sleep` is killed (finally). An inner shell that exited before the exec was reaped by
    // the outer shell: no zombie (CI, 2026-12-06, a loaded machine).
    const parent = spawn('sh', ['-c', 'sh -c "sleep 1; exit 0" & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number((await new Promise<Buffer>((r) => parent.stdout.once('data', r))).toString().trim());
      const stat = (): string => { try { return readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return ''; } };
      for (let i = 0; i < 300 && !/\) Z /.test(stat()); i++) await new Promise((r) => setTimeout(r, 50)); // a loaded machine
      assert.match(stat(), /\) Z /, 'the test made a zombie');
      assert.equal(processGone(here(pid)), true);
      assert.equal(decideTake(json(here(pid)), me, 20_000, processGone).result.ok, true, 'taken over without waiting for the heartbeat to age');
    } finally { parent.kill('SIGKILL'); }
  });

  it('an older row of another owner with a fresh heartbeat (a backup taken seconds before the restore): gone back when its process ended, lost while it runs', async () => {
    const child = spawn('sleep', ['5'], { stdio: 'ignore' });
    const mine = held({ ownerId: 'b', epoch: 7, heartbeatAt: Date.now() });
    const older = (): string => json(held({ ownerId: 'z', epoch: 6, host: hostname(), pid: child.pid!, heartbeatAt: Date.now() - 2000 }));
    try {
      assert.equal(decideHeartbeat(older(), mine, Date.now(), 20_000, processGone).result, null, 'its process runs: another process took the replica');
      assert.throws(() => assertLeaseHeld(older(), mine, Date.now()), (e) => e instanceof MirrorError && e.code === 'REPLICA_LEASE_LOST');
    } finally { child.kill('SIGKILL'); }
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 50)); // reaped by node
    assert.equal(decideHeartbeat(older(), mine, Date.now(), 20_000, processGone).result?.retaken, true, 'its process ended: the replica went back');
    assert.throws(() => assertLeaseHeld(older(), mine, Date.now()), (e) => e instanceof MirrorError && e.code === 'REPLICA_WENT_BACK' && e.retriable);
  });
});
