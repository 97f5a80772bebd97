/**
 * Folder main/engine/: the replicator, a plain Node library (never imports electron): engine, control loop, events, log. Subfolders: source/ decode/ apply/ snapshot/ schema/ state/ config/ replica/.
 *
 * The engine's activity log: what an admin wants to read back later (resyncs requested and what they
 * repaired, schema changes, gaps, halts, pauses, exports, errors). It subscribes to the engine's typed
 * events, keeps the newest entries in memory for the UI (`activity:list`, the `activity` push) and
 * appends each finished entry as one JSON line to a size-capped rotating file, secrets redacted.
 * Entries read back from that file at start keep the log across restarts and reloads.
 */
import type { ActivityEntry, ActivityKind, ActivityLevel } from '../../preload/contract/activity.ts';
import type { EngineEventName, EngineEvents } from '../../preload/contract/status.ts';
import { describeEngineEvent } from './activity-text.ts';
import { redact } from './log.ts';
import type { RotatingFile } from './rotating-file.ts';

export interface EventSource {
  on<K extends EngineEventName>(event: K, listener: (payload: EngineEvents[K]) => void): () => void;
}

export interface ActivityLog {
  /** Entries oldest first (at most `limit`). */
  list(): ActivityEntry[];
  record(entry: { level: ActivityLevel; kind: ActivityKind; text: string; tables?: string[] }): ActivityEntry;
  /** Subscribes to an engine's events (or the slot that forwards them); returns the unsubscribe. */
  attach(source: EventSource): () => void;
  onEntry(listener: (entry: ActivityEntry) => void): () => void;
  /** Writes the open batch summary, if any, to the file. */
  flush(): void;
  readonly filePath: string | null;
}

/** Applied batches within this window of the first one are summed up on one line. */
export const BATCH_WINDOW_MS = 5000;
/** In the file, batch lines sum up this long a stretch (cut short by any other entry). */
export const FILE_BATCH_WINDOW_MS = 60_000;

