/** Activity log lines from pushed events. Pure. */
import type { EngineEvents } from '../../../preload/contract/status.ts';
import { formatCount } from './format.ts';

export type ActivityLevel = 'info' | 'warn' | 'error';
export interface ActivityEntry {
  id: number;
  at: number;
  level: ActivityLevel;
  text: string;
  /** Present on a line that sums up consecutive applied batches. */
  batch?: { events: number; batches: number; tables: string[]; ms: number; since: number };
}

type Described = { level: ActivityLevel; text: string };

export const describeEvent = {
  'state-changed': (e: EngineEvents['state-changed']): Described => ({
    level: e.state === 'error' ? 'error' : e.state === 'retrying' ? 'warn' : 'info',
    text: `Engine ${e.previous} → ${e.state}${e.reason ? `: ${e.reason}` : ''}`,
  }),
  'table-stale': (e: EngineEvents['table-stale']): Described => ({
    level: 'warn',
    text: `${e.table} is stale: ${e.reason}${e.gap ? ` (offsets ${e.gap.fromOffset}–${e.gap.toOffset} of ${e.gap.topic}:${e.gap.partition})` : ''}`,
  }),
  'table-recovered': (e: EngineEvents['table-recovered']): Described => ({ level: 'info', text: `${e.table} recovered` }),
  'table-resynced': (e: EngineEvents['table-resynced']): Described => ({
    level: e.report.outcome === 'failed' ? 'warn' : 'info',
    text: e.report.outcome === 'failed'
      ? `Resync of ${e.table} failed, nothing deleted: ${e.report.reason ?? 'no reason given'}`
      : `Resync of ${e.table}: ${formatCount(e.report.rowsScanned)} rows scanned${e.report.rowsReported === null ? '' : ` (source reported ${formatCount(e.report.rowsReported)})`}, ${formatCount(e.report.rowsDeleted)} deleted by the sweep`,
  }),
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

/** Batches applied within this window of the first one are summed up on one line. */
export const BATCH_WINDOW_MS = 5000;

function batchText(b: NonNullable<ActivityEntry['batch']>): string {
  const where = b.tables.length > 3 ? `${b.tables.length} tables` : b.tables.join(', ');
  const batches = b.batches === 1 ? `in ${formatCount(b.ms)} ms` : `in ${formatCount(b.batches)} batches (${formatCount(b.ms)} ms)`;
  return `Applied ${formatCount(b.events)} event${b.events === 1 ? '' : 's'} to ${where} ${batches}`;
}

/**
 * Adds an applied batch: merged into the newest line when that line sums up batches begun less
 * than BATCH_WINDOW_MS ago, so a busy stream does not flood the log.
 */
export function appendBatch(
  log: readonly ActivityEntry[], e: EngineEvents['batch-applied'], at: number, nextId: () => number, limit: number,
): ActivityEntry[] {
  const last = log[log.length - 1];
  if (last?.batch && at - last.batch.since < BATCH_WINDOW_MS) {
    const b = last.batch;
    const tables = [...new Set([...b.tables, ...e.tables])];
    const batch = { events: b.events + e.events, batches: b.batches + 1, tables, ms: b.ms + e.ms, since: b.since };
    return [...log.slice(0, -1), { ...last, at, text: batchText(batch), batch }];
  }
  const batch = { events: e.events, batches: 1, tables: [...new Set(e.tables)], ms: e.ms, since: at };
  return appendEntry(log, { id: nextId(), at, level: 'info', text: batchText(batch), batch }, limit);
}
