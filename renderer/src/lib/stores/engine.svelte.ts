/**
 * The engine as the renderer sees it: the last status snapshot, patched by pushes, a lag series and
 * the activity log the engine host keeps (loaded with `activity:list`, then patched by `activity`
 * pushes, so it survives a reload). Subscribes to every push once, in the constructor.
 */
import type { Api, Pushes, Result } from '../../../../preload/contract/api.ts';
import type { ErrorData } from '../../../../preload/contract/errors.ts';
import type { EngineStatus, TableStatus } from '../../../../preload/contract/status.ts';
import { mergeEntries } from '../activity.ts';
import type { ActivityEntry } from '../activity.ts';
import { transportError } from '../error-fixes.ts';
import { overallHealth } from '../health.ts';
import { appendSample } from '../sparkline.ts';

const LAG_SAMPLES = 120;
const LOG_LIMIT = 300;

export class EngineStore {
  /** Replaced wholesale on every push: raw, no deep proxy over 400+ tables. */
  status = $state.raw<EngineStatus | null>(null);
  lagSeries = $state.raw<number[]>([]);
  activity = $state.raw<ActivityEntry[]>([]);
  /** The last failed action (resync, pause, bundle…), shown with its fix until dismissed. */
  actionError = $state<ErrorData | null>(null);
  busy = $state<string | null>(null);
  now = $state(Date.now());

  readonly health = $derived(overallHealth(this.status));
  readonly tables = $derived<TableStatus[]>(this.status?.tables ?? []);
  /** Tables needing a resync: stale ones, plus the tables of unresolved gaps. */
  readonly affected = $derived.by(() => {
    const s = this.status;
    if (!s) return [];
    const ids = new Set(s.tables.filter((t) => t.state === 'stale').map((t) => t.id));
    for (const g of s.gaps) if (!g.resolved) for (const t of g.tables) ids.add(t);
    return [...ids].sort();
  });

  #off: Array<() => void> = [];
  /** Engine time of each table's figures from the last progress push: an older status snapshot does not undo them. */
  #tablesAt = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly api: Api) {
    this.#off.push(
      api.on('status', (s) => { this.#setStatus(s); }),
      api.on('progress', (p) => {
        if (p.at !== undefined) for (const t of p.tables) this.#tablesAt.set(t.id, p.at);
        this.#patchTables(p.tables);
      }),
      api.on('lag', (l) => this.#onLag(l)),
      api.on('state-changed', (e) => {
        if (this.status) this.status = { ...this.status, state: e.state };
      }),
      api.on('table-stale', (e) => this.#onStale(e)),
      api.on('table-recovered', (e) => {
        this.#patchTables(this.#find(e.table, (t) => ({ ...t, state: 'ok', staleReason: null })));
      }),
      api.on('table-resynced', (e) => {
        this.#patchTables(this.#find(e.table, (t) => ({ ...t, lastResync: e.report })));
      }),
      api.on('error', (e) => {
        if (e.table) this.#patchTables(this.#find(e.table, (t) => ({ ...t, error: e.error })));
      }),
      api.on('activity', (e) => { this.activity = mergeEntries(this.activity, [e], LOG_LIMIT); }),
    );
    // "Last change 5 s ago" ages without pushes.
    this.#timer = setInterval(() => { this.now = Date.now(); }, 5000);
  }

  async load(): Promise<void> {
    const [r, log] = await Promise.all([
      this.#call('status:get', () => this.api.request('status:get', undefined)),
      this.api.request('activity:list', undefined).catch(() => null),
    ]);
    if (r) this.#setStatus(r);
    if (log?.ok) this.activity = mergeEntries(this.activity, log.value, LOG_LIMIT);
  }

  resync(tables: string[]): Promise<{ requested: string[] } | null> {
    return this.#call('resync', () => this.api.request('tables:resync', { tables }));
  }
  updateSchema() { return this.#call('schema', () => this.api.request('schema:update', undefined)); }
  async pause(): Promise<void> {
    const r = await this.#call('pause', () => this.api.request('engine:pause', undefined));
    if (r) this.#setStatus(r);
  }
  async resume(): Promise<void> {
    const r = await this.#call('resume', () => this.api.request('engine:resume', undefined));
    if (r) this.#setStatus(r);
  }
  supportBundle() { return this.#call('bundle', () => this.api.request('support:bundle', undefined)); }
  /** Restarts the engine with its offsets moved to the topic's end, every table resynced; then loads its status. */
  async resetOffsets(): Promise<boolean> {
    const r = await this.#call('reset', () => this.api.request('offsets:reset', undefined));
    if (r) await this.load();
    return r !== null;
  }

  dispose(): void {
    for (const off of this.#off) off();
    this.#off = [];
    if (this.#timer) clearInterval(this.#timer);
  }

  async #call<T>(what: string, run: () => Promise<Result<T>>): Promise<T | null> {
    this.busy = what;
    this.actionError = null;
    try {
      const r = await run();
      if (r.ok) return r.value;
      this.actionError = r.error;
      return null;
    } catch (e) {
      this.actionError = transportError(e);
      return null;
    } finally {
      this.busy = null;
    }
  }

  /**
   * A status snapshot may be older than the last progress push (the host keeps the engine's snapshot
   * of up to a second ago): tables whose figures are newer keep them, so progress never steps back.
   */
  #setStatus(next: EngineStatus): void {
    const prev = this.status;
    if (!prev || this.#tablesAt.size === 0) { this.status = next; return; }
    const byId = new Map(prev.tables.map((t) => [t.id, t]));
    const tables = next.tables.map((t) => {
      const at = this.#tablesAt.get(t.id);
      if (at === undefined || at <= next.updatedAt) { this.#tablesAt.delete(t.id); return t; }
      return byId.get(t.id) ?? t;
    });
    this.status = { ...next, tables };
  }

  #find(id: string, patch: (t: TableStatus) => TableStatus): TableStatus[] {
    const t = this.status?.tables.find((x) => x.id === id);
    return t ? [patch(t)] : [];
  }

  /** Merges changed tables into the snapshot (by id); new ids are appended. */
  #patchTables(changed: readonly TableStatus[]): void {
    const s = this.status;
    if (!s || changed.length === 0) return;
    const byId = new Map(changed.map((t) => [t.id, t]));
    const tables = s.tables.map((t) => byId.get(t.id) ?? t);
    for (const t of changed) if (!s.tables.some((x) => x.id === t.id)) tables.push(t);
    this.status = { ...s, tables };
  }

  #onLag(l: Pushes['lag']): void {
    if (l.seconds !== null) this.lagSeries = appendSample(this.lagSeries, l.seconds, LAG_SAMPLES);
    if (this.status) this.status = { ...this.status, lagSeconds: l.seconds, lagEvents: l.events };
  }

  #onStale(e: Pushes['table-stale']): void {
    this.#patchTables(this.#find(e.table, (t) => ({ ...t, state: 'stale', staleReason: e.reason })));
    const s = this.status;
    if (s && e.gap && !s.gaps.some((g) => g.topic === e.gap!.topic && g.partition === e.gap!.partition && g.fromOffset === e.gap!.fromOffset)) {
      this.status = { ...s, gaps: [...s.gaps, e.gap] };
    }
  }
}
