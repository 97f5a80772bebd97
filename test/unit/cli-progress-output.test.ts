/** The CLI's progress output: true snapshot figures in a line (a bar on a terminal), or JSON lines with --json. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressJson, progressLine, progressOutput } from '../../main/commands/progress-output.ts';
import type { EngineStatus, TableStatus } from '../../preload/contract/status.ts';

const table = (id: string, over: Partial<TableStatus> = {}): TableStatus => ({ id, state: 'ok', staleReason: null, error: null, snapshot: null, ...over } as TableStatus);
const status = (over: Partial<EngineStatus> = {}): EngineStatus => ({
  state: 'streaming', eventsApplied: 12_000, eventsPerSecond: 310, lagEvents: 40, lagSeconds: 1.5, tables: [table('crm.a')], gaps: [], ...over,
} as EngineStatus);

const resyncing = table('crm.person', { state: 'resyncing', snapshot: { kind: 'incremental', rowsSeen: 2500, rowsExpected: null, percent: 25, startedAt: 0, rowsPerSecond: 100, etaSeconds: 75, total: { rows: 10_000, basis: 'estimated' } } });

describe('CLI progress output', () => {
  it('says rows copied, the estimated total, percentage, rate and ETA of a running resync', () => {
    const s = status({ tables: [table('crm.a'), resyncing], snapshot: { tables: 1, rowsSeen: 2500, rowsTotal: 10_000, percent: 25, rowsPerSecond: 100, etaSeconds: 75 } });
    assert.equal(progressLine(s), '[streaming] applied 12000 (310/s) · lag 40 events, 1.5 s · tables: ok 1, resyncing 1 · snapshot of 1 table: 2,500 of ~10,000 rows (25 %) · 100 rows/s · ETA 75 s');
  });

  it('never makes up a percentage: an unknown total says so', () => {
    const s = status({ tables: [resyncing], snapshot: { tables: 1, rowsSeen: 40, rowsTotal: null, percent: null, rowsPerSecond: null, etaSeconds: null } });
    assert.match(progressLine(s), /snapshot of 1 table: 40 rows \(total unknown\)$/);
    assert.doesNotMatch(progressLine(s, true), /\[#*\.*\]/, 'no bar without a percentage');
  });

  it('puts a bar in front on a terminal', () => {
    const s = status({ tables: [resyncing], snapshot: { tables: 1, rowsSeen: 2500, rowsTotal: 10_000, percent: 25, rowsPerSecond: 100, etaSeconds: 75 } });
    assert.ok(progressLine(s, true).startsWith('[#####...............] [streaming]'), progressLine(s, true));
  });

  it('--json: one parseable record per line with the same figures', () => {
    const s = status({ tables: [resyncing], snapshot: { tables: 1, rowsSeen: 2500, rowsTotal: 10_000, percent: 25, rowsPerSecond: 100, etaSeconds: 75 } });
    const at = new Date('2026-11-30T12:00:00.000Z');
    const line = progressOutput({ json: true }, true, () => at)(s);
    assert.equal(line, progressJson(s, at));
    const o = JSON.parse(line) as { type: string; at: string; lagEvents: number; snapshot: { percent: number }; snapshots: Array<{ table: string; rowsSeen: number }> };
    assert.deepEqual([o.type, o.at, o.lagEvents, o.snapshot.percent, o.snapshots[0]!.table, o.snapshots[0]!.rowsSeen], ['progress', '2026-11-30T12:00:00.000Z', 40, 25, 'crm.person', 2500]);
  });
});
