/**
 * Source tables the settings let in that cannot be mirrored: no primary key (Debezium sends their
 * changes without a key, so rows cannot be told apart). They have no replica table and no record; each
 * schema check keeps one `unmirrored:<table>` state row per such table, so `sync`, `info` and the status
 * name them with why (exit 5) instead of "caught up: every table in step" while the replica lacks them.
 * Given a primary key at the source, the next check creates and fills the table, and its row goes.
 */
import type { EngineContext } from './context.ts';
import type { StateRow } from './replica/replica.ts';
import type { SchemaLog } from './schema/history-log.ts';
import { fromStateJson, toStateJson } from './state/json.ts';
import type { NotMirroredTable } from '../../preload/contract/status.ts';

export const UNMIRRORED_KIND = 'unmirrored';
export const unmirroredId = (table: string): string => `${UNMIRRORED_KIND}:${table}`;

const NO_KEY = 'not mirrored: the source table has no primary key, so its rows cannot be told apart (Debezium sends its changes without a key; they are kept as poison events); give it a primary key at the source and it is created here and filled';

/** The stored rows, read back (info, engine start). */
export function unmirroredFromRows(rows: ReadonlyArray<{ id: string; kind: string; value: string }>): NotMirroredTable[] {
  return rows.filter((r) => r.kind === UNMIRRORED_KIND).map((r) => fromStateJson<NotMirroredTable>(r.value)).sort((a, b) => a.table.localeCompare(b.table));
}

/** The rows to write and remove so that the stored list is the history's tables without a key (ids `schema.table` as tableId spells them). */
export function followUnmirrored(ctx: Pick<EngineContext, 'log' | 'unmirrored' | 'registry'>, log: SchemaLog, now = Date.now()): { rows: StateRow[]; remove: string[] } {
  const was = ctx.unmirrored ?? new Map<string, NotMirroredTable>();
  const next = new Map<string, NotMirroredTable>();
  for (const [id, entries] of log) {
    const def = entries[entries.length - 1]?.def;
    if (!def || def.primaryKey.length || ctx.registry.get(id)) continue;
    next.set(id, was.get(id) ?? { table: id, reason: NO_KEY, since: now });
  }
  ctx.unmirrored = next;
  for (const t of next.values()) if (!was.has(t.table)) ctx.log.warn('table without a primary key is not mirrored', { table: t.table });
  return {
    rows: [...next.values()].filter((t) => !was.has(t.table)).map((t) => ({ id: unmirroredId(t.table), kind: UNMIRRORED_KIND, value: toStateJson(t) })),
    remove: [...was.keys()].filter((id) => !next.has(id)).map(unmirroredId),
  };
}
