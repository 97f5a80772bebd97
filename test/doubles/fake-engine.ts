/** An in-memory EngineControl for shell/transport unit tests (the real engine is used in integration tests). */
import type { EngineEventName, EngineEvents, EngineStatus, TableStatus } from '../../preload/contract/status.ts';
import type { EngineControl, SchemaCheckResult } from '../../main/engine/engine-control.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { EngineEmitter } from '../../main/engine/events.ts';

export function table(id: string, state: TableStatus['state'] = 'ok'): TableStatus {
  return { id, state, rows: 0, snapshot: null, lastSourceTs: null, lastAppliedAt: null, eventsApplied: 0, lagSeconds: null, staleReason: null, error: null, schemaHash: null };
}

export function status(patch: Partial<EngineStatus> = {}): EngineStatus {
  return {
    state: 'streaming', ctx: 't1', replica: 'sqlite', tables: [], partitions: [], gaps: [], lagSeconds: 0, lagEvents: 0,
    eventsApplied: 0, eventsPerSecond: 0, lastError: null, startedAt: 1, updatedAt: 1, ...patch,
  };
}

export class FakeEngine implements EngineControl {
  current: EngineStatus = status();
  calls: string[] = [];
  private readonly events = new EngineEmitter();

  status(): EngineStatus { return this.current; }
  async start(): Promise<void> { this.calls.push('start'); }
  async provision(): Promise<void> { this.calls.push('provision'); }
  /** Thrown by the next resetOffsets (then cleared). */
  resetFails: MirrorError | null = null;
  async resetOffsets(): Promise<{ partitions: number; tables: string[] }> {
    this.calls.push('resetOffsets');
    const err = this.resetFails;
    this.resetFails = null;
    if (err) throw err;
    return { partitions: 1, tables: this.current.tables.map((t) => t.id) };
  }
  async pause(): Promise<void> { this.calls.push('pause'); this.set('paused'); }
  async resume(): Promise<void> { this.calls.push('resume'); this.set('streaming'); }
  async resyncTables(tables: string[]): Promise<{ requested: string[] }> {
    this.calls.push(`resync:${tables.join(',')}`);
    const unknown = tables.find((t) => !this.current.tables.some((x) => x.id === t));
    if (unknown) throw new MirrorError('TABLE_UNKNOWN', `${unknown} is not replicated`, { detail: { table: unknown } });
    return { requested: tables };
  }
  async updateSchema(): Promise<SchemaCheckResult> {
    this.calls.push('updateSchema');
    return { created: [], altered: [], recreated: [], dropped: [], snapshotsRequested: [] };
  }
  async stop(): Promise<void> { this.calls.push('stop'); }
  on<K extends EngineEventName>(event: K, listener: (payload: EngineEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }
  emit<K extends EngineEventName>(event: K, payload: EngineEvents[K]): void {
    this.events.emit(event, payload);
  }
  set(state: EngineStatus['state']): void {
    const previous = this.current.state;
    this.current = { ...this.current, state };
    this.emit('state-changed', { state, previous, reason: null });
  }
}
