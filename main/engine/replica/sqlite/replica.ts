/**
 * SQLite replica on better-sqlite3 (synchronous; the async methods wrap it). One connection, WAL,
 * synchronous=NORMAL, busy_timeout. apply() is one BEGIN IMMEDIATE transaction of prepared, cached
 * statements: per table deletes by key; rows likely there (first event an update) by UPDATE, INSERT when
 * it matched none; the other rows by INSERT … ON CONFLICT DO NOTHING (runs of new rows in one multi-row
 * INSERT), then UPDATE when the key was there; statements per column set; sweep-set inserts; the state rows.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { MirrorError } from '../../errors.ts';
import { tableId, type Row, type RowValue, type TableDef, type TableRef } from '../../schema/table-model.ts';
import type { AlterPlan } from '../dialect.ts';
import { LEASE_ID, STATE_TABLE, type ApplyUnit, type LeaseDecision, type LeaseGuard, type Replica, type StateGuard, type RightsReport, type RowDelta, type StateKind, type StateRow, type TableChanges } from '../replica.ts';
import { assertLeaseHeld } from '../lease-check.ts';
import { assertPositionHeld, assertStateHeld } from '../position-check.ts';
import { tagTable } from '../error-tagging.ts';
import { ColumnSets } from '../column-sets.ts';
import { gatherer, type Gather } from '../../schema/row-code.ts';
import { seenTableName } from '../table-names.ts';
import { SqliteDialect } from './dialect.ts';
import { classifySqliteError } from './errors.ts';
import { decoderFor, encoderFor, type Encoder, type SqliteBind } from './values.ts';

export interface SqliteReplicaOptions {
  /** Path of the database file (created when missing). */
  file: string;
  /** `<tablePrefix>_<table>` when non-empty; the bare table name otherwise. */
  tablePrefix: string;
  /** How long a write waits for another connection's lock before SQLITE_BUSY (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Open read-only (diagnostics; every write fails with SQLITE_READONLY). */
  readonly?: boolean;
}

type Statement = Database.Statement<unknown[], unknown>;

interface ColumnSetPlan {
  names: string[];
  encoders: (Encoder | null)[];
  /** The row's values in `names` order, into `args` (schema/row-code.ts). */
  gather: Gather;
  /** INSERT … ON CONFLICT DO NOTHING, then (the row existed) the UPDATE: an insert is told from an update. */
  insert: Statement;
  update: Statement | null;
  args: SqliteBind[];
  /** The update's arguments: the non-key values, then the key values (indexes into `args`). */
  updateOrder: number[];
  updateArgs: SqliteBind[];
  /** Rows per multi-row insert (insertMany), that statement once first used, and its arguments. */
  manyRows: number;
  many: Statement | null;
  manyArgs: SqliteBind[];
}

/** The end of the run of rows from `from` that carry `cs`'s column set, at most `cs.manyRows` long. */
function runOf(p: TablePlan, cs: ColumnSetPlan, rows: Row[], from: number): number {
  const stop = Math.min(rows.length, from + cs.manyRows);
  let r = from + 1;
  while (r < stop && p.sets.of(rows[r]!) === cs) r++;
  return r;
}

/**
 * Rows per multi-row insert, at most: between the 10 and 50 of a micro-benchmark (200k new rows of 31
 * columns: 1.38–1.60 s and 1.43–1.51 s against 1.59–2.30 s one row per statement; docs/benchmarks.md, "SQLite: runs…").
 */
const MANY_ROWS = 32;
/** Pages of WAL that start a checkpoint (connect()). */
const WAL_CHECKPOINT_PAGES = 20_000;
/** SQLite's bound-parameter limit (SQLITE_MAX_VARIABLE_NUMBER of better-sqlite3's build is 32766). */
const MAX_VARIABLES = 32766;

