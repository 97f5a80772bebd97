/** Activity log lines from pushed events. Pure. */
import type { EngineEvents } from '../../../preload/contract/status.ts';

export type ActivityLevel = 'info' | 'warn' | 'error';
export interface ActivityEntry { id: number; at: number; level: ActivityLevel; text: string }

type Described = { level: ActivityLevel; text: string };

export const describeEvent = {
  'state-changed': (e: EngineEvents['state-changed']): Described => ({
    level: e.state === 'error' ? 'error' : e.state === 'retrying' ? 'warn' : 'info',
    text: `Engine ${e.previous} → ${e.state}${e.reason ? `: ${e.reason}` : ''}`,
  }),
  'batch-applied': (e: EngineEvents['batch-applied']): Described => ({
    level: 'info',
    text: `Applied ${e.events} event${e.events === 1 ? '' : 's'} to ${e.tables.length > 3 ? `${e.tables.length} tables` : e.tables.join(', ')} in ${e.ms} ms`,
  }),
  'table-stale': (e: EngineEvents['table-stale']): Described => ({
    level: 'warn',
    text: `${e.table} is stale: ${e.reason}${e.gap ? ` (offsets ${e.gap.fromOffset}–${e.gap.toOffset} of ${e.gap.topic}:${e.gap.partition})` : ''}`,
  }),
  'table-recovered': (e: EngineEvents['table-recovered']): Described => ({ level: 'info', text: `${e.table} recovered` }),
  'error': (e: EngineEvents['error']): Described => ({
    level: e.error.retriable ? 'warn' : 'error',
    text: `${e.error.code}${e.table ? ` on ${e.table}` : ''}: ${e.error.message}`,
  }),
} as const;

/** Appends an entry, newest last, keeping at most `limit`. */
export function appendEntry(log: readonly ActivityEntry[], entry: ActivityEntry, limit: number): ActivityEntry[] {
  const next = log.length >= limit ? log.slice(log.length - limit + 1) : log.slice();
  next.push(entry);
  return next;
}
