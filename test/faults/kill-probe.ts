/**
 * Watches a replica from outside the engine (plain SQL over a connection of its own) so that a kill -9
 * can be aimed at observed progress and its landing recorded:
 *
 * - progress: the `offset:*` rows of `_ReplicationState` moved, snapshot/sweep rows grew (`snapshot.rowsSeen`,
 *   `sweep.rowsApplied` of the table rows), or a sweep began (a `_ReplicationSeen_*` table appeared);
 * - phase: schema change (a watched table's record hash or its replica columns moved from what they were
 *   when `watch()` was called: the engine is applying a source ALTER), full snapshot (a table's sweep is
 *   `full`), resync (an `incremental` sweep), initial snapshot (a table `pending`/`snapshotting` or with an
 *   initial `snapshot`), otherwise streaming;
 * - batch in flight: PostgreSQL — a session of the engine (`application_name = 'tenant-mirror'`) with an
 *   open transaction that has written (`backend_xid IS NOT NULL`) in `pg_stat_activity`; SQLite — the
 *   write lock is held (a `BEGIN IMMEDIATE` of the probe with busy timeout 0 fails with SQLITE_BUSY; the
 *   engine's apply is one BEGIN IMMEDIATE transaction per batch).
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import pg from 'pg';
import type { ReplicaSettings } from '../../preload/contract/settings.ts';
import { destinationOf } from '../harness/replica-reader.ts';

export type Phase = 'schema-change' | 'initial-snapshot' | 'full-snapshot' | 'resync' | 'streaming' | 'not provisioned';

/** A watched table's schema as the replica shows it: the hash of its table record and its columns there (null: missing). */
export interface SchemaSeen { hash: string | null; columns: string | null }

export interface Sample {
  at: number;
  /** `topic:partition` → next offset. */
  offsets: Record<string, string>;
  offsetSum: number;
  /** Sum of snapshot.rowsSeen and sweep.rowsApplied over the table rows. */
  snapshotRows: number;
  seenTables: number;
  phase: Phase;
  /** The watched table (see `watch`): its schema now, and what moved since `watch()` (null: nothing). */
  schema?: SchemaSeen;
  schemaMoved?: string | null;
}

export interface InFlight { open: boolean; detail: string }

export interface ReplicaProbe {
  sample(): Promise<Sample>;
  /**
   * Watches one source table (`schema`.`table`): from now on a sample whose record hash or replica
   * columns differ from what they are now is in phase `schema-change` (until the next `watch`).
   */
  watch(w: { schema: string; table: string } | null): Promise<SchemaSeen | null>;
  inFlight(): Promise<InFlight>;
  close(): Promise<void>;
}

interface StateRow { Id: string; Value: string }

function summarise(rows: StateRow[], seenTables: number, watched?: { table: string; base: SchemaSeen; now: SchemaSeen }): Sample {
  const offsets: Record<string, string> = {};
  let offsetSum = 0, snapshotRows = 0, full = 0, incremental = 0, initial = 0, tables = 0;
  for (const r of rows) {
    if (r.Id.startsWith('offset:')) {
      const v = JSON.parse(r.Value) as { next: string };
      offsets[r.Id.slice('offset:'.length)] = v.next;
      offsetSum += Number(v.next);
    } else if (r.Id.startsWith('table:')) {
      tables++;
      const t = JSON.parse(r.Value) as { state: string; sweep: { kind: string; rowsApplied?: number } | null; snapshot: { kind: string; rowsSeen: number } | null };
      snapshotRows += (t.snapshot?.rowsSeen ?? 0) + (t.sweep?.rowsApplied ?? 0);
      if (t.sweep?.kind === 'full') full++;
      else if (t.sweep?.kind === 'incremental') incremental++;
      if (t.state === 'pending' || t.state === 'snapshotting' || t.snapshot?.kind === 'initial') initial++;
    }
  }
  const schemaMoved = watched ? schemaDiff(watched.base, watched.now) : null;
  const phase: Phase = tables === 0 ? 'not provisioned' : schemaMoved ? 'schema-change' : full ? 'full-snapshot' : incremental ? 'resync' : initial ? 'initial-snapshot' : 'streaming';
  return { at: Date.now(), offsets, offsetSum, snapshotRows, seenTables, phase, ...(watched ? { schema: watched.now, schemaMoved } : {}) };
}

function schemaDiff(a: SchemaSeen, b: SchemaSeen): string | null {
  const parts: string[] = [];
  if (a.hash !== b.hash) parts.push(`record hash ${a.hash?.slice(0, 8) ?? 'none'} → ${b.hash?.slice(0, 8) ?? 'none'}`);
  if (a.columns !== b.columns) {
    if (a.columns === null || b.columns === null) parts.push(`replica table ${b.columns === null ? 'missing' : 'there again'}`);
    else {
      const was = a.columns.split(','), now = b.columns.split(',');
      const added = now.filter((x) => !was.includes(x)), gone = was.filter((x) => !now.includes(x));
      parts.push(`replica columns ${[...added.map((x) => `+${x}`), ...gone.map((x) => `-${x}`)].join(' ') || 'reordered'}`);
    }
  }
  return parts.length ? parts.join('; ') : null;
}