interface TablePlan {
  def: TableDef;
  id: string;
  pk: string[];
  pkEncoders: (Encoder | null)[];
  pkArgs: SqliteBind[];
  del: Statement;
  /** Upserts grouped by the set of columns the row carries (partial after-images). */
  sets: ColumnSets<ColumnSetPlan>;
  seen: Statement | null;
}

/** `dev:ino` of a file, null when it does not exist. */
function fileIdentity(file: string): string | null {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

export class SqliteReplica implements Replica {
  readonly dialect: SqliteDialect;
  readonly classifyError = classifySqliteError;
  readonly file: string;
  private readonly opts: SqliteReplicaOptions;
  private db: Database.Database | null = null;
  /** Device and inode of the file this connection opened (a file replaced under it is a new inode). */
  private opened: string | null = null;
  private stmts = new Map<string, Statement>();
  private plans = new WeakMap<TableDef, TablePlan>();
  private applyTx: ((unit: ApplyUnit) => RowDelta[]) & { immediate(unit: ApplyUnit): RowDelta[] } | null = null;

  constructor(opts: SqliteReplicaOptions) {
    this.opts = opts;
    this.file = opts.file;
    this.dialect = new SqliteDialect({ tablePrefix: opts.tablePrefix });
  }

  // ---- connection ----

  async connect(): Promise<void> {
    if (this.db) return;
    const db = new Database(this.file, { timeout: this.opts.busyTimeoutMs ?? 5000, readonly: this.opts.readonly ?? false });
    try {
      db.defaultSafeIntegers(true);
      if (!this.opts.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
      }
      // 8 MiB of page cache (SQLite's default is 2): writes are appends and keyed upserts, and pages
      // beyond it come from the OS's file cache; 32 MiB held 3–13 MB more peak RSS for no measured gain
      // (memory probe, 200k-record snapshot: 10,927 / 11,931 ev/s at 8 MiB vs 10,762 / 6,056 at 32 MiB).
      db.pragma('cache_size = -8192');
      db.pragma('temp_store = MEMORY');
      // A checkpoint every 20,000 WAL pages (~80 MB) instead of 1,000: it copies each page once however
      // often the batches since the last one rewrote it, and syncs twice per checkpoint instead of per
      // ~4 MB. Micro-benchmark, 100k random updates into 20 tables of 10k rows, batches of 200: commits
      // 2,615–2,752 ms at 1,000 pages, 1,076–1,164 ms at 20,000; the longest commit (one checkpoint) 159–160
      // against 39–53 ms (docs/benchmarks.md, "SQLite: updates first, fewer checkpoints").
      db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
    } catch (e) {
      db.close();
      throw e;
    }
    this.db = db;
    this.opened = fileIdentity(this.file);
    const tx = db.transaction((unit: ApplyUnit) => this.applySync(unit));
    this.applyTx = tx;
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = null;
    this.applyTx = null;
    this.stmts.clear();
    this.plans = new WeakMap();
    db?.close();
  }

  /**
   * A replica file replaced under the open connection (a backup copied back while the engine runs) is not
   * seen by that connection: it goes on reading and writing the old, unlinked file. Reading the state
   * opens the file again, so the engine's position check finds the restored position (REPLICA_WENT_BACK).
   */
  private async reopenIfReplaced(): Promise<void> {
    if (!this.db || this.opts.readonly) return;
    const now = fileIdentity(this.file);
    if (now === null || now === this.opened) return;
    await this.close();
    await this.connect();
  }

  /** The open better-sqlite3 handle (tests, diagnostics). */
  get handle(): Database.Database {
    if (!this.db) throw new MirrorError('REPLICA_UNREACHABLE', `SQLite replica ${this.file} is not connected`, { retriable: true });
    return this.db;
  }

  private prepare(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.handle.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  private forgetStatements(): void {
    this.stmts.clear();
    this.plans = new WeakMap();
  }

  private execAll(sqls: string[]): void {
    const db = this.handle;
    db.transaction(() => { for (const s of sqls) db.prepare(s).run(); }).immediate();
    this.forgetStatements();
  }

  // ---- state ----

  async ensureStateTable(): Promise<void> {
    this.execAll(this.dialect.createStateTable());
  }

  async hasStateTable(): Promise<boolean> {
    await this.reopenIfReplaced();
    return Number((this.prepare(this.dialect.stateTableExists()).get() as { present: number }).present) === 1;
  }

  async readState(kind?: StateKind): Promise<StateRow[]> {
    await this.reopenIfReplaced();
    const table = this.dialect.quoteIdent(STATE_TABLE);
    const rows = (kind === undefined
      ? this.prepare(`SELECT "Id", "Kind", "Value" FROM ${table} ORDER BY "Id"`).all()
      : this.prepare(`SELECT "Id", "Kind", "Value" FROM ${table} WHERE "Kind" = ? ORDER BY "Id"`).all(kind)) as { Id: string; Kind: string; Value: string }[];
    return rows.map((r) => ({ id: r.Id, kind: r.Kind as StateKind, value: r.Value }));
  }

  async writeState(rows: StateRow[], remove: string[] = [], lease?: LeaseGuard, guards: readonly StateGuard[] = []): Promise<void> {
    const db = this.handle;
    const up = this.prepare(this.dialect.upsertState());
    const del = this.prepare(`DELETE FROM ${this.dialect.quoteIdent(STATE_TABLE)} WHERE "Id" = ?`);
    db.transaction(() => {
      if (lease) this.checkLease(lease);
      for (const g of guards) assertStateHeld(this.stateValue(g.id), g);
      for (const r of rows) up.run(r.id, r.kind, r.value);
      for (const id of remove) del.run(id);
    }).immediate();
  }

  // ---- writer lease (BEGIN IMMEDIATE holds the write lock: nobody changes the row meanwhile) ----

  private stateValue(id: string): string | null {
    const r = this.prepare(`SELECT "Value" FROM ${this.dialect.quoteIdent(STATE_TABLE)} WHERE "Id" = ?`).get(id) as { Value: string } | undefined;
    return r?.Value ?? null;
  }

  private leaseValue(): string | null { return this.stateValue(LEASE_ID); }

  private checkLease(lease: LeaseGuard): void {
    assertLeaseHeld(this.leaseValue(), lease);
  }

  async updateLease<T>(decide: (current: string | null) => LeaseDecision<T>, waitMs?: number): Promise<T> {
    const tx = this.handle.transaction(() => {
      const d = decide(this.leaseValue());
      if (d.write !== undefined) this.prepare(this.dialect.upsertState()).run(LEASE_ID, 'lease', d.write);
      if (d.remove) this.prepare(`DELETE FROM ${this.dialect.quoteIdent(STATE_TABLE)} WHERE "Id" = ?`).run(LEASE_ID);
      return d.result;
    });
    if (waitMs === undefined) return tx.immediate();
    // better-sqlite3 waits for a lock on the thread: with the write lock held elsewhere, a 5 s wait per
    // heartbeat every 5 s froze the engine (no batch got a turn; CI 2026-12-03, engine scenario 4).
    this.handle.pragma(`busy_timeout = ${Math.max(0, Math.round(waitMs))}`);
    try { return tx.immediate(); } finally { this.handle.pragma(`busy_timeout = ${this.opts.busyTimeoutMs ?? 5000}`); }
  }

  // ---- apply (hot path) ----

  async apply(unit: ApplyUnit): Promise<RowDelta[]> {
    const tx = this.applyTx;
    if (!tx) throw new MirrorError('REPLICA_UNREACHABLE', `SQLite replica ${this.file} is not connected`, { retriable: true });
    return tx.immediate(unit);
  }

  private applySync(unit: ApplyUnit): RowDelta[] {
    if (unit.lease) this.checkLease(unit.lease);
    if (unit.position) assertPositionHeld(this.stateValue(unit.position.id), unit.position);
    const deltas: RowDelta[] = [];
    for (const tc of unit.tables) {
      try {
        deltas.push(this.applyTable(tc));
      } catch (e) {
        throw tagTable(e, tableId(tc.table));
      }
    }
    if (unit.state.length) {
      const up = this.prepare(this.dialect.upsertState());
      for (const r of unit.state) up.run(r.id, r.kind, r.value);
    }
    return deltas;
  }

  private plan(def: TableDef): TablePlan {
    let p = this.plans.get(def);
    if (p) return p;
    const byName = new Map(def.columns.map((c) => [c.name, c]));
    const pkEncoders = def.primaryKey.map((k) => {
      const c = byName.get(k);
      if (!c) throw new MirrorError('SCHEMA_CONFLICT', `primary-key column ${k} of ${tableId(def)} is not a column`);
      return encoderFor(c.type);
    });
    p = {
      def,
      id: tableId(def),
      pk: def.primaryKey,
      pkEncoders,
      pkArgs: new Array<SqliteBind>(def.primaryKey.length).fill(null),
      del: this.prepare(this.dialect.deleteByKey(def)),
      sets: new ColumnSets(def, (names) => this.columnSetPlan(def, names)),
      seen: null,
    };
    this.plans.set(def, p);
    return p;
  }

  /** The prepared upsert of a column set of `def`, made the first time the set is seen. */
  private columnSetPlan(def: TableDef, names: string[]): ColumnSetPlan {
    const types = new Map(def.columns.map((c) => [c.name, c.type]));
    const update = this.dialect.updateByKey(def, names);
    const order = [...names.keys()].filter((i) => !def.primaryKey.includes(names[i]!));
    for (const k of def.primaryKey) order.push(names.indexOf(k));
    return {
      names,
      encoders: names.map((nm) => encoderFor(types.get(nm)!)),
      gather: gatherer(names),
      insert: this.prepare(this.dialect.insertNew(def, names)),
      update: update === null ? null : this.prepare(update),
      args: new Array<SqliteBind>(names.length).fill(null),
      updateOrder: order,
      updateArgs: new Array<SqliteBind>(order.length).fill(null),
      manyRows: Math.max(1, Math.min(MANY_ROWS, Math.floor(MAX_VARIABLES / names.length))),
      many: null,
      manyArgs: [],
    };
  }

  private keyArgs(p: TablePlan, row: Row): SqliteBind[] {
    const args = p.pkArgs;
    for (let i = 0; i < p.pk.length; i++) {
      const v = row[p.pk[i]!];
      if (v === undefined || v === null) throw new MirrorError('REPLICA_WRITE_FAILED', `a key for ${p.id} lacks primary-key column ${p.pk[i]}`);
      const enc = p.pkEncoders[i];
      args[i] = enc ? enc(v) : (v as SqliteBind);
    }
    return args;
  }

  private applyTable(tc: TableChanges): RowDelta {
    const p = this.plan(tc.table);
    const delta: RowDelta = { inserted: 0, deleted: 0 };
    for (const key of tc.deletes) delta.deleted += p.del.run(this.keyArgs(p, key)).changes;
    const seen: Statement | null = tc.markSeen ? p.seen ??= this.prepare(this.dialect.markSeen(tc.table)) : null;
    if (seen) for (const key of tc.marks ?? []) seen.run(this.keyArgs(p, key));
    let rows = tc.upserts;
    // Rows likely there already (their first event an update) go first, row by row, UPDATE before INSERT;
    // the order of upserts is free (keys are unique within `upserts`: reducer.ts).
    const present = tc.present;
    if (present?.includes(true)) {
      const rest: Row[] = [];
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        if (!present[i]) { rest.push(row); continue; }
        if (this.upsertOne(p.sets.of(row), row, true)) delta.inserted++;
        if (seen) seen.run(this.keyArgs(p, row));
      }
      rows = rest;
    }
    // The rest (an initial snapshot, inserts) go in `manyRows` at a time while every row of a run is new. A
    // run that meets a row already there is written again row by row (the rows it inserted are then updated
    // to the values they have), and so are the table's later rows in this unit: inserts of rows already
    // there (events read again over a replica that went back) come in numbers. A sweep's rows go row by row.
    let many = seen === null;
    for (let i = 0; i < rows.length;) {
      const cs = p.sets.of(rows[i]!);
      const end = runOf(p, cs, rows, i);
      if (many && cs.manyRows > 1 && end - i === cs.manyRows) {
        const n = this.insertMany(p.def, cs, rows, i);
        delta.inserted += n;
        if (n === cs.manyRows) { i = end; continue; }
        many = false;
      }
      for (; i < end; i++) {
        if (this.upsertOne(cs, rows[i]!)) delta.inserted++;
        if (seen) seen.run(this.keyArgs(p, rows[i]!));
      }
    }
    return delta;
  }

  /**
   * INSERT, or (the key is there) UPDATE, of one row; whether it was new. `likelyPresent`: UPDATE first,
   * INSERT when it matched no row (SQLite counts a matched row as changed even with the same values).
   */
  private upsertOne(cs: ColumnSetPlan, row: Row, likelyPresent = false): boolean {
    const { encoders, args, update } = cs;
    cs.gather(row, args as RowValue[]);
    for (let i = 0; i < encoders.length; i++) {
      const enc = encoders[i];
      if (enc) args[i] = enc(args[i] as RowValue);
    }
    if (likelyPresent && update && update.run(this.updateArgs(cs)).changes > 0) return false;
    if (cs.insert.run(args).changes > 0) return true;
    if (update && !likelyPresent) update.run(this.updateArgs(cs));
    return false;
  }

  /** The UPDATE's arguments (non-key values, then the key) from `cs.args`. */
  private updateArgs(cs: ColumnSetPlan): SqliteBind[] {
    const { updateOrder, updateArgs, args } = cs;
    for (let i = 0; i < updateOrder.length; i++) updateArgs[i] = args[updateOrder[i]!]!;
    return updateArgs;
  }

  /** `cs.manyRows` rows from `from` in one INSERT … ON CONFLICT DO NOTHING; how many were new. */
  private insertMany(def: TableDef, cs: ColumnSetPlan, rows: Row[], from: number): number {
    const { encoders, args, manyArgs } = cs;
    cs.many ??= this.prepare(this.dialect.insertNew(def, cs.names, cs.manyRows));
    let k = 0;
    for (let r = from; r < from + cs.manyRows; r++) {
      cs.gather(rows[r]!, args as RowValue[]);
      for (let i = 0; i < encoders.length; i++) {
        const enc = encoders[i];
        manyArgs[k++] = enc ? enc(args[i] as RowValue) : args[i]!;
      }
    }
    return cs.many.run(manyArgs).changes;
  }

  // ---- DDL ----

  async tableExists(ref: TableRef): Promise<boolean> {
    return this.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(this.dialect.tableName(ref)) !== undefined;
  }

  async createTable(def: TableDef): Promise<void> {
    this.execAll(this.dialect.createTable(def));
  }

  private columnStorage(ref: TableRef): Map<string, string> {
    const rows = this.handle.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(this.dialect.tableName(ref)) as { name: string; type: string }[];
    return new Map(rows.map((r) => [r.name, r.type]));
  }

  async alterTable(plan: AlterPlan): Promise<void> {
    const db = this.handle;
    const current = this.columnStorage(plan.table);
    if (current.size === 0) throw new MirrorError('SCHEMA_CONFLICT', `cannot alter ${tableId(plan.table)}: table ${this.dialect.tableName(plan.table)} does not exist in the replica`);
    // Idempotent: columns already added by an earlier attempt are skipped.
    const effective: AlterPlan = { ...plan, addColumns: plan.addColumns.filter((c) => !current.has(c.name)) };
    if (!this.dialect.needsRebuild(effective, current)) {
      this.execAll(this.dialect.alterTable(effective, current));
      return;
    }
    const name = this.dialect.tableName(plan.table);
    const extras = db.prepare(`SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL`).all(name) as { sql: string }[];
    db.pragma('legacy_alter_table = ON');
    try {
      this.execAll([...this.dialect.rebuildTable(effective), ...extras.map((e) => e.sql)]);
    } finally {
      db.pragma('legacy_alter_table = OFF');
    }
  }

  async dropTable(ref: TableRef): Promise<void> {
    this.execAll(this.dialect.dropTable(ref));
  }

  // ---- sweep ----

  async beginSweep(def: TableDef): Promise<void> {
    this.execAll(this.dialect.createSeenTable(def));
  }

  async finishSweep(def: TableDef, lease?: LeaseGuard): Promise<number> {
    const db = this.handle;
    const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(seenTableName(def));
    if (!exists) throw new MirrorError('INTERNAL', `no sweep is running for ${tableId(def)} (finishSweep without beginSweep)`);
    let deleted = 0;
    db.transaction(() => {
      if (lease) this.checkLease(lease);
      deleted = Number(db.prepare(this.dialect.sweepDelete(def)).run().changes);
      db.prepare(`DROP TABLE ${this.dialect.seenTable(def)}`).run();
    }).immediate();
    this.forgetStatements();
    return deleted;
  }

  async hasSweep(def: TableDef): Promise<boolean> {
    return Boolean(this.handle.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(seenTableName(def)));
  }

  async cancelSweep(def: TableDef): Promise<void> {
    this.execAll([`DROP TABLE IF EXISTS ${this.dialect.seenTable(def)}`]);
  }

  // ---- reads ----

  async countRows(ref: TableRef): Promise<number> {
    const r = this.handle.prepare(`SELECT count(*) AS n FROM ${this.dialect.qualify(ref)}`).get() as { n: bigint };
    return Number(r.n);
  }

  async readRows(def: TableDef): Promise<Row[]> {
    const stmt = this.handle.prepare(this.dialect.selectRows(def)).raw(true).safeIntegers(true);
    const decoders = def.columns.map((c) => decoderFor(c.type));
    const names = def.columns.map((c) => c.name);
    return (stmt.all() as unknown[][]).map((vals) => {
      const row: Row = {};
      for (let i = 0; i < names.length; i++) row[names[i]!] = decoders[i]!(vals[i]);
      return row;
    });
  }

  async checkRights(): Promise<RightsReport> {
    const missing: string[] = [];
    const file = resolve(this.file);
    const dir = dirname(file);
    if (!existsSync(dir)) {
      missing.push(`The folder ${dir} does not exist. Create it, or choose another location for the replica file.`);
    } else {
      try { accessSync(dir, constants.W_OK | constants.X_OK); } catch {
        missing.push(`The folder ${dir} is not writable. SQLite creates ${file}-wal and ${file}-shm next to the file: give the user running Tenant Mirror write access to the folder.`);
      }
      if (existsSync(file)) {
        if (!statSync(file).isFile()) missing.push(`${file} is not a regular file.`);
        else {
          try { accessSync(file, constants.R_OK | constants.W_OK); } catch {
            missing.push(`The file ${file} is not writable. Give the user running Tenant Mirror read and write access to it.`);
          }
        }
      }
    }
    if (this.db && this.db.readonly) missing.push(`The replica file ${file} is open read-only.`);
    return { ok: missing.length === 0, missing };
  }
}

export function createSqliteReplica(opts: SqliteReplicaOptions): SqliteReplica {
  return new SqliteReplica(opts);
}
