/** The engine's activity log as the renderer keeps it: entries pushed by the engine host, merged by id. Pure. */
import type { ActivityEntry } from '../../../preload/contract/activity.ts';

export type { ActivityEntry, ActivityLevel } from '../../../preload/contract/activity.ts';

/**
 * Merges entries into the log by id (a pushed entry with a known id replaces it: a batch line that
 * grew), oldest first, keeping at most `limit`.
 */
export function mergeEntries(log: readonly ActivityEntry[], incoming: readonly ActivityEntry[], limit: number): ActivityEntry[] {
  const byId = new Map(log.map((e) => [e.id, e]));
  for (const e of incoming) byId.set(e.id, e);
  const all = [...byId.values()].sort((a, b) => a.id - b.id);
  return all.length > limit ? all.slice(all.length - limit) : all;
}
