/** One engine event → one activity log line (kind, level, text), or null for events not logged. */
import { recreatedText, reportedRowsText } from '../../preload/contract/resync-text.ts';
import type { ActivityKind, ActivityLevel } from '../../preload/contract/activity.ts';
import type { EngineEventName, EngineEvents } from '../../preload/contract/status.ts';

export interface Described { level: ActivityLevel; kind: ActivityKind; text: string; tables: string[] }

const n = (x: number): string => x.toLocaleString('en-US');
const plural = (k: number, one: string): string => `${n(k)} ${one}${k === 1 ? '' : 's'}`;
const list = (ids: string[]): string => (ids.length > 4 ? `${ids.slice(0, 3).join(', ')} and ${n(ids.length - 3)} more` : ids.join(', '));

export function describeEngineEvent<K extends EngineEventName>(name: K, payload: EngineEvents[K]): Described | null {
  switch (name) {
    case 'state-changed': {
      const e = payload as EngineEvents['state-changed'];
      const why = e.reason ? `: ${e.reason}` : '';
      if (e.state === 'paused') return { level: 'info', kind: 'paused', text: `Paused: no events are applied until resumed${why}`, tables: [] };
      if (e.previous === 'paused' && e.state !== 'stopped') return { level: 'info', kind: 'resumed', text: `Resumed (${e.state})`, tables: [] };
      if (e.state === 'error') return { level: 'error', kind: 'halted', text: `Engine halted${why}`, tables: [] };
      return { level: e.state === 'retrying' ? 'warn' : 'info', kind: 'engine-state', text: `Engine ${e.previous} → ${e.state}${why}`, tables: [] };
    }
    case 'table-stale': {
      const e = payload as EngineEvents['table-stale'];
      if (e.gap) {
        const g = e.gap;
        return { level: 'warn', kind: 'gap-found', text: `Gap found on ${g.topic}:${g.partition}: offsets ${g.fromOffset}–${g.toOffset} are gone; ${e.table} is stale until resynced`, tables: [e.table] };
      }
      return { level: 'warn', kind: 'table-stale', text: `${e.table} is stale: ${e.reason}`, tables: [e.table] };
    }
    case 'table-recovered': {
      const e = payload as EngineEvents['table-recovered'];
      return { level: 'info', kind: 'table-recovered', text: `${e.table} is up to date again`, tables: [e.table] };
    }
    case 'table-resynced': {
      const { table, report: r } = payload as EngineEvents['table-resynced'];
      const secs = Math.max(0, Math.round((r.finishedAt - r.startedAt) / 1000));
      if (r.outcome === 'failed') return { level: 'warn', kind: 'resync-failed', text: `Resync of ${table} failed, nothing deleted: ${r.reason ?? 'no reason given'}`, tables: [table] };
      const reported = reportedRowsText(r, n);
      const rows = typeof r.rowsBefore === 'number' && typeof r.rowsAfter === 'number' ? `; the table held ${n(r.rowsBefore)} rows before, ${n(r.rowsAfter)} after` : '';
      return { level: 'info', kind: 'resync-completed', text: `Resync of ${table} completed in ${secs} s: ${recreatedText(r)}${plural(r.rowsScanned, 'snapshot row')} applied${reported}, ${plural(r.rowsDeleted, 'row')} deleted by the sweep${rows}`, tables: [table] };
    }
    case 'resync-requested': {
      const e = payload as EngineEvents['resync-requested'];
      if (e.tables.length === 0) return null;
      return { level: 'info', kind: 'resync-requested', text: `Resync requested for ${plural(e.tables.length, 'table')}: ${list(e.tables)}${e.reason ? ` (${e.reason})` : ''}`, tables: e.tables };
    }
    case 'schema-changed': {
      const e = payload as EngineEvents['schema-changed'];
      const parts = ([['created', e.created], ['altered', e.altered], ['recreated', e.recreated], ['dropped', e.dropped]] as const)
        .filter(([, v]) => v.length > 0).map(([k, v]) => `${k} ${list(v)}`);
      if (parts.length === 0) return null;
      return { level: 'info', kind: 'schema-changed', text: `Schema changed: ${parts.join('; ')}`, tables: [...new Set([...e.created, ...e.altered, ...e.recreated, ...e.dropped])] };
    }
    case 'error': {
      const e = payload as EngineEvents['error'];
      if (e.table && !e.error.retriable) return { level: 'error', kind: 'halted', text: `${e.table} halted: ${e.error.code}: ${e.error.message}`, tables: [e.table] };
      return { level: e.error.retriable ? 'warn' : 'error', kind: 'error', text: `${e.error.code}${e.table ? ` on ${e.table}` : ''}: ${e.error.message}`, tables: e.table ? [e.table] : [] };
    }
    default:
      return null;
  }
}
