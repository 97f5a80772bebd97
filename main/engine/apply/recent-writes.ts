/**
 * The last rows written (and deletes), with the Kafka timestamp of their event. A full snapshot's seen
 * sets start at the first record of the attempt the engine reads, and start again when Debezium starts
 * the snapshot over: a change event produced after that record, read earlier from a partition read ahead
 * of the others, was applied unmarked (or marked in the seen set that was just wiped). When an attempt
 * starts, the rows whose last write came from such an event are marked, so the sweep cannot delete a row
 * the source still has; a row whose last write was a delete is not brought back.
 * Per row written: a ring slot and one Map set (O(1)); the oldest key goes when the ring comes round.
 */
import type { Row } from '../schema/table-model.ts';

export const RECENT_LIMIT = 20_000;

interface Recent { table: string; row: Row | null; ts: number; slot: number }

class RecentWrites {
  private readonly entries = new Map<string, Recent>();
  /** The last RECENT_LIMIT keys written, a ring: a slot is reused once the ring has gone round. */
  private readonly ring: Array<string | null> = new Array<string | null>(RECENT_LIMIT).fill(null);
  private next = 0;

  note(table: string, key: string, row: Row | null, ts: number): void {
    const k = `${table}\u0000${key}`;
    const slot = this.next;
    const old = this.ring[slot];
    if (old !== null && old !== undefined && this.entries.get(old)?.slot === slot) this.entries.delete(old);
    this.ring[slot] = k;
    this.entries.set(k, { table, row, ts, slot });
    this.next = (slot + 1) % RECENT_LIMIT;
  }

  /** Rows (not deletes) of `table` written by events with a Kafka timestamp at or after `ts`. */
  since(table: string, ts: number): Row[] {
    const out: Row[] = [];
    for (const r of this.entries.values()) if (r.table === table && r.row && r.ts >= ts) out.push(r.row);
    return out;
  }
}

const books = new WeakMap<object, RecentWrites>();

export function recentWrites(ctx: object): RecentWrites {
  let b = books.get(ctx);
  if (!b) { b = new RecentWrites(); books.set(ctx, b); }
  return b;
}

/** Drops what was noted (the replica went back: the rows are written again as the events are read again). */
export function forgetRecentWrites(ctx: object): void {
  books.delete(ctx);
}
