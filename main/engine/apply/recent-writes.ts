/**
 * The last rows written (and deletes), with the Kafka timestamp of their event. A full snapshot's seen
 * sets start at the first record of the attempt the engine reads, and start again when Debezium starts
 * the snapshot over: a change event produced after that record, read earlier from a partition read ahead
 * of the others, was applied unmarked (or marked in the seen set that was just wiped). When an attempt
 * starts, the rows whose last write came from such an event are marked, so the sweep cannot delete a row
 * the source still has; a row whose last write was a delete is not brought back.
 * Only primary-key values are kept (the replica holds the row as written: marking needs the key alone).
 * Per row written: a ring slot and one Map set in its table's map (O(1)); the oldest goes when the ring comes round.
 * What the ring forgets is not lost silently: per table, the newest Kafka timestamp of a row it forgot is
 * kept, so `lostSince` tells an attempt whose window was longer than the ring (its table is then not swept).
 */
import type { Row } from '../schema/table-model.ts';

export const RECENT_LIMIT = 20_000;

class RecentWrites {
  /** Per table, per row key: the ring slot of its last write. Keyed by table, then key (no joined key string per row). */
  private readonly entries = new Map<string, Map<string, number>>();
  /**
   * The last `limit` writes, a ring kept in parallel arrays (no object per write): a slot's table, row key,
   * primary-key values (null for a delete) and Kafka timestamp. A slot is reused once the ring has gone round.
   */
  private readonly tables: (string | undefined)[];
  private readonly keys: string[];
  private readonly values: (Row | null)[];
  private readonly times: Float64Array;
  private next = 0;
  /** Per table, the newest timestamp of a row (not a delete) whose last write the ring forgot. */
  private readonly forgotten = new Map<string, number>();
  /** The newest timestamp a row written before this book began (by an earlier process) can have. */
  private before = -Infinity;
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
    this.tables = new Array<string | undefined>(limit).fill(undefined);
    this.keys = new Array<string>(limit).fill('');
    this.values = new Array<Row | null>(limit).fill(null);
    this.times = new Float64Array(limit);
  }

  /** `keys`: the primary-key values of the row written (not the row: it is not kept), null for a delete. */
  note(table: string, key: string, keys: Row | null, ts: number): void {
    const slot = this.next;
    const goneTable = this.tables[slot];
    if (goneTable !== undefined) {
      const of = this.entries.get(goneTable);
      const goneKey = this.keys[slot]!;
      // Forgotten only if it is still the row's last write (a later write of the row has a slot of its own).
      if (of?.get(goneKey) === slot) {
        of.delete(goneKey);
        const goneTs = this.times[slot]!;
        if (this.values[slot] !== null && goneTs > (this.forgotten.get(goneTable) ?? -Infinity)) this.forgotten.set(goneTable, goneTs);
      }
    }
    let rows = this.entries.get(table);
    if (!rows) { rows = new Map(); this.entries.set(table, rows); }
    this.tables[slot] = table;
    this.keys[slot] = key;
    this.values[slot] = keys;
    this.times[slot] = ts;
    rows.set(key, slot);
    this.next = (slot + 1) % this.limit;
  }

  /** Rows were written before this book began, by events up to `ts` (the replica's stored offsets say so). */
  writtenBefore(ts: number): void {
    if (ts > this.before) this.before = ts;
  }

  /**
   * Whether a row of `table` written by an event at or after `ts` may be missing from `since`: the ring
   * forgot one, or it may have been written before the book began.
   */
  lostSince(table: string, ts: number): boolean {
    return Math.max(this.before, this.forgotten.get(table) ?? -Infinity) >= ts;
  }

  /** Keys of the rows (not deletes) of `table` written by events with a Kafka timestamp at or after `ts`. */
  since(table: string, ts: number): Row[] {
    const out: Row[] = [];
    for (const slot of this.entries.get(table)?.values() ?? []) {
      const keys = this.values[slot];
      if (keys && this.times[slot]! >= ts) out.push(keys);
    }
    return out;
  }
}

const books = new WeakMap<object, RecentWrites>();

/** The engine's book (made on first use, with `limit` slots: RECENT_LIMIT but in tests). */
export function recentWrites(ctx: object, limit = RECENT_LIMIT): RecentWrites {
  let b = books.get(ctx);
  if (!b) { b = new RecentWrites(limit); books.set(ctx, b); }
  return b;
}

/** Drops what was noted (the replica went back: the rows are written again as the events are read again). */
export function forgetRecentWrites(ctx: object): void {
  books.delete(ctx);
}