/** The record hash of source table `table` (by its `name`) among the state rows. */
function recordHash(rows: StateRow[], table: string): string | null {
  for (const r of rows) {
    if (!r.Id.startsWith('table:')) continue;
    const t = JSON.parse(r.Value) as { name: string; hash: string };
    if (t.name === table) return t.hash;
  }
  return null;
}

const empty = (): Sample => ({ at: Date.now(), offsets: {}, offsetSum: 0, snapshotRows: 0, seenTables: 0, phase: 'not provisioned' });

export async function openProbe(replica: ReplicaSettings, tablePrefix = ''): Promise<ReplicaProbe> {
  let watched: { schema: string; table: string; base: SchemaSeen } | null = null;
  if (replica.kind === 'sqlite') {
    const file = replica.file;
    let reader: Database.Database | null = null;
    let writer: Database.Database | null = null;
    const open = () => {
      if (!existsSync(file)) return false;
      reader ??= new Database(file, { readonly: true, fileMustExist: true, timeout: 2000 });
      writer ??= new Database(file, { fileMustExist: true, timeout: 0 });
      return true;
    };
    const schemaNow = (rows: StateRow[], w: { schema: string; table: string }): SchemaSeen => {
      const dest = destinationOf('sqlite', tablePrefix, w.schema, w.table).table;
      const cols = (reader!.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').all(dest) as Array<{ name: string }>).map((c) => c.name);
      return { hash: recordHash(rows, w.table), columns: cols.length ? cols.join(',') : null };
    };
    const read = () => {
      // One read transaction: the state rows and the table's columns as of one moment.
      reader!.exec('BEGIN');
      try {
        const rows = reader!.prepare('SELECT "Id", "Value" FROM "_ReplicationState"').all() as StateRow[];
        const seen = (reader!.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name LIKE '\\_ReplicationSeen\\_%' ESCAPE '\\'`).get() as { n: number }).n;
        return { rows, seen, now: watched ? schemaNow(rows, watched) : null };
      } finally { reader!.exec('COMMIT'); }
    };
    return {
      async sample() {
        if (!open()) return empty();
        try {
          const { rows, seen, now } = read();
          return summarise(rows, seen, watched && now ? { table: watched.table, base: watched.base, now } : undefined);
        } catch { return empty(); }
      },
      async watch(w) {
        watched = null;
        if (!w || !open()) return null;
        const { now } = (watched = { ...w, base: { hash: null, columns: null } }, read());
        watched.base = now!;
        return now;
      },
      async inFlight() {
        if (!open()) return { open: false, detail: 'no replica file yet' };
        try {
          writer!.exec('BEGIN IMMEDIATE');
          writer!.exec('ROLLBACK');
          return { open: false, detail: 'write lock free' };
        } catch (err) {
          const code = (err as { code?: string }).code ?? '';
          if (code.startsWith('SQLITE_BUSY')) return { open: true, detail: 'write lock held (SQLITE_BUSY)' };
          return { open: false, detail: `probe failed: ${code} ${(err as Error).message}` };
        }
      },
      async close() { reader?.close(); writer?.close(); },
    };
  }
  if (replica.kind === 'postgres') {
    const client = new pg.Client({ host: replica.host, port: replica.port, database: replica.database, user: replica.user, ...(typeof replica.password === 'string' ? { password: replica.password } : {}), application_name: 'fault-probe' });
    await client.connect();
    client.on('error', () => undefined);
    const read = async () => {
      // One REPEATABLE READ transaction: the state rows and the table's columns as of one snapshot.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const rows = (await client.query<StateRow>('SELECT "Id", "Value" FROM public."_ReplicationState"')).rows;
        const seen = (await client.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE '\\_ReplicationSeen\\_%'`)).rows[0]!.n;
        let now: SchemaSeen | null = null;
        if (watched) {
          const dest = destinationOf('postgres', tablePrefix, watched.schema, watched.table);
          const cols = (await client.query<{ c: string }>('SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position', [dest.schema, dest.table])).rows.map((r) => r.c);
          now = { hash: recordHash(rows, watched.table), columns: cols.length ? cols.join(',') : null };
        }
        return { rows, seen: Number(seen), now };
      } finally { await client.query('COMMIT').catch(() => undefined); }
    };
    return {
      async sample() {
        try {
          const { rows, seen, now } = await read();
          return summarise(rows, seen, watched && now ? { table: watched.table, base: watched.base, now } : undefined);
        } catch { return empty(); }
      },
      async watch(w) {
        watched = null;
        if (!w) return null;
        watched = { ...w, base: { hash: null, columns: null } };
        const { now } = await read();
        watched.base = now!;
        return now;
      },
      async inFlight() {
        const r = await client.query<{ pid: number; state: string; age: string }>(
          `SELECT pid, state, round(extract(epoch FROM now() - xact_start) * 1000) AS age FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'tenant-mirror' AND backend_xid IS NOT NULL AND xact_start IS NOT NULL`);
        if (!r.rows.length) return { open: false, detail: 'no open write transaction of the engine' };
        return { open: true, detail: r.rows.map((x) => `pid ${x.pid} ${x.state}, transaction open ${x.age} ms`).join('; ') };
      },
      async close() { await client.end().catch(() => undefined); },
    };
  }
  throw new Error(`openProbe: replica kind ${replica.kind} not supported`);
}

