/** A command started on a replica whose stall marks an earlier process stored says them at once, one line each. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storedStallLines } from '../../main/commands/cli-commands.ts';
import type { TableStatus } from '../../preload/contract/status.ts';

const table = (id: string, over: Partial<TableStatus> = {}): TableStatus => ({ id, state: 'ok', staleReason: null, error: null, snapshot: null, ...over } as TableStatus);
const mark = (code: 'RESYNC_STALLED' | 'SNAPSHOT_STALLED' | 'REPLICA_WRITE_FAILED', message: string) => ({ code, message, retriable: true }) as TableStatus['error'];

describe('stored stall lines', () => {
  it('says nothing when no table carries a stall mark (other errors are not stalls)', () => {
    assert.deepEqual(storedStallLines({ tables: [table('crm.a'), table('crm.b', { state: 'stale', error: mark('REPLICA_WRITE_FAILED', 'x') })] }), []);
  });

  it('one line per stalled resync, naming the table and the stored reason', () => {
    const lines = storedStallLines({ tables: [
      table('crm.a', { state: 'resyncing', error: mark('RESYNC_STALLED', 'no chunk for 612 s') }),
      table('crm.b'),
      table('crm.c', { state: 'resyncing', error: mark('RESYNC_STALLED', 'no chunk for 700 s') }),
    ] });
    assert.deepEqual(lines, ['stalled (stored): crm.a — no chunk for 612 s', 'stalled (stored): crm.c — no chunk for 700 s']);
  });

  it('a full-snapshot stall is said once, with every table still owed', () => {
    const lines = storedStallLines({ tables: [
      table('crm.a', { state: 'snapshotting', error: mark('SNAPSHOT_STALLED', 'no row for 27 s') }),
      table('crm.b', { state: 'pending', error: mark('SNAPSHOT_STALLED', 'no row for 27 s') }),
      table('crm.c', { state: 'resyncing', error: mark('RESYNC_STALLED', 'no chunk') }),
    ] });
    assert.deepEqual(lines, ['stalled (stored): crm.c — no chunk', 'stalled (stored): no row for 27 s (2 table(s) still owed: crm.a, crm.b)']);
  });
});
