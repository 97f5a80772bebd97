/**
 * PostgreSQL replica on pg (one client, reconnected lazily after a connection failure; calls are
 * serialised). apply() is one transaction: per table, deletes and upserts either as one multi-row
 * parameterised statement (small batches) or COPY into a session temp staging table followed by a
 * set-based DELETE … USING / INSERT … SELECT … ON CONFLICT DO UPDATE; then the state rows. A COPY-sized
 * group of rows is first COPYed straight into its table, in a savepoint (copyDirect): an initial snapshot's
 * rows are new to their table; a row already there undoes it and the group goes through the stage.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { MirrorError } from '../../errors.ts';
import { tableId, type Row, type TableDef, type TableRef } from '../../schema/table-model.ts';
import type { ErrorClassifier } from '../classified-error.ts';
import type { AlterPlan } from '../dialect.ts';
import { STATE_TABLE, type ApplyUnit, type LeaseDecision, type LeaseGuard, type Replica, type StateGuard, type RightsReport, type RowDelta, type StateKind, type StateRow, type TableChanges } from '../replica.ts';
import { tagTable } from '../error-tagging.ts';
import { groupByColumnSet } from '../column-sets.ts';
import { seenTableName } from '../table-names.ts';
import { PostgresDialect, STATE_SCHEMA, quotePgIdent } from './dialect.ts';
import { makePostgresClassifier } from './errors.ts';
import { checkLease, updateLeaseRow } from './lease.ts';
import { assertStateHeld } from '../position-check.ts';
import { copyChunks, decodePgText, paramValue, textTypes, withPgYears } from './values.ts';
import { assertNoNul } from './nul-check.ts';

export interface PostgresReplicaOptions {
  host: string;
  port?: number;
  database: string;
  user: string;
  password?: string;
  /** Passed to pg as is (true, or tls.ConnectionOptions such as { rejectUnauthorized, ca }). */
  ssl?: boolean | Record<string, unknown>;
  /** Replaces the source schema when non-empty. */
  tablePrefix: string;
  /** lock_timeout of the session (default 60000 ms); a write blocked longer fails with 55P03 (retry). */
  lockTimeoutMs?: number;
  /** connect timeout (default 15000 ms). */
  connectTimeoutMs?: number;
  /** Upsert groups (per table and column set) with fewer rows use a multi-row statement instead of COPY (default 100). */
  copyThreshold?: number;
  /**
   * Source schemas that will be replicated (only used by checkRights when tablePrefix is empty: existing
   * schemas need USAGE+CREATE, missing ones need CREATE on the database).
   */
  sourceSchemas?: string[];
}

type Client = pg.Client;
const MAX_PARAMS = 65535;

export class PostgresReplica implements Replica {
  readonly dialect: PostgresDialect;
  readonly classifyError: ErrorClassifier;
  private readonly opts: PostgresReplicaOptions;
  private client: Client | null = null;
  private broken = false;
  /** The database was opened once in this process (a later 3D000 is a restore under way, not a setting: errors.ts). */
  private opened = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** stage signature -> temp table name, for this session. */
  private stages = new Map<string, string>();
  private stageSeq = 0;
  /** Stages filled in the current transaction (a second use in the same transaction truncates first). */
  private stagesUsed = new Set<string>();
  private schemasSeen = new Set<string>();
  /** Tables where a direct COPY met a row already there (this session): their groups go through the stage. */
  private conflicted = new Set<string>();
  /** How the COPY-sized upsert groups went this session (diagnostics). */
  readonly copies = { direct: 0, staged: 0, conflicts: 0 };

  constructor(opts: PostgresReplicaOptions) {
    this.opts = opts;
    this.dialect = new PostgresDialect({ tablePrefix: opts.tablePrefix });
    this.classifyError = makePostgresClassifier({ user: opts.user, database: opts.database, opened: () => this.opened });
  }

  // ---- connection ----

