/**
 * A request (`update-schema`, `resync-tables`) handed to a holder that stops before it is done
 * (holderWatch, lease-handoff.ts): another process that takes the replica over within the grace (a sync
 * service restarted after a kill -9) is left the request as it is (one the stopped holder had taken up and
 * left `running` is run again by the new holder: request-left-running-is-run-again), and only when none
 * does is it given up (ENGINE_STOPPED; a pending one is withdrawn by waitForResult and the command runs
 * here). The watch only looks and decides: it writes nothing. Before 2026-12-06 it was withdrawn at once and the command took the replica,
 * locking out a `sync` restarted a second later (REPLICA_IN_USE, exit 6) for the command's whole run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holderWatch } from '../../main/commands/lease-handoff.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import type { RequestRecord, RequestStatus } from '../../main/engine/state/requests.ts';

function request(status: RequestStatus): RequestRecord {
  return { id: 'r1', kind: 'update-schema', args: {}, submittedAt: 1, submittedBy: 'update-schema on h pid 1', status, updatedAt: 1 };
}

const out = () => { const said: string[] = []; return { said, io: { out: (l: string) => { said.push(l); }, json: false } }; };
/** alive() answers in turn, the last one from then on. */
const answers = (...a: boolean[]) => { let i = 0; return async (): Promise<boolean> => a[Math.min(i++, a.length - 1)]!; };

test('the holder is alive: the watch does nothing, and looks only every `every`-th poll', async () => {
  let asked = 0;
  const watch = holderWatch(async () => { asked++; return true; }, out().io, { every: 3 });
  for (let i = 0; i < 6; i++) await watch(request('pending'));
  assert.equal(asked, 2);
});

test('the holder stops before taking the request up and none takes over within the grace: ENGINE_STOPPED (withdrawn), after the grace', async () => {
  const { said, io } = out();
  const t0 = Date.now();
  await assert.rejects(holderWatch(async () => false, io, { every: 1, graceMs: 200, pollMs: 10 })(request('pending')), (err: unknown) => {
    const e = MirrorError.from(err);
    assert.equal(e.code, 'ENGINE_STOPPED');
    assert.equal(e.message, 'the engine that held the replica stopped before it took up the update-schema request (withdrawn)');
    return true;
  });
  assert.ok(Date.now() - t0 >= 200, 'it gave the grace first');
  assert.match(said.join('\n'), /waiting up to 0 s for another process to take the replica over/);
});

test('another process takes the replica over within the grace: a pending request is left to it as it is', async () => {
  const { said, io } = out();
  await holderWatch(answers(false, false, false, true), io, { every: 1, graceMs: 5000, pollMs: 5 })(request('pending'));
  assert.match(said.join('\n'), /another process took the replica over: the request is left to it/);
});

test('the holder stopped while running the request and another takes over: the request is left to it as it is (the new holder runs a request left running again: request-left-running-is-run-again)', async () => {
  const { said, io } = out();
  await holderWatch(answers(false, true), io, { every: 1, graceMs: 5000, pollMs: 5 })(request('running'));
  assert.match(said.join('\n'), /stopped before it finished the update-schema request; waiting up to 5 s/);
});
