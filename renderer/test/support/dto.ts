/** Constructed status DTOs for component tests. */
import type { EngineStatus, TableStatus } from '../../../preload/contract/status.ts';

export function tableStatus(id: string, over: Partial<TableStatus> = {}): TableStatus {
  return {
    id, state: 'ok', rows: 0, snapshot: null, lastSourceTs: null, lastAppliedAt: null, eventsApplied: 0, lagSeconds: 0,
    staleReason: null, error: null, schemaHash: null, ...over,
  };
}

/** `n` tables `crm.t000`…, rows = index × 10, every 7th snapshotting. */
export function manyTables(n: number): TableStatus[] {
  return Array.from({ length: n }, (_, i) => tableStatus(`crm.t${String(i).padStart(3, '0')}`, {
    rows: i * 10,
    eventsApplied: (i * 37) % 101,
    lagSeconds: (i % 13) / 2,
    lastAppliedAt: Date.now() - i * 1000,
    ...(i % 7 === 3 ? { state: 'snapshotting' as const, snapshot: { kind: 'initial' as const, rowsSeen: i, rowsExpected: 1000, percent: null, startedAt: 0 } } : {}),
  }));
}

export function engineStatus(over: Partial<EngineStatus> = {}): EngineStatus {
  return {
    state: 'streaming', ctx: 'acme', replica: 'sqlite', tables: [], partitions: [
      { topic: 'acme-cdc', partition: 0, nextOffset: '120', high: '130', low: '0', lagEvents: 10 },
    ],
    gaps: [], lagSeconds: 1.5, lagEvents: 10, eventsApplied: 1200, eventsPerSecond: 42, lastError: null,
    startedAt: Date.now() - 60_000, updatedAt: Date.now(), ...over,
  };
}
