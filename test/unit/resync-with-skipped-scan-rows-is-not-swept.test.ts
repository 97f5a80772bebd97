/**
 * A resync whose own scan delivered rows the table could not take (of a schema the replica table does not
 * have: skipped, counted in sweep.rowsSkipped) is not swept (finishSweep): the sweep would delete rows the
 * source has. Before 2026-12-06 such a resync ended "ok" — on the stack, a table whose definition had been
 * left behind by a refused DROP ended "repaired: 0 snapshot rows applied (source reported 148)", 0 rows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finishSweep, type SweepDeps } from '../../main/engine/snapshot/sweep.ts';
import type { TableRecord } from '../../main/engine/state/records.ts';

function table(rowsSkipped: number | undefined): TableRecord {
  return {
    id: 'crm.project', schema: 'crm', name: 'project', collection: 'crm.project',
    def: { schema: 'crm', name: 'project', columns: [{ name: 'project_id', type: { kind: 'int', bits: 32 }, nullable: false }], primaryKey: ['project_id'] },
    hash: 'h1', previousHashes: [], state: 'resyncing', staleReason: null, error: null, createdAt: 0,
    sweep: { kind: 'incremental', startedAt: 1, signalId: 's1', fence: null, scan: { status: 'SUCCEEDED', rows: 148 }, rowsApplied: 0, prev: null, rowsBefore: 148, ...(rowsSkipped === undefined ? {} : { rowsSkipped }) },
    snapshot: { kind: 'incremental', rowsSeen: 0, rowsExpected: 148, startedAt: 1 },
  } as unknown as TableRecord;
}

function deps() {
  const calls: string[] = [];
  const ctx = {
    calls,
    replica: {
      async finishSweep() { calls.push('finishSweep'); return 148; },
      async cancelSweep() { calls.push('cancelSweep'); },
      async countRows() { return 148; },
      async readState() { return []; },
    },
    registry: { put() {}, rowsUnknown() {}, rowsCounted() {}, takeDirty: () => [] },
    async persist() {},
    log: { info() {}, warn() {}, error() {}, debug() {} },
    events: { emit() {} },
    lease: null,
  };
  return ctx as unknown as SweepDeps & { calls: string[] };
}

test('rows of its own scan skipped: nothing is deleted, the table is stale saying why, the report is "failed"', async () => {
  const ctx = deps();
  const r = table(148);
  await finishSweep(ctx, r);
  assert.deepEqual(ctx.calls, ['cancelSweep'], 'the seen set is dropped, no row deleted');
  assert.equal(r.state, 'stale');
  assert.match(r.staleReason!, /^148 row\(s\) its scan delivered were of a schema the replica table does not have and were not applied.*no row was deleted\. Run `tenant-mirror resync-tables crm\.project` to retry/);
  assert.equal(r.lastResync?.outcome, 'failed');
});

test('none skipped: swept and ok as before', async () => {
  const ctx = deps();
  const r = table(undefined);
  await finishSweep(ctx, r);
  assert.deepEqual(ctx.calls, ['finishSweep']);
  assert.equal(r.state, 'ok');
  assert.equal(r.lastResync?.outcome, 'repaired');
});