/** Where a kill landed. */
export interface KillRecord {
  n: number;
  /** What was observed first: offsets moved, snapshot rows grew, a sweep began; `none` when nothing moved before the deadline or the process ended. */
  trigger: 'schema change seen' | 'offsets moved' | 'snapshot rows grew' | 'sweep began' | 'none (deadline)' | 'process exited';
  phase: Phase;
  /** ms from spawn to the trigger, and from the trigger to SIGKILL. */
  triggerMs: number; afterTriggerMs: number;
  inFlight: boolean; inFlightDetail: string;
  offsetsBefore: number; offsetsAtTrigger: number; offsetsAfter: number;
  snapshotRowsBefore: number; snapshotRowsAfter: number;
  exitCode: number | null;
  /** With a watched table: what of its schema had moved at the trigger, and after the kill. */
  schemaAtTrigger?: string | null; schemaAfter?: string | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Waits for progress of the process just spawned (against `before`, sampled before it started; with
 * `phase`, only progress observed while the replica is in that phase counts), then a
 * random 0..`maxOffsetMs`, then up to `maxWaitInFlightMs` for a batch in flight, and kills it with
 * `kill()`. Returns the record (offsets after are sampled once the process is dead).
 */
export async function killOnProgress(probe: ReplicaProbe, before: Sample, proc: { exited: Promise<number | null>; kill(): void }, n: number,
  opts: { phase?: Phase; maxOffsetMs?: number; maxWaitInFlightMs?: number; triggerTimeoutMs?: number } = {}): Promise<KillRecord> {
  const spawnedAt = Date.now();
  let exit: number | null | undefined;
  void proc.exited.then((c) => { exit = c; });
  let trigger: KillRecord['trigger'] = 'none (deadline)';
  let at = before;
  const deadline = spawnedAt + (opts.triggerTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exit !== undefined) { trigger = 'process exited'; break; }
    at = await probe.sample();
    if (opts.phase && at.phase !== opts.phase) { await sleep(25); continue; }
    if (at.schemaMoved) { trigger = 'schema change seen'; break; }
    if (at.offsetSum !== before.offsetSum) { trigger = 'offsets moved'; break; }
    if (at.snapshotRows > before.snapshotRows) { trigger = 'snapshot rows grew'; break; }
    if (at.seenTables > before.seenTables) { trigger = 'sweep began'; break; }
    await sleep(25);
  }
  const triggerAt = Date.now();
  const rec: KillRecord = {
    n, trigger, phase: at.phase, triggerMs: triggerAt - spawnedAt, afterTriggerMs: 0, inFlight: false, inFlightDetail: '',
    offsetsBefore: before.offsetSum, offsetsAtTrigger: at.offsetSum, offsetsAfter: 0, snapshotRowsBefore: before.snapshotRows, snapshotRowsAfter: 0, exitCode: null,
    ...(at.schema ? { schemaAtTrigger: at.schemaMoved ?? null } : {}),
  };
  if (trigger !== 'process exited') {
    await sleep(Math.floor(Math.random() * (opts.maxOffsetMs ?? 400)));
    const until = Date.now() + (opts.maxWaitInFlightMs ?? 3000);
    let f: InFlight = { open: false, detail: 'not sampled' };
    while (exit === undefined) {
      f = await probe.inFlight();
      if (f.open || Date.now() >= until) break;
      await sleep(2);
    }
    if (exit === undefined) {
      rec.afterTriggerMs = Date.now() - triggerAt;
      proc.kill();
      rec.inFlight = f.open;
      rec.inFlightDetail = f.detail;
      const last = await probe.sample();
      rec.phase = last.phase === 'not provisioned' ? rec.phase : last.phase;
    } else rec.trigger = 'process exited';
  }
  rec.exitCode = await proc.exited;
  const after = await probe.sample();
  rec.offsetsAfter = after.offsetSum;
  rec.snapshotRowsAfter = after.snapshotRows;
  if (after.schema) rec.schemaAfter = after.schemaMoved ?? null;
  return rec;
}

/** Counts of records by phase and landing, for the run's report. */
export function killDistribution(records: KillRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) {
    const k = r.trigger === 'process exited' ? 'exited before its kill' : `${r.phase}, ${r.inFlight ? 'batch in flight' : 'between batches'}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
