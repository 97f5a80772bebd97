/**
 * Source tables the settings let in that cannot be mirrored: no primary key (Debezium sends their
 * changes without a key, so rows cannot be told apart), or a table the replica refused to create (a
 * column name PostgreSQL would truncate, say). They have no replica table and no record; each schema
 * check keeps one `unmirrored:<table>` state row per such table, so `sync`, `info` and the status name
 * them with why (exit 5) instead of "caught up: every table in step" while the replica lacks them — and
 * the other tables go on (a refused CREATE TABLE stopped every table: `sync` exited 1 at each run).
 * Given a primary key at the source, or once the replica takes the table, the next check creates and
 * fills it, and its row goes.
 */
import type { EngineContext } from './context.ts';
import type { StateRow } from './replica/replica.ts';
import type { SchemaLog } from './schema/history-log.ts';
import { fromStateJson, toStateJson } from './state/json.ts';
import type { NotMirroredTable } from '../../preload/contract/status.ts';
import { isTransient, type RetryDeps } from './apply/control-retry.ts';
import { MirrorError } from './errors.ts';

export const UNMIRRORED_KIND = 'unmirrored';
export const unmirroredId = (table: string): string => `${UNMIRRORED_KIND}:${table}`;

const NO_KEY = 'not mirrored: the source table has no primary key, so its rows cannot be told apart (Debezium sends its changes without a key; they are kept as poison events); give it a primary key at the source and it is created here and filled';

/** Why the replica refused a table's DDL, or null when the failure is not the table's (transient, the lease, the replica gone back): then it stops the check. */
export function tableRefusal(ctx: RetryDeps, err: unknown): string | null {
  if (isTransient(ctx, err)) return null;
  const e = MirrorError.from(err, 'SCHEMA_CONFLICT');
  if (e.code === 'REPLICA_LEASE_LOST' || e.code === 'REPLICA_WENT_BACK') return null;
  return `not mirrored: the replica refused the table [${e.code}]: ${e.message}`;
}

/** The stored rows, read back (info, engine start). */
export function unmirroredFromRows(rows: ReadonlyArray<{ id: string; kind: string; value: string }>): NotMirroredTable[] {
  return rows.filter((r) => r.kind === UNMIRRORED_KIND).map((r) => fromStateJson<NotMirroredTable>(r.value)).sort((a, b) => a.table.localeCompare(b.table));
}

/** The rows to write and remove so that the stored list is the history's tables without a key (ids `schema.table` as tableId spells them). */
export function followUnmirrored(ctx: Pick<EngineContext, 'log' | 'unmirrored' | 'registry'>, log: SchemaLog, refused: ReadonlyMap<string, string> = new Map(), now = Date.now()): { rows: StateRow[]; remove: string[] } {
  const was = ctx.unmirrored ?? new Map<string, NotMirroredTable>();
  const next = new Map<string, NotMirroredTable>();
  for (const [id, entries] of log) {
    const def = entries[entries.length - 1]?.def;
    if (!def || ctx.registry.get(id)) continue;
    const reason = !def.primaryKey.length ? NO_KEY : refused.get(id);
    if (reason === undefined) continue;
    const before = was.get(id);
    next.set(id, before?.reason === reason ? before : { table: id, reason, since: before?.since ?? now });
  }
  ctx.unmirrored = next;
  const changed = [...next.values()].filter((t) => was.get(t.table) !== t);
  for (const t of changed) ctx.log.warn('table not mirrored', { table: t.table, reason: t.reason });
  return {
    rows: changed.map((t) => ({ id: unmirroredId(t.table), kind: UNMIRRORED_KIND, value: toStateJson(t) })),
    remove: [...was.keys()].filter((id) => !next.has(id)).map(unmirroredId),
  };
}
