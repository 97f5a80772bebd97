/**
 * The last rows written without a seen mark, with the Kafka timestamp of their event. A full snapshot's
 * seen sets start at the first record of the attempt the engine reads; a change event produced after the
 * snapshot began, in a partition that was read ahead of the others (one with no record of the snapshot),
 * may already have been applied unmarked. When an attempt starts, the rows of such events (timestamp at or
 * after the attempt's record) are marked, so the sweep cannot delete a row the source still has.
 */
import type { EngineContext } from '../context.ts';
import type { Row } from '../schema/table-model.ts';

export const RECENT_LIMIT = 20_000;

interface Recent { row: Row | null; ts: number }

class RecentWrites {
  private readonly byTable = new Map<string, Map<string, Recent>>();
  private readonly order: Array<[string, string]> = [];

  note(table: string, key: string, row: Row | null, ts: number): void {
    let t = this.byTable.get(table);
    if (!t) { t = new Map(); this.byTable.set(table, t); }
    if (!t.has(key)) this.order.push([table, key]);
    t.set(key, { row, ts });
    while (this.order.length > RECENT_LIMIT) {
      const [tb, k] = this.order.shift()!;
      this.byTable.get(tb)?.delete(k);
    }
  }

  /** Rows (not deletes) of `table` written by events with a Kafka timestamp at or after `ts`. */
  since(table: string, ts: number): Row[] {
    const out: Row[] = [];
    for (const r of this.byTable.get(table)?.values() ?? []) if (r.row && r.ts >= ts) out.push(r.row);
    return out;
  }

  forget(table: string): void { this.byTable.delete(table); }
}

const books = new WeakMap<EngineContext, RecentWrites>();

export function recentWrites(ctx: EngineContext): RecentWrites {
  let b = books.get(ctx);
  if (!b) { b = new RecentWrites(); books.set(ctx, b); }
  return b;
}
