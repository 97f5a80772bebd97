/**
 * In-memory view of the replicated tables, persisted as `table:<id>` rows of `_ReplicationState`. Ids are
 * exact (schema/table-model.ts `tableId`): `crm.Casey` and `crm.casey` are two tables (docs/naming.md).
 */
import type { TableStatus } from '../../preload/contract/status.ts';
import type { StateRow } from './replica/replica.ts';
import { tableId } from './schema/table-model.ts';
import { toStateJson } from './state/json.ts';
import { stateIds } from './state/records.ts';
import type { TableRecord } from './state/records.ts';

/**
 * Per-table figures of this run. `rows`: COUNT(*) taken inside the control loop, then kept from what each
 * commit inserted and deleted (the replica reports it), so it is what the table holds; counted again right
 * after a sweep or truncate, 0 for a table recreated; null while unknown (not counted yet, or a commit
 * whose answer was lost).
 * `rowsAt`: when it was last known (its count or the last commit that moved it).
 */
export interface TableCounters { eventsApplied: number; lastSourceTs: number | null; lastAppliedAt: number | null; rows: number | null; rowsAt: number | null }

/**
 * Records by exact table id, whatever key they are set with. A record read from a row written when ids
 * were lower-cased (`table:crm.contact` for `crm.Contact`) is filed under its exact id, and a record
 * stored under the exact id wins over it, in whichever order the rows are read.
 */
export class RecordMap extends Map<string, TableRecord> {
  /** Exact ids whose record came from a lower-cased row (replaced when an exact one arrives). */
  readonly fromLegacy = new Set<string>();

  override clear(): void {
    super.clear();
    this.fromLegacy.clear();
  }

  override set(_key: string, rec: TableRecord): this {
    const id = typeof rec.schema === 'string' && typeof rec.name === 'string' ? tableId(rec) : rec.id;
    if (rec.id !== id) {
      if (super.has(id) && !this.fromLegacy.has(id)) return this;
      rec.id = id;
      this.fromLegacy.add(id);
    } else {
      this.fromLegacy.delete(id);
    }
    return super.set(id, rec);
  }
}

export class TableRegistry {
  readonly records = new RecordMap();
  readonly counters = new Map<string, TableCounters>();
  private readonly dirty = new Set<string>();

  /** The record of an exact id (never another table whose id differs only in case). */
  get(id: string): TableRecord | undefined { return this.records.get(id); }

  /**
   * For ids a user typed: the exact id, else the one record whose id matches case-insensitively; never a
   * guess between two (`crm.casey` typed while `crm.Casey` and `crm.CASEY` exist finds neither).
   */
  lookup(text: string): TableRecord | undefined {
    const exact = this.records.get(text);
    if (exact) return exact;
    const folded = text.toLowerCase();
    const hits = this.all().filter((r) => r.id.toLowerCase() === folded);
    return hits.length === 1 ? hits[0] : undefined;
  }
  all(): TableRecord[] { return [...this.records.values()]; }

  put(rec: TableRecord): void {
    this.records.set(rec.id, rec);
    this.dirty.add(rec.id);
  }
  touch(id: string): void { if (this.records.has(id)) this.dirty.add(id); }
  remove(id: string): void { this.records.delete(id); this.counters.delete(id); this.dirty.delete(id); }

  counter(id: string): TableCounters {
    let c = this.counters.get(id);
    if (!c) { c = { eventsApplied: 0, lastSourceTs: null, lastAppliedAt: null, rows: null, rowsAt: null }; this.counters.set(id, c); }
    return c;
  }

  /** A commit inserted and deleted these rows of `id` (a count not known stays unknown). */
  rowsChanged(id: string, inserted: number, deleted: number, at = Date.now()): void {
    const c = this.counter(id);
    if (c.rows === null || (inserted === 0 && deleted === 0)) return;
    c.rows += inserted - deleted;
    c.rowsAt = at;
  }

  /** `rows` counted (or known: a table just created is empty) inside the control loop. */
  rowsCounted(id: string, rows: number, at = Date.now()): void {
    const c = this.counter(id);
    c.rows = rows;
    c.rowsAt = at;
  }

  /** Rows of `id` changed in a way not counted (a sweep, a truncate, a rebuild, a commit whose answer was lost): counted again. */
  rowsUnknown(id: string): void {
    const c = this.counter(id);
    c.rows = null;
    c.rowsAt = null;
  }

  /** Tables whose row count is not known: the engine counts them (inside the control loop). */
  uncounted(): string[] { return this.all().map((r) => r.id).filter((id) => this.counter(id).rows === null); }

  /** Rows for the dirty records; the caller writes them (usually inside the next apply transaction). */
  takeDirty(): StateRow[] {
    const rows: StateRow[] = [];
    for (const id of this.dirty) {
      const r = this.records.get(id);
      if (r) rows.push({ id: stateIds.table(id), kind: 'table', value: toStateJson(r) });
    }
    this.dirty.clear();
    return rows;
  }
  hasDirty(): boolean { return this.dirty.size > 0; }

  status(now: number, caughtUp: boolean): TableStatus[] {
    return this.all().map((r) => {
      const c = this.counter(r.id);
      const snap = r.snapshot;
      return {
        id: r.id,
        state: r.state,
        rows: c.rows,
        snapshot: snap ? {
          kind: snap.kind, rowsSeen: snap.rowsSeen, rowsExpected: snap.rowsExpected, startedAt: snap.startedAt,
          percent: snap.rowsExpected ? Math.min(100, Math.round((snap.rowsSeen / snap.rowsExpected) * 1000) / 10) : null,
        } : null,
        lastSourceTs: c.lastSourceTs,
        lastAppliedAt: c.lastAppliedAt,
        eventsApplied: c.eventsApplied,
        lagSeconds: caughtUp ? 0 : c.lastSourceTs && c.lastAppliedAt ? Math.max(0, (now - c.lastSourceTs) / 1000) : null,
        staleReason: r.staleReason,
        error: r.error,
        schemaHash: r.hash,
        lastResync: r.lastResync ?? null,
      };
    });
  }
}
