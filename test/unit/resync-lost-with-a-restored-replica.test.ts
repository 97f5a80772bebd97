/**
 * `resync-tables` handed to an engine that stopped mid-resync goes on with it here (cli-commands.ts); when the
 * replica was put back to an earlier state meanwhile (restored from a backup), the resync it was waiting on
 * is not in it: the table reads `ok` with an older resync (or none). Before 2026-12-06 evening the command
 * printed that old resync as the one asked for ("resynced"); now waitForTables notes when each resync it
 * saw running began, and lostResyncs names the tables whose resync the replica no longer has, which the
 * command asks for again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitForTables } from '../../main/commands/lease-handoff.ts';
import { lostResyncs } from '../../main/commands/resync-report.ts';
import type { StateKind, StateRow } from '../../main/engine/replica/replica.ts';
import { toStateJson } from '../../main/engine/state/json.ts';
import type { ResyncReport } from '../../preload/contract/status.ts';

const resync = (startedAt: number): ResyncReport => ({ kind: 'incremental', outcome: 'repaired', startedAt, finishedAt: startedAt + 5, rowsScanned: 3, rowsReported: 3, rowsDeleted: 0, rowsBefore: 3, rowsAfter: 3, reason: null });

test('lostResyncs: only a table not busy whose last resync began before the one seen running (or has none)', () => {
  const begun = { 'crm.a': 1000, 'crm.b': 1000, 'crm.c': 1000, 'crm.d': 1000, 'crm.e': 1000 };
  const tables = [
    { id: 'crm.a', state: 'ok', lastResync: resync(400) }, // the backup's older resync: lost
    { id: 'crm.b', state: 'ok', lastResync: null }, // none at all: lost
    { id: 'crm.c', state: 'ok', lastResync: resync(1000) }, // the one seen running, ended: not lost
    { id: 'crm.d', state: 'resyncing', lastResync: resync(400) }, // still resyncing: not lost
    { id: 'crm.e', state: 'stale', lastResync: resync(1000) }, // it failed: said as such, not lost
    { id: 'crm.f', state: 'ok', lastResync: null }, // never seen running: nothing to compare with
  ];
  assert.deepEqual(lostResyncs(tables, ['crm.a', 'crm.b', 'crm.c', 'crm.d', 'crm.e', 'crm.f', 'crm.gone'], begun), ['crm.a', 'crm.b']);
});

test('waitForTables notes when each resync it saw running began (the sweep\'s startedAt in the table record)', async () => {
  let reads = 0;
  const replica = {
    async readState(kind?: StateKind): Promise<StateRow[]> {
      if (kind !== 'table') return [];
      const busy = ++reads <= 2;
      return [
        { id: 'table:crm.a', kind: 'table', value: toStateJson({ id: 'crm.a', state: busy ? 'resyncing' : 'ok', staleReason: null, sweep: busy ? { startedAt: 1234 } : null, lastResync: busy ? null : resync(1234) }) },
        { id: 'table:crm.b', kind: 'table', value: toStateJson({ id: 'crm.b', state: 'ok', staleReason: null, sweep: null }) },
      ] as StateRow[];
    },
  };
  const begun = new Map<string, number>();
  const said: string[] = [];
  assert.equal(await waitForTables(replica, ['crm.a', 'crm.b'], { out: (l) => { said.push(l); }, json: false }, 10_000, undefined, { pollMs: 5, begun }), true);
  assert.deepEqual([...begun], [['crm.a', 1234]]);
});
