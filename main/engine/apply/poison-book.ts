/**
 * Poison bookkeeping stays bounded: per table, the first POISON_KEEP events are kept whole (raw value up
 * to 64 KiB) as `poison:<topic>:<p>:<offset>` rows, and one `poison-summary:<table>` row counts them all
 * with the first and last offset and the last reason. A flood of bad events cannot fill the replica.
 */
import type { EngineContext } from '../context.ts';
import type { StateRow } from '../replica/replica.ts';
import { fromStateJson, toStateJson } from '../state/json.ts';
import type { PoisonRecord } from '../state/records.ts';
import { stateIds } from '../state/records.ts';

/** What this module uses of the engine's state (a narrow view of EngineContext). */
export type PoisonDeps = Pick<EngineContext, 'replica'>;

export const POISON_KEEP = 20;

export interface PoisonSummary { table: string; count: number; kept: number; first: string; last: string; lastCode: string; lastReason: string; at: number }

const summaries = new WeakMap<object, Map<string, PoisonSummary>>();

export const summaryId = (table: string): string => `poison-summary:${table}`;

async function summaryOf(ctx: PoisonDeps, table: string): Promise<PoisonSummary | null> {
  let book = summaries.get(ctx);
  if (!book) {
    book = new Map();
    for (const r of await ctx.replica.readState('poison')) {
      if (!r.id.startsWith('poison-summary:')) continue;
      const s = fromStateJson<PoisonSummary>(r.value);
      book.set(s.table, s);
    }
    summaries.set(ctx, book);
  }
  return book.get(table) ?? null;
}

/** The state rows recording one poison event (its own row while under the bound, always the summary). */
export async function poisonRows(ctx: PoisonDeps, p: PoisonRecord): Promise<StateRow[]> {
  const table = p.table ?? '(unknown table)';
  const where = `${p.topic}:${p.partition}:${p.offset}`;
  const prev = await summaryOf(ctx, table);
  const keep = (prev?.kept ?? 0) < POISON_KEEP;
  const s: PoisonSummary = {
    table, count: (prev?.count ?? 0) + 1, kept: (prev?.kept ?? 0) + (keep ? 1 : 0), first: prev?.first ?? where, last: where,
    lastCode: p.code, lastReason: p.reason, at: p.at,
  };
  summaries.get(ctx)!.set(table, s);
  const rows: StateRow[] = [{ id: summaryId(table), kind: 'poison', value: toStateJson(s) }];
  if (keep) rows.push({ id: stateIds.poison(p.topic, p.partition, p.offset), kind: 'poison', value: toStateJson(p) });
  return rows;
}

/**
 * A resync repaired the table: the rows it holds are the source's now, so its poison events are
 * superseded (a table halted by one is repaired by a resync). Returns the state rows to remove with the
 * sweep's record; `info` stops counting them. The activity log keeps what happened.
 */
export async function supersededPoison(ctx: PoisonDeps, table: string): Promise<string[]> {
  const ids: string[] = [];
  for (const r of await ctx.replica.readState('poison')) {
    if (fromStateJson<{ table: string | null }>(r.value).table === table) ids.push(r.id);
  }
  summaries.get(ctx)?.delete(table);
  return ids;
}
