/**
 * A command that found no process writing the replica and set out to run here, refused at the writer lease
 * because one took the replica in between (REPLICA_IN_USE from the engine's start, before it did anything:
 * a sync service started just then, as right after the replica was restored under the command), hands the
 * request to that process on its next attempt (toWhoeverWrites, lease-handoff.ts). Before 2026-12-07 the
 * command ended with exit 6 there: the control-plane soak, seed 2026, a `resync-tables` whose replica was
 * restored and its `sync` restarted under it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toWhoeverWrites } from '../../main/commands/lease-handoff.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { inUseError } from '../../main/engine/state/lease-rules.ts';

const holder = { ownerId: 'o', host: 'vm', pid: 4242, epoch: 3, heartbeatAt: Date.now(), startedAt: Date.now() - 1000, command: 'sync' };
const io = () => { const said: string[] = []; return { said, io: { out: (l: string) => { said.push(l); }, json: false } }; };

test('refused at the lease once: the next attempt runs (and hands the request to the new holder), said once', async () => {
  const { said, io: out } = io();
  const tries: string[] = [];
  const code = await toWhoeverWrites(out, Date.now() + 60_000, 'the resync', async () => {
    if (!tries.length) { tries.push('here'); throw inUseError(holder, Date.now(), 20_000); }
    tries.push('handed');
    return 0;
  });
  assert.equal(code, 0);
  assert.deepEqual(tries, ['here', 'handed']);
  assert.deepEqual(said, ['another process took the replica just as this command was to run the resync here: handing it the request instead']);
});

test('refused every time: REPLICA_IN_USE after three attempts, as before', async () => {
  let n = 0;
  await assert.rejects(toWhoeverWrites(io().io, Date.now() + 60_000, 'the check', async () => { n++; throw inUseError(holder, Date.now(), 20_000); }),
    (e: unknown) => MirrorError.from(e).code === 'REPLICA_IN_USE');
  assert.equal(n, 3);
});

test('past the deadline, or another error: thrown at once', async () => {
  let n = 0;
  await assert.rejects(toWhoeverWrites(io().io, Date.now() - 1, 'the check', async () => { n++; throw inUseError(holder, Date.now(), 20_000); }),
    (e: unknown) => MirrorError.from(e).code === 'REPLICA_IN_USE');
  assert.equal(n, 1);
  await assert.rejects(toWhoeverWrites(io().io, Date.now() + 60_000, 'the check', async () => { n++; throw new MirrorError('REPLICA_LEASE_LOST', 'taken over mid-run'); }),
    (e: unknown) => MirrorError.from(e).code === 'REPLICA_LEASE_LOST');
  assert.equal(n, 2);
});
