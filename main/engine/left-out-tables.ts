/**
 * Tables the settings' filter (`tables`: include, exclude, the blocked list) stops mirroring after they were
 * registered. Their change events are skipped from then on, so the replica's copy falls out of step: the
 * table is said stale with why, not "ok" (a table left out, changed at the source, then let in again was
 * "ok" and silently different). Let in again, it is resynced from the source (the caller requests it).
 */
import type { EngineContext } from './context.ts';

const iso = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/** Marks newly left-out tables stale; returns the ids of left-out tables the filter mirrors again (to resync). */
export async function followTableFilter(ctx: Pick<EngineContext, 'registry' | 'replica' | 'filter' | 'log'>, now = Date.now()): Promise<string[]> {
  const again: string[] = [];
  for (const rec of ctx.registry.all()) {
    const mirrored = ctx.filter(rec.schema, rec.name) === 'mirror';
    if (!mirrored && !rec.leftOutAt) {
      if (rec.sweep) await ctx.replica.cancelSweep(rec.def); // its snapshot rows are skipped too: no sweep can end
      rec.sweep = null;
      rec.snapshot = null;
      rec.leftOutAt = now;
      rec.state = 'stale';
      rec.staleReason = `not replicated: left out by the tables setting (include / exclude / blocked list) since ${iso(now)}; its changes are not applied, so its rows here are as they were then — let in again, it is resynced`;
      rec.error = null;
      ctx.registry.put(rec);
      ctx.log.warn('table left out by the tables setting: no longer kept in step', { table: rec.id });
    } else if (mirrored && rec.leftOutAt && rec.state === 'resyncing') {
      // Its resync begun since it was let in (the schema check rebuilt it for a change made while it was
      // out; a left-out table has none): that resync replaces what it missed.
      rec.leftOutAt = null;
      ctx.registry.put(rec);
    } else if (mirrored && rec.leftOutAt) {
      rec.staleReason = `let in again by the tables setting after being left out since ${iso(rec.leftOutAt)}: resynced from the source`;
      rec.leftOutAt = null;
      rec.state = 'stale'; // until its resync (markResync) replaces what it missed
      ctx.registry.put(rec);
      again.push(rec.id);
    }
  }
  return again;
}
