/**
 * When the engine counts a table's rows: once at start (and after it is resynced or its schema
 * changed), then only tables it applied changes to, at most every `minIntervalMs` — an idle table
 * of a large replica is never counted again, and every count carries the time it was taken ("as of").
 */
export interface RowCountPlan {
  /** The engine applied changes to these tables. */
  touched(tables: readonly string[]): void;
  /** Count this table at the next round whatever its interval (a resync swept it, its schema changed); the last count keeps its time until then. */
  invalidate(table: string): void;
  /** Tables to count now, of `ids` (the replicated tables). */
  due(ids: readonly string[], now: number): string[];
  counted(table: string, at: number): void;
  asOf(table: string): number | null;
}

export function createRowCountPlan(minIntervalMs = 30_000): RowCountPlan {
  const asOf = new Map<string, number>();
  const dirty = new Set<string>();
  const forced = new Set<string>();
  return {
    touched(tables) { for (const t of tables) dirty.add(t); },
    invalidate(table) { forced.add(table); },
    due(ids, now) {
      return ids.filter((id) => {
        const at = asOf.get(id);
        if (at === undefined || forced.has(id)) return true;
        return dirty.has(id) && now - at >= minIntervalMs;
      });
    },
    counted(table, at) { asOf.set(table, at); dirty.delete(table); forced.delete(table); },
    asOf: (table) => asOf.get(table) ?? null,
  };
}