  /** Runs `fn` after every earlier call finished (one client cannot interleave transactions). */
  private serial<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => fn(await this.conn()));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async open(): Promise<Client> {
    const o = this.opts;
    const client = new pg.Client({
      host: o.host, port: o.port ?? 5432, database: o.database, user: o.user, password: o.password,
      ssl: o.ssl as pg.ClientConfig['ssl'],
      connectionTimeoutMillis: o.connectTimeoutMs ?? 15000,
      application_name: 'tenant-mirror',
    });
    client.on('error', () => { this.broken = true; });
    await client.connect();
    try {
      await client.query(
        `SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; ` +
        `SET bytea_output = 'hex'; SET standard_conforming_strings = on; SET client_encoding = 'UTF8'; ` +
        `SET lock_timeout = ${Math.max(0, Math.trunc(o.lockTimeoutMs ?? 60000))}`);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    this.broken = false;
    this.opened = true;
    this.stages.clear();
    return client;
  }

  private async conn(): Promise<Client> {
    if (this.client && !this.broken) return this.client;
    const old = this.client;
    this.client = null;
    if (old) await old.end().catch(() => undefined);
    this.client = await this.open();
    return this.client;
  }

  async connect(): Promise<void> {
    await this.serial(async () => undefined);
  }

  async close(): Promise<void> {
    await this.queue;
    const c = this.client;
    this.client = null;
    this.stages.clear();
    if (c) await c.end().catch(() => undefined);
  }

  /** Runs `fn` in BEGIN … COMMIT; ROLLBACK (and forget temp tables created inside) on error. */
  private async tx<T>(c: Client, fn: () => Promise<T>): Promise<T> {
    const before = new Set(this.stages.keys());
    this.stagesUsed.clear();
    await c.query('BEGIN');
    try {
      const r = await fn();
      await c.query('COMMIT');
      return r;
    } catch (e) {
      for (const k of [...this.stages.keys()]) if (!before.has(k)) this.stages.delete(k);
      try { await c.query('ROLLBACK'); } catch { this.broken = true; }
      throw e;
    }
  }

  private async execAll(c: Client, sqls: string[]): Promise<void> {
    await this.tx(c, async () => { for (const s of sqls) await c.query(s); });
  }

  // ---- state ----

  async ensureStateTable(): Promise<void> {
    await this.serial((c) => this.execAll(c, this.dialect.createStateTable()));
  }

  async hasStateTable(): Promise<boolean> {
    return this.serial(async (c) => Number((await c.query<{ present: number }>(this.dialect.stateTableExists())).rows[0]?.present) === 1);
  }

  async readState(kind?: StateKind): Promise<StateRow[]> {
    return this.serial(async (c) => {
      const r = kind === undefined
        ? await c.query<{ Id: string; Kind: string; Value: string }>(`SELECT "Id", "Kind", "Value" FROM ${this.dialect.stateTable()} ORDER BY "Id"`)
        : await c.query<{ Id: string; Kind: string; Value: string }>(`SELECT "Id", "Kind", "Value" FROM ${this.dialect.stateTable()} WHERE "Kind" = $1 ORDER BY "Id"`, [kind]);
      return r.rows.map((x) => ({ id: x.Id, kind: x.Kind as StateKind, value: x.Value }));
    });
  }

  private async upsertState(c: Client, rows: StateRow[]): Promise<void> {
    if (!rows.length) return;
    const last = new Map<string, StateRow>();
    for (const r of rows) last.set(r.id, r);
    const list = [...last.values()];
    for (let i = 0; i < list.length; i += 1000) {
      const chunk = list.slice(i, i + 1000);
      await c.query(this.dialect.upsertState(chunk.length), chunk.flatMap((r) => [r.id, r.kind, r.value]));
    }
  }

  async writeState(rows: StateRow[], remove: string[] = [], lease?: LeaseGuard, guards: readonly StateGuard[] = []): Promise<void> {
    await this.serial((c) => this.tx(c, async () => {
      if (lease) await checkLease(c, this.dialect, lease);
      for (const g of guards) await this.checkGuard(c, g);
      await this.upsertState(c, rows);
      if (remove.length) await c.query(`DELETE FROM ${this.dialect.stateTable()} WHERE "Id" = ANY($1::text[])`, [remove]);
    }));
  }

  // ---- apply (hot path) ----

  async updateLease<T>(decide: (current: string | null) => LeaseDecision<T>): Promise<T> {
    return this.serial((c) => this.tx(c, () => updateLeaseRow(c, this.dialect, decide)));
  }

  async apply(unit: ApplyUnit): Promise<RowDelta[]> {
    const deltas: RowDelta[] = [];
    await this.serial((c) => this.tx(c, async () => {
      deltas.length = 0; // counted again if the transaction is run again
      if (unit.lease) await checkLease(c, this.dialect, unit.lease);
      if (unit.position) await this.checkGuard(c, unit.position);
      for (const tc of unit.tables) {
        try {
          deltas.push(await this.applyTable(c, tc));
        } catch (e) {
          throw tagTable(e, tableId(tc.table));
        }
      }
      await this.upsertState(c, unit.state);
    }));
    return deltas;
  }

  /** The guarded row read with FOR UPDATE: a command deleting it meanwhile waits for this transaction, or went first and is seen. */
  private async checkGuard(c: Client, guard: StateGuard): Promise<void> {
    const r = await c.query<{ Value: string }>(`SELECT "Value" FROM ${this.dialect.stateTable()} WHERE "Id" = $1 FOR UPDATE`, [guard.id]);
    assertStateHeld(r.rows[0]?.Value, guard);
  }

  private async stage(c: Client, def: TableDef, columns: string[]): Promise<string> {
    const types = new Map(def.columns.map((x) => [x.name, x.type]));
    const sig = JSON.stringify(columns.map((n) => [n, this.dialect.columnType(types.get(n)!)]));
    let name = this.stages.get(sig);
    if (!name) {
      name = `_tm_stage_${++this.stageSeq}`;
      await c.query(this.dialect.createStage(name, def, columns));
      this.stages.set(sig, name);
    }
    if (this.stagesUsed.has(name)) await c.query(`TRUNCATE ${quotePgIdent(name)}`);
    this.stagesUsed.add(name);
    return name;
  }

  private async copy(c: Client, sql: string, columns: string[], rows: Row[]): Promise<void> {
    const stream = c.query(copyStreams.from(sql));
    await pipeline(Readable.from(copyChunks(rows, columns), { objectMode: false }), stream);
  }

  /**
   * The group COPYed straight into its table: for the server about a third less work than the stage and
   * INSERT … SELECT … ON CONFLICT (200k rows of 31 columns: 1.2 s against 1.8 s), and one statement
   * fewer. In a savepoint: a row already there (unique violation) undoes it, the group goes through the
   * stage, and the table is not tried again this session. Any other error is the write's own (the stage
   * would meet it as well): it fails the transaction as before. Never with a seen set to fill (a sweep).
   */
  private async copyDirect(c: Client, def: TableDef, columns: string[], rows: Row[]): Promise<boolean> {
    await c.query('SAVEPOINT tm_direct_copy');
    try {
      await this.copy(c, this.dialect.copyIntoTable(def, columns), columns, rows);
    } catch (e) {
      if ((e as { code?: unknown }).code !== '23505') throw e;
      await c.query('ROLLBACK TO SAVEPOINT tm_direct_copy');
      this.conflicted.add(tableId(def));
      this.copies.conflicts++;
      return false;
    }
    await c.query('RELEASE SAVEPOINT tm_direct_copy');
    this.copies.direct++;
    return true;
  }

  private useCopy(rows: number, width: number): boolean {
    return rows >= (this.opts.copyThreshold ?? 100) || rows * width > MAX_PARAMS;
  }

  private async applyTable(c: Client, tc: TableChanges): Promise<RowDelta> {
    const delta: RowDelta = { inserted: 0, deleted: 0 };
    const upsert = async (sql: string, params?: unknown[]): Promise<void> => {
      const r = await c.query<{ n: number }>(this.dialect.countingInserts(sql), params);
      delta.inserted += r.rows[0]?.n ?? 0;
    };
    const def = tc.table;
    const years = def.columns.filter((x) => /^(date|timestamp)/.test(this.dialect.columnType(x.type))).map((x) => x.name);
    if (years.length) tc = { ...tc, upserts: withPgYears(tc.upserts, years), deletes: withPgYears(tc.deletes, years), marks: tc.marks && withPgYears(tc.marks, years) };
    const pk = def.primaryKey;
    const id = tableId(def);
    assertNoNul(def, tc.deletes);
    assertNoNul(def, tc.upserts);
    if (tc.deletes.length) {
      for (const k of tc.deletes) for (const p of pk) {
        if (k[p] === undefined || k[p] === null) throw new MirrorError('REPLICA_WRITE_FAILED', `a key for ${id} lacks primary-key column ${p}`);
      }
      // One array parameter per key column: a nested loop of index lookups whatever the batch size
      // (COPY into an un-analysed stage made the planner pick hash joins over the whole table).
      const sql = this.dialect.deleteByKeyArrays(def);
      for (let i = 0; i < tc.deletes.length; i += 50000) {
        const chunk = tc.deletes.slice(i, i + 50000);
        delta.deleted += (await c.query(sql, pk.map((p) => chunk.map((k) => paramValue(k[p]))))).rowCount ?? 0;
      }
    }
    for (let i = 0, n = Math.floor(MAX_PARAMS / pk.length); tc.markSeen && i < (tc.marks?.length ?? 0); i += n) {
      const chunk = tc.marks!.slice(i, i + n);
      await c.query(this.dialect.markSeenValues(def, chunk.length), chunk.flatMap((r) => pk.map((p) => paramValue(r[p]))));
    }
    if (!tc.upserts.length) return delta;
    // Rows grouped by the set of columns they carry (partial after-images).
    for (const { columns, rows } of groupByColumnSet(def, tc.upserts)) {
      if (this.useCopy(rows.length, columns.length)) {
        if (!tc.markSeen && !this.conflicted.has(id) && await this.copyDirect(c, def, columns, rows)) { delta.inserted += rows.length; continue; }
        this.copies.staged++;
        const st = await this.stage(c, def, columns);
        await this.copy(c, this.dialect.copyInto(st, columns), columns, rows);
        await upsert(this.dialect.upsertFromStage(def, columns, st));
        if (tc.markSeen) await c.query(this.dialect.markSeenFromStage(def, st));
      } else {
        await upsert(this.dialect.upsertValues(def, columns, rows.length), rows.flatMap((r) => columns.map((col) => paramValue(r[col]))));
        if (tc.markSeen) {
          await c.query(this.dialect.markSeenValues(def, rows.length), rows.flatMap((r) => pk.map((p) => paramValue(r[p]))));
        }
      }
    }
    return delta;
  }

  // ---- DDL ----

  async tableExists(ref: TableRef): Promise<boolean> {
    return this.serial(async (c) => {
      const r = await c.query(
        `SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
        [this.dialect.schemaOf(ref), this.dialect.tableName(ref)]);
      return r.rowCount !== null && r.rowCount > 0;
    });
  }

  private async schemaExists(c: Client, schema: string): Promise<boolean> {
    if (this.schemasSeen.has(schema)) return true;
    const r = await c.query(`SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1`, [schema]);
    const ok = (r.rowCount ?? 0) > 0;
    if (ok) this.schemasSeen.add(schema);
    return ok;
  }

  async createTable(def: TableDef): Promise<void> {
    await this.serial(async (c) => {
      const sqls = this.dialect.createTable(def);
      // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists: skip it then.
      const schema = this.dialect.schemaOf(def);
      const run = (await this.schemaExists(c, schema)) ? sqls.filter((s) => s !== this.dialect.createSchema(schema)) : sqls;
      await this.execAll(c, run);
    });
  }

  async alterTable(plan: AlterPlan): Promise<void> {
    await this.serial((c) => this.execAll(c, this.dialect.alterTable(plan)));
    this.stages.clear(); // stage signatures include types; old ones are simply no longer used
  }

  async dropTable(ref: TableRef): Promise<void> {
    await this.serial((c) => this.execAll(c, this.dialect.dropTable(ref)));
  }

  // ---- sweep ----

  async beginSweep(def: TableDef): Promise<void> {
    await this.serial((c) => this.execAll(c, this.dialect.createSeenTable(def)));
  }

  async finishSweep(def: TableDef, lease?: LeaseGuard): Promise<number> {
    return this.serial(async (c) => {
      const r = await c.query(`SELECT to_regclass($1) AS t`, [`${quotePgIdent(STATE_SCHEMA)}.${quotePgIdent(seenTableName(def))}`]);
      if (!r.rows[0]?.t) throw new MirrorError('INTERNAL', `no sweep is running for ${tableId(def)} (finishSweep without beginSweep)`);
      return this.tx(c, async () => {
        if (lease) await checkLease(c, this.dialect, lease);
        const del = await c.query(this.dialect.sweepDelete(def));
        await c.query(`DROP TABLE ${this.dialect.seenTable(def)}`);
        return del.rowCount ?? 0;
      });
    });
  }

  async hasSweep(def: TableDef): Promise<boolean> {
    return this.serial(async (c) => {
      const r = await c.query(`SELECT to_regclass($1) AS t`, [`${quotePgIdent(STATE_SCHEMA)}.${quotePgIdent(seenTableName(def))}`]);
      return Boolean(r.rows[0]?.t);
    });
  }

  async cancelSweep(def: TableDef): Promise<void> {
    await this.serial((c) => this.execAll(c, [`DROP TABLE IF EXISTS ${this.dialect.seenTable(def)}`]));
  }

  // ---- reads ----

  async countRows(ref: TableRef): Promise<number> {
    return this.serial(async (c) => {
      const r = await c.query<{ n: string }>({ text: `SELECT count(*) AS n FROM ${this.dialect.qualify(ref)}`, types: textTypes });
      return Number(r.rows[0]?.n ?? 0);
    });
  }

  async readRows(def: TableDef): Promise<Row[]> {
    return this.serial(async (c) => {
      const r = await c.query<unknown[]>({ text: this.dialect.selectRows(def), types: textTypes, rowMode: 'array' });
      return r.rows.map((vals) => {
        const row: Row = {};
        def.columns.forEach((col, i) => { row[col.name] = decodePgText(vals[i] as string | null, col.type); });
        return row;
      });
    });
  }

  async checkRights(): Promise<RightsReport> {
    return this.serial(async (c) => {
      const missing: string[] = [];
      const r = await c.query<{ u: string; d: string; dbcreate: boolean; dbtemp: boolean }>(
        `SELECT current_user AS u, current_database() AS d, has_database_privilege(current_database(), 'CREATE') AS dbcreate, has_database_privilege(current_database(), 'TEMPORARY') AS dbtemp`);
      const info = r.rows[0]!;
      const who = quotePgIdent(info.u);
      const db = quotePgIdent(info.d);
      if (!info.dbtemp) missing.push(`${info.u} cannot create temporary tables (used to stage each batch). Run: GRANT TEMPORARY ON DATABASE ${db} TO ${who};`);
      const checkSchema = async (schema: string, why: string): Promise<void> => {
        const s = await c.query<{ usage: boolean; create: boolean }>(
          `SELECT has_schema_privilege(n.oid, 'USAGE') AS usage, has_schema_privilege(n.oid, 'CREATE') AS "create" FROM pg_catalog.pg_namespace n WHERE n.nspname = $1`, [schema]);
        const row = s.rows[0];
        if (!row) {
          if (!info.dbcreate) missing.push(`Schema ${schema} (${why}) does not exist and ${info.u} cannot create it. Run: GRANT CREATE ON DATABASE ${db} TO ${who}; (or, as an administrator: CREATE SCHEMA ${quotePgIdent(schema)} AUTHORIZATION ${who};)`);
          return;
        }
        if (!row.usage || !row.create) missing.push(`${info.u} cannot create tables in schema ${schema} (${why}). Run: GRANT USAGE, CREATE ON SCHEMA ${quotePgIdent(schema)} TO ${who};`);
      };
      await checkSchema(STATE_SCHEMA, `holds ${STATE_TABLE} and the resnapshot sweep sets`);
      if (this.opts.tablePrefix) {
        await checkSchema(this.opts.tablePrefix, 'destination of every replicated table');
      } else if (this.opts.sourceSchemas?.length) {
        for (const s of this.opts.sourceSchemas) await checkSchema(s, 'destination of its source schema');
      } else if (!info.dbcreate) {
        missing.push(`${info.u} cannot create a schema per source schema. Run: GRANT CREATE ON DATABASE ${db} TO ${who}; (or create each source schema and GRANT USAGE, CREATE ON SCHEMA … TO ${who};)`);
      }
      const st = await c.query<{ ok: boolean | null }>(
        `SELECT CASE WHEN to_regclass($1) IS NULL THEN NULL ELSE has_table_privilege(to_regclass($1), 'SELECT, INSERT, UPDATE, DELETE') END AS ok`,
        [this.dialect.stateTable()]);
      if (st.rows[0]?.ok === false) missing.push(`${info.u} cannot read and write ${STATE_TABLE}. Run: GRANT SELECT, INSERT, UPDATE, DELETE ON ${this.dialect.stateTable()} TO ${who};`);
      return { ok: missing.length === 0, missing };
    });
  }
}

export function createPostgresReplica(opts: PostgresReplicaOptions): PostgresReplica {
  return new PostgresReplica(opts);
}