const SECRET_IN_TEXT: Array<[RegExp, string]> = [
  [/\b(password|passwd|pwd|secret|token)\s*[=:]\s*("[^"]*"|'[^']*'|[^\s;,&]+)/gi, '$1=***'],
  [/(\w+:\/\/[^:/\s@]+):[^@\s/]+@/g, '$1:***@'],
];

/** Secret-looking values in free text (`password=…`, `user:pass@host`) replaced by `***`. */
export function redactText(text: string): string {
  let out = text;
  for (const [re, to] of SECRET_IN_TEXT) out = out.replace(re, to);
  return out;
}

function parseLine(line: string): ActivityEntry | null {
  try {
    const e = JSON.parse(line) as Partial<ActivityEntry>;
    if (typeof e.id !== 'number' || typeof e.at !== 'number' || typeof e.text !== 'string' || typeof e.kind !== 'string') return null;
    return { id: e.id, at: e.at, level: e.level ?? 'info', kind: e.kind, text: e.text, tables: Array.isArray(e.tables) ? e.tables : [], ...(e.batch ? { batch: e.batch } : {}) };
  } catch {
    return null;
  }
}

function batchText(b: NonNullable<ActivityEntry['batch']>, tables: string[]): string {
  const where = tables.length > 3 ? `${tables.length} tables` : tables.join(', ');
  const n = (x: number): string => x.toLocaleString('en-US');
  const batches = b.batches === 1 ? `in ${n(b.ms)} ms` : `in ${n(b.batches)} batches (${n(b.ms)} ms)`;
  return `Applied ${n(b.events)} event${b.events === 1 ? '' : 's'} to ${where} ${batches}`;
}

export function createActivityLog(opts: { file?: RotatingFile | null; limit?: number; now?: () => number; onWriteError?: (err: unknown) => void } = {}): ActivityLog {
  const limit = opts.limit ?? 500;
  const now = opts.now ?? Date.now;
  const file = opts.file ?? null;
  let entries: ActivityEntry[] = [];
  try {
    // An entry written again (a gap line that gained tables) replaces the earlier line with its id.
    const byId = new Map<number, ActivityEntry>();
    for (const e of (file?.readLines() ?? []).map(parseLine)) if (e) { byId.delete(e.id); byId.set(e.id, e); }
    entries = [...byId.values()].slice(-limit);
  } catch (err) {
    opts.onWriteError?.(err);
  }
  let nextId = entries.reduce((m, e) => Math.max(m, e.id), 0) + 1;
  let openBatch: ActivityEntry | null = null;
  /** The last gap line, which later tables of the same gap join instead of adding lines. */
  let lastGap: { key: string; entry: ActivityEntry } | null = null;
  const listeners = new Set<(e: ActivityEntry) => void>();

  const write = (e: ActivityEntry): void => {
    if (!file) return;
    try { file.append(JSON.stringify(redact(e))); } catch (err) { opts.onWriteError?.(err); }
  };
  const publish = (e: ActivityEntry): void => {
    for (const l of listeners) { try { l(e); } catch { /* a listener's failure is its own */ } }
  };
  const put = (e: ActivityEntry): void => {
    const i = entries.findIndex((x) => x.id === e.id);
    if (i >= 0) entries[i] = e;
    else { entries.push(e); if (entries.length > limit) entries = entries.slice(-limit); }
    publish(e);
  };
  /**
   * The file sums batches up over FILE_BATCH_WINDOW_MS (the screen over BATCH_WINDOW_MS), so a busy
   * stream does not rotate resyncs, gaps and errors out of the file within hours.
   */
  let fileBatch: ActivityEntry | null = null;
  const writeFileBatch = (): void => {
    if (fileBatch) write(fileBatch);
    fileBatch = null;
  };
  const closeBatch = (force = false): void => {
    const b = openBatch;
    openBatch = null;
    if (b?.batch) {
      const f = fileBatch?.batch;
      if (fileBatch && f) {
        const batch = { events: f.events + b.batch.events, batches: f.batches + b.batch.batches, ms: f.ms + b.batch.ms, since: f.since };
        const tables = [...new Set([...fileBatch.tables, ...b.tables])];
        fileBatch = { ...b, tables, batch, text: batchText(batch, tables) };
      } else {
        fileBatch = b;
      }
    }
    if (fileBatch && (force || fileBatch.at - fileBatch.batch!.since >= FILE_BATCH_WINDOW_MS)) writeFileBatch();
  };

  const log: ActivityLog = {
    filePath: file?.path ?? null,
    list: () => entries.slice(),
    record({ level, kind, text, tables = [] }) {
      closeBatch(true);
      const e: ActivityEntry = { id: nextId++, at: now(), level, kind, text: redactText(text), tables: [...tables] };
      put(e);
      write(e);
      return e;
    },
    attach(source) {
      const offs: Array<() => void> = [];
      const on = <K extends EngineEventName>(name: K): void => {
        offs.push(source.on(name, (payload) => {
          const d = describeEngineEvent(name, payload);
          if (d) log.record(d);
        }));
      };
      offs.push(source.on('table-stale', (e) => {
        const d = describeEngineEvent('table-stale', e);
        if (!d) return;
        const key = e.gap ? `${e.gap.topic}:${e.gap.partition}:${e.gap.fromOffset}` : null;
        const prev = lastGap;
        if (key && prev?.key === key && entries.some((x) => x.id === prev.entry.id)) {
          const tables = [...new Set([...prev.entry.tables, e.table])];
          const g = e.gap!;
          const updated: ActivityEntry = { ...prev.entry, tables, text: `Gap found on ${g.topic}:${g.partition}: offsets ${g.fromOffset}–${g.toOffset} are gone; ${tables.length > 3 ? `${tables.length} tables are` : `${tables.join(', ')} ${tables.length === 1 ? 'is' : 'are'}`} stale until resynced` };
          lastGap = { key, entry: updated };
          put(updated);
          write(updated);
          return;
        }
        const entry = log.record(d);
        lastGap = key ? { key, entry } : lastGap;
      }));
      on('state-changed'); on('table-recovered'); on('table-resynced');
      on('resync-requested'); on('schema-changed'); on('error');
      offs.push(source.on('batch-applied', (b) => {
        const at = now();
        const last = openBatch;
        if (last?.batch && at - last.batch.since < BATCH_WINDOW_MS && entries[entries.length - 1]?.id === last.id) {
          const batch = { events: last.batch.events + b.events, batches: last.batch.batches + 1, ms: last.batch.ms + b.ms, since: last.batch.since };
          const tables = [...new Set([...last.tables, ...b.tables])];
          openBatch = { ...last, at, tables, batch, text: batchText(batch, tables) };
        } else {
          closeBatch();
          const batch = { events: b.events, batches: 1, ms: b.ms, since: at };
          const tables = [...new Set(b.tables)];
          openBatch = { id: nextId++, at, level: 'info', kind: 'batches', tables, batch, text: batchText(batch, tables) };
        }
        put(openBatch);
      }));
      return () => { offs.forEach((o) => o()); };
    },
    onEntry(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    flush: () => closeBatch(true),
  };
  return log;
}
