/**
 * `resync-tables` handed to a running engine that then stops (waitForTables, lease-handoff.ts): another
 * process that takes the replica over within the grace (a sync service restarted after a crash) goes on
 * with the resync and the command keeps waiting on it; only when none does is the resync run here. It took
 * the replica at once before 2026-12-06 evening: a `sync` restarted a second after a kill -9 was refused
 * (REPLICA_IN_USE, exit 6) for the rest of the resync (the long set's scenario i on SQLite).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitForTables } from '../../main/commands/lease-handoff.ts';
import type { StateKind, StateRow } from '../../main/engine/replica/replica.ts';
import { toStateJson } from '../../main/engine/state/json.ts';

/** The table is `resyncing` for the first `busyReads` reads of the table rows, then `ok`. */
function replica(busyReads: number) {
  let reads = 0;
  return {
    async readState(kind?: StateKind): Promise<StateRow[]> {
      if (kind !== 'table') return [];
      const state = ++reads > busyReads ? 'ok' : 'resyncing';
      return [{ id: 'table:crm.big', kind: 'table', value: toStateJson({ id: 'crm.big', state, staleReason: null }) } as StateRow];
    },
  };
}

const io = () => { const said: string[] = []; return { said, io: { out: (l: string) => { said.push(l); }, json: false } }; };

test('the holder stops and another process takes the replica over within the grace: the command waits on it, no run here', async () => {
  // alive: true for the first look, gone for three polls (the kill -9 and the restart), then held again.
  const answers = [false, false, false, true];
  let asked = 0;
  const alive = async (): Promise<boolean> => answers[Math.min(asked++, answers.length - 1)]!;
  const { said, io: out } = io();
  const r = await waitForTables(replica(12), ['crm.big'], out, 10_000, alive, { graceMs: 500, pollMs: 5 });
  assert.equal(r, true, said.join('\n'));
  assert.match(said.join('\n'), /the engine that was resyncing stopped; waiting up to 1 s for another process to take the replica over/);
  assert.match(said.join('\n'), /another process took the replica over: it goes on with the resync/);
  assert.match(said.join('\n'), /^ok\s+crm\.big/m);
});

test('no process takes the replica over within the grace: stopped, so the command goes on with the resync itself', async () => {
  const { said, io: out } = io();
  const t0 = Date.now();
  const r = await waitForTables(replica(1000), ['crm.big'], out, 10_000, async () => false, { graceMs: 200, pollMs: 5 });
  assert.equal(r, 'stopped');
  assert.ok(Date.now() - t0 >= 200, 'it gave the grace first');
  assert.doesNotMatch(said.join('\n'), /took the replica over/);
});
