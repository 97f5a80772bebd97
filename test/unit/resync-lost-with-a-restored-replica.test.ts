/**
 * `resync-tables` handed to an engine that stopped mid-resync goes on with it here (cli-commands.ts); when the
 * replica was put back to an earlier state meanwhile (restored from a backup), the resync it was waiting on
 * is not in it: the table reads `ok` with an older resync (or none). Before 2026-12-06 evening the command
 * printed that old resync as the one asked for ("resynced"); now waitForTables notes when each resync it
 * saw running began, and lostResyncs names the tables whose resync the replica no longer has, which the
 * command asks for again. So does the engine run here (waitForResync), since 2026-12-07.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitForResync } from '../../main/commands/cli-commands.ts';
import { EXIT } from '../../main/commands/exit-codes.ts';
import { HAND_OVER_TRIES, waitForTables } from '../../main/commands/lease-handoff.ts';
import { lostResyncs } from '../../main/commands/resync-report.ts';
import type { StateKind, StateRow } from '../../main/engine/replica/replica.ts';
import { toStateJson } from '../../main/engine/state/json.ts';
import type { EngineStatus, ResyncReport, TableStatus } from '../../preload/contract/status.ts';

const resync = (startedAt: number): ResyncReport => ({ kind: 'incremental', outcome: 'repaired', startedAt, finishedAt: startedAt + 5, rowsScanned: 3, rowsReported: 3, rowsDeleted: 0, rowsBefore: 3, rowsAfter: 3, reason: null });

test('lostResyncs: only a table ok whose last resync began before the one seen running (or has none)', () => {
  const begun = { 'crm.a': 1000, 'crm.b': 1000, 'crm.c': 1000, 'crm.d': 1000, 'crm.e': 1000, 'crm.h': 1000 };
  const tables = [
    { id: 'crm.a', state: 'ok', lastResync: resync(400) }, // the backup's older resync: lost
    { id: 'crm.b', state: 'ok', lastResync: null }, // none at all: lost
    { id: 'crm.c', state: 'ok', lastResync: resync(1000) }, // the one seen running, ended: not lost
    { id: 'crm.d', state: 'resyncing', lastResync: resync(400) }, // still resyncing: not lost
    { id: 'crm.e', state: 'stale', lastResync: resync(1000) }, // it failed: said as such, not lost
    { id: 'crm.f', state: 'ok', lastResync: null }, // never seen running: nothing to compare with
    { id: 'crm.h', state: 'halted', lastResync: resync(400) }, // halted meanwhile: said as such, not asked again
  ];
  assert.deepEqual(lostResyncs(tables, ['crm.a', 'crm.b', 'crm.c', 'crm.d', 'crm.e', 'crm.f', 'crm.h', 'crm.gone'], begun), ['crm.a', 'crm.b']);
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

/**
 * The engine run here (resync-tables with no sync running, reset-offsets): the replica restored under it
 * puts the table back to `ok` with the backup's older resync. Each resync asked for starts `resyncing`
 * (startedAt the ask's time), then the next look sees what `after` says.
 */
function engineRestoredUnder(after: (asks: number, startedAt: number) => TableStatus) {
  let current: TableStatus = tableStatus('resyncing', 1000, null);
  let pending: TableStatus | null = after(0, 1000);
  let asks = 0;
  return {
    asks: () => asks,
    status: (): EngineStatus => ({ state: 'streaming', lagEvents: 0, tables: [current, tableStatus('ok', null, resync(10), 'crm.other')] } as unknown as EngineStatus),
    start: async () => undefined,
    on: () => () => undefined,
    async resyncTables(ids: string[]) {
      asks++;
      const at = 1000 + asks * 1000;
      current = tableStatus('resyncing', at, null);
      pending = after(asks, at);
      return { requested: ids };
    },
    async waitFor(pred: (s: EngineStatus) => boolean): Promise<EngineStatus> {
      if (pred(this.status())) return this.status();
      if (pending) { current = pending; pending = null; }
      if (pred(this.status())) return this.status();
      throw new Error('still busy');
    },
  };
}

function tableStatus(state: TableStatus['state'], snapshotStartedAt: number | null, lastResync: ResyncReport | null, id = 'crm.a'): TableStatus {
  return { id, state, staleReason: null, error: null, lastResync, snapshot: snapshotStartedAt === null ? null : { kind: 'incremental', rowsSeen: 0, rowsExpected: null, percent: null, startedAt: snapshotStartedAt } } as unknown as TableStatus;
}

test('run here: a resync lost to a restore under the command is asked for again, said; the new one is reported', async () => {
  // First the backup's state (ok, its resync began at 400); the resync asked again ends in the replica.
  const e = engineRestoredUnder((asks, at) => tableStatus('ok', null, resync(asks === 0 ? 400 : at)));
  const said: string[] = [];
  const code = await waitForResync(e, ['crm.a'], { out: (l) => { said.push(l); }, json: false }, 10_000);
  const text = said.join('\n');
  assert.equal(code, EXIT.ok, text);
  assert.equal(e.asks(), 1);
  assert.match(text, /the replica went back to an earlier state \(restored from a backup\?\) while this command waited: the resync of crm\.a is not in it; asking for it again/);
  assert.match(text, /^ok\s+crm\.a · repaired/m);
  assert.match(text, /^resynced: crm\.a$/m);
});

test('run here: lost again and again, it is asked for HAND_OVER_TRIES times in all, then said lost and not in step (exit 5)', async () => {
  const e = engineRestoredUnder(() => tableStatus('ok', null, resync(400)));
  const said: string[] = [];
  const code = await waitForResync(e, ['crm.a'], { out: (l) => { said.push(l); }, json: false }, 10_000);
  const text = said.join('\n');
  assert.equal(code, EXIT.stale, text);
  assert.equal(e.asks(), HAND_OVER_TRIES - 1);
  assert.match(text, /^lost\s+crm\.a — its resync is not in the replica/m);
  assert.doesNotMatch(text, /^resynced/m);
});

test('run here: a resync that ends normally is not taken for lost', async () => {
  const e = engineRestoredUnder((_asks, at) => tableStatus('ok', null, resync(at)));
  const said: string[] = [];
  assert.equal(await waitForResync(e, ['crm.a'], { out: (l) => { said.push(l); }, json: false }, 10_000), EXIT.ok, said.join('\n'));
  assert.equal(e.asks(), 0);
});
