/**
 * `resync-tables` of a table that is dropped at the source while it waits: the table's record goes (the
 * schema check drops it in the replica too). Run here, the command waited for a status row the table no
 * longer had until its timeout; handed to a running `sync`, it said "unknown" and exited 5. Now it says
 * "dropped" and counts it in step; a table taken out because it can no longer be mirrored (its key dropped)
 * is said missing with why, not in step.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitForResync } from '../../main/commands/cli-commands.ts';
import { waitForTables } from '../../main/commands/lease-handoff.ts';
import { EXIT } from '../../main/commands/exit-codes.ts';
import type { StateKind, StateRow } from '../../main/engine/replica/replica.ts';
import { toStateJson } from '../../main/engine/state/json.ts';
import type { EngineStatus, NotMirroredTable, TableStatus } from '../../preload/contract/status.ts';

const NO_KEY = 'not mirrored: the source table has no primary key';
const table = (id: string, state: TableStatus['state']): TableStatus => ({ id, state, staleReason: null, error: null, snapshot: null } as unknown as TableStatus);

/** An engine whose status moves through `steps`, one per look (the last one stays). */
function engineThrough(steps: Array<Pick<EngineStatus, 'tables' | 'notMirrored'>>) {
  let i = 0;
  const now = (): EngineStatus => ({ state: 'streaming', lagEvents: 0, ...steps[Math.min(i, steps.length - 1)]! } as unknown as EngineStatus);
  return {
    status: now,
    start: async () => undefined,
    on: () => () => undefined,
    resyncTables: async (ids: string[]) => ({ requested: ids }),
    async waitFor(pred: (s: EngineStatus) => boolean, timeoutMs: number): Promise<EngineStatus> {
      for (; i < steps.length; i++) if (pred(now())) return now();
      throw new Error(`still waiting after ${timeoutMs} ms (the table's status row is gone)`);
    },
  };
}

/** A replica whose `_ReplicationState` moves through `steps` (table records and unmirrored rows), one per read of the tables. */
function replicaThrough(steps: Array<{ tables: Array<{ id: string; state: string }>; unmirrored?: NotMirroredTable[] }>) {
  let i = -1;
  return {
    async readState(kind?: StateKind): Promise<StateRow[]> {
      if (kind === 'table') i = Math.min(i + 1, steps.length - 1);
      const step = steps[Math.max(i, 0)]!;
      if (kind === 'table') return step.tables.map((t) => ({ id: `table:${t.id}`, kind: 'table', value: toStateJson({ ...t, staleReason: null }) }));
      if (kind === 'unmirrored') return (step.unmirrored ?? []).map((t) => ({ id: `unmirrored:${t.table}`, kind: 'unmirrored', value: toStateJson(t) }));
      return [];
    },
  };
}

const lines = (): { io: { out(l: string): void; json: boolean }; said: string[] } => {
  const said: string[] = [];
  return { io: { out: (l: string) => { said.push(l); }, json: false }, said };
};

describe('resync-tables of a table dropped at the source meanwhile', () => {
  it('run here: said dropped, exit ok, no wait for the timeout', async () => {
    const e = engineThrough([{ tables: [table('crm.big', 'resyncing'), table('crm.person', 'ok')] }, { tables: [table('crm.person', 'ok')] }]);
    const { io, said } = lines();
    assert.equal(await waitForResync(e, ['crm.big'], io, 1000), EXIT.ok);
    assert.match(said.join('\n'), /^dropped\s+crm\.big — dropped at the source during the resync/m);
  });

  it('run here: its key dropped (no longer mirrored): said missing with why, exit stale', async () => {
    const e = engineThrough([{ tables: [table('crm.big', 'resyncing')] }, { tables: [], notMirrored: [{ table: 'crm.big', reason: NO_KEY, since: 1 }] }]);
    const { io, said } = lines();
    assert.equal(await waitForResync(e, ['crm.big'], io, 1000), EXIT.stale);
    assert.match(said.join('\n'), /^missing\s+crm\.big — not mirrored: the source table has no primary key/m);
  });

  it('run here: a table still there is reported as before (ok and stale)', async () => {
    const e = engineThrough([{ tables: [table('crm.a', 'resyncing'), table('crm.b', 'resyncing')] }, { tables: [table('crm.a', 'ok'), table('crm.b', 'stale')] }]);
    const { io, said } = lines();
    assert.equal(await waitForResync(e, ['crm.a', 'crm.b'], io, 1000), EXIT.stale);
    assert.match(said.join('\n'), /^ok\s+crm\.a/m);
    assert.match(said.join('\n'), /^stale\s+crm\.b/m);
  });

  it('handed to a running sync: said dropped, in step (it said "unknown", not ok)', async () => {
    const r = replicaThrough([{ tables: [{ id: 'crm.big', state: 'resyncing' }] }, { tables: [{ id: 'crm.person', state: 'ok' }] }]);
    const { io, said } = lines();
    assert.equal(await waitForTables(r, ['crm.big'], io, 10_000), true);
    assert.match(said.join('\n'), /^dropped\s+crm\.big — dropped at the source during the resync/m);
    assert.doesNotMatch(said.join('\n'), /unknown/);
  });

  it('handed to a running sync: its key dropped: said missing with why, not in step', async () => {
    const r = replicaThrough([{ tables: [], unmirrored: [{ table: 'crm.big', reason: NO_KEY, since: 1 }] }]);
    const { io, said } = lines();
    assert.equal(await waitForTables(r, ['crm.big'], io, 10_000), false);
    assert.match(said.join('\n'), /^missing\s+crm\.big — not mirrored: the source table has no primary key/m);
  });
});
