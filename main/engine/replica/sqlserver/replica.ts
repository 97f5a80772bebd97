/**
 * The live SQL Server replica on mssql (tedious). One pool; every write is one `mssql.Transaction`,
 * i.e. one connection, so `#temp` staging tables live as long as the batch and are visible to its
 * MERGE (a pooled `new Request(pool)` could run the bulk load and the MERGE on different connections,
 * node-mssql #814). Requests on a transaction are serial: never Promise.all on one.
 *
 * Batch shape: BEGIN TRAN (read committed), SET XACT_ABORT ON; per table, in chunks of at most
 * `STATEMENT_ROWS` rows (under the lock-escalation threshold, so readers are not blocked by a table
 * lock held to commit): stage delete keys -> DELETE; stage upserts (one stage per column set, for
 * partial rows) -> UPDATE + INSERT -> sweep marks; then the `_ReplicationState` rows; COMMIT. Any
 * error rolls back the whole unit.
 *
 * Work proportional to a table's size runs without the request timeout (`UNTIMED`): DDL statement by
 * statement, each idempotent (ddl.ts): CREATE and DROP in autocommit, ALTER (key widening,
 * `ADD … WITH VALUES`) in one transaction so a failure (an object the user added depends on the
 * column, 5074) leaves the primary key in place; the sweep's DELETE in bounded chunks, each in a
 * transaction of its own that first re-checks the writer lease. Design notes on keys, sizes and
 * upserts: columns.ts and dml.ts.
 */
import mssql from 'mssql';
import { MirrorError } from '../../errors.ts';
import type { Row, TableDef, TableRef } from '../../schema/table-model.ts';
import { tableId } from '../../schema/table-model.ts';
import { tagTable } from '../error-tagging.ts';
import { groupByColumnSet } from '../column-sets.ts';
import { LEASE_ID } from '../replica.ts';
import type { AlterPlan } from '../dialect.ts';
import type { ApplyUnit, LeaseDecision, LeaseGuard, Replica, StateGuard, RightsReport, RowDelta, StateKind, StateRow, TableChanges } from '../replica.ts';
import { assertLeaseHeld } from '../lease-check.ts';
import { assertPositionHeld, assertStateHeld } from '../position-check.ts';
import { SqlServerDialect } from './dialect.ts';
import type { StagePlan } from './dml.ts';
import { STATEMENT_ROWS } from './dml.ts';
import { STATE_ID_LENGTH } from './ddl.ts';
import { classifySqlServerError } from './errors.ts';
import { STATE_SCHEMA } from './naming.ts';
import { rightsQuerySql, rightsReport } from './rights.ts';
import type { StageDriverType } from './types.ts';
import { readValue, StageValueError, stageValue } from './values.ts';

export interface SqlServerReplicaOptions {
  /** Host name, `host\\instance` for a named instance. */
  server: string;
  port?: number | undefined;
  database: string;
  user?: string | undefined;
  password?: string | undefined;
  /** Windows domain: NTLM login as DOMAIN\\user. */
  domain?: string | undefined;
  /** `'strict'`: TDS 8.0, TLS before the login (`Encrypt=Strict`). */
  encrypt: boolean | 'strict';
  trustServerCertificate: boolean;
  /** Destination schema override; empty = the source schema. */
  tablePrefix: string;
  /** Per-statement timeout (default 5 minutes: a large MERGE can take a while). */
  requestTimeoutMs?: number | undefined;
  poolMax?: number | undefined;
}

/** State rows go in chunks well below the 2,100-parameter limit of one request. */
const STATE_CHUNK = 500;
/** Request option for size-proportional work (DDL, sweep chunks): no request timeout (mssql per-request override). */
const UNTIMED = { requestTimeout: 0 } as const;

/** Splits rows into statement-sized chunks. */
function chunks<T>(rows: T[], size = STATEMENT_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** A state id the state table cannot hold is a bug to report, never a retry. */
function checkStateId(id: string): void {
  if (id.length > STATE_ID_LENGTH) {
    throw new MirrorError('REPLICA_WRITE_FAILED', `state id is ${id.length} characters long, the SQL Server state table holds ${STATE_ID_LENGTH}: ${id.slice(0, 60)}…`, { retriable: false });
  }
}

function driverType(m: MssqlDriver, t: StageDriverType): mssql.ISqlType | (() => mssql.ISqlType) {
  switch (t.kind) {
    case 'bit': return m.Bit;
    case 'smallint': return m.SmallInt;
    case 'int': return m.Int;
    case 'real': return m.Real;
    case 'float': return m.Float;
    case 'nvarchar': return m.NVarChar(t.length === 'max' ? m.MAX : t.length);
    case 'varbinary': return m.VarBinary(t.length === 'max' ? m.MAX : t.length);
  }
}

export function buildPoolConfig(opts: SqlServerReplicaOptions): mssql.config {
  const config: mssql.config = {
    server: opts.server,
    database: opts.database,
    connectionTimeout: 15_000,
    requestTimeout: opts.requestTimeoutMs ?? 300_000,
    options: { encrypt: opts.encrypt, trustServerCertificate: opts.trustServerCertificate, appName: 'tenant-mirror', useUTC: true },
    pool: { max: opts.poolMax ?? 4, min: 0, idleTimeoutMillis: 30_000 },
  };
  if (opts.port !== undefined) config.port = opts.port;
  if (opts.user !== undefined) config.user = opts.user;
  if (opts.password !== undefined) config.password = opts.password;
  if (opts.domain) config.domain = opts.domain;
  return config;
}

/** The parts of the mssql module the replica uses; tests substitute pool, transaction and request. */
export type MssqlDriver = typeof mssql;

export class SqlServerReplica implements Replica {
  readonly dialect: SqlServerDialect;
  readonly classifyError = classifySqlServerError;
  private readonly opts: SqlServerReplicaOptions;
  private readonly m: MssqlDriver;
  private pool: mssql.ConnectionPool | null = null;

  constructor(opts: SqlServerReplicaOptions, driver: MssqlDriver = mssql) {
    this.opts = opts;
    this.m = driver;
    this.dialect = new SqlServerDialect({ tablePrefix: opts.tablePrefix });
  }

  // ---- connection and transactions ----

  private getPool(): mssql.ConnectionPool {
    if (!this.pool) throw new MirrorError('REPLICA_UNREACHABLE', 'SQL Server replica is not connected (call connect() first)');
    return this.pool;
  }

  private async inTransaction<T>(fn: (tx: mssql.Transaction) => Promise<T>): Promise<T> {
    const m = this.m;
    const tx = new m.Transaction(this.getPool());
    await tx.begin(m.ISOLATION_LEVEL.READ_COMMITTED);
    let committed = false;
    try {
      await new m.Request(tx).batch('SET XACT_ABORT ON;');
      const result = await fn(tx);
      await tx.commit();
      committed = true;
      return result;
    } catch (err) {
      if (!committed) {
        try { await tx.rollback(); } catch { /* XACT_ABORT already rolled it back */ }
      }
      throw err;
    }
  }

  /** A request with no request timeout (mssql's per-request override; the typings omit the argument). */
  private untimed(parent: mssql.ConnectionPool | mssql.Transaction): mssql.Request {
    return new (this.m.Request as unknown as new (p: unknown, o: typeof UNTIMED) => mssql.Request)(parent, UNTIMED);
  }

  /** DDL: statement by statement (each idempotent), autocommit, no request timeout. */
  private async runDdl(statements: string[]): Promise<void> {
    for (const sql of statements) await this.untimed(this.getPool()).batch(sql);
  }

  private async scalar(sql: string): Promise<unknown> {
    const res = await new this.m.Request(this.getPool()).query(sql);
    const row = res.recordset[0] as Record<string, unknown> | undefined;
    return row ? Object.values(row)[0] : undefined;
  }

  // ---- apply ----

  private async bulkStage(tx: mssql.Transaction, def: TableDef, plan: StagePlan, rows: Row[]): Promise<void> {
    const m = this.m;
    const table = new m.Table(plan.table);
    table.create = false;
    if (plan.withSeq) table.columns.add('seq', m.Int, { nullable: false });
    for (const c of plan.columns) table.columns.add(c.stageName, driverType(m, c.type.driver), { nullable: !c.isKey });
    rows.forEach((row, i) => {
      const values = plan.columns.map((c) => {
        const v = row[c.column.name] ?? null;
        if (v === null && c.isKey) throw new StageValueError(`${tableId(def)}: key column ${c.column.name} is null`);
        try {
          return stageValue(c.column.type, v);
        } catch (err) {
          if (err instanceof StageValueError) throw new StageValueError(`${tableId(def)}.${c.column.name}: ${err.message}`);
          throw err;
        }
      });
      if (plan.withSeq) table.rows.add(i, ...values);
      else table.rows.add(...values);
    });
    await new m.Request(tx).batch(this.dialect.createStage(plan));
    await new m.Request(tx).bulk(table);
  }

  private async applyTable(tx: mssql.Transaction, ch: TableChanges): Promise<RowDelta> {
    const m = this.m;
    const dialect = this.dialect;
    const def = ch.table;
    const delta: RowDelta = { inserted: 0, deleted: 0 };
    // Rows affected, one entry per statement of the batch: the DELETE's; the upsert's INSERT comes last (after its UPDATE).
    const sum = (r: { rowsAffected?: number[] }) => (r.rowsAffected ?? []).reduce((a, b) => a + b, 0);
    if (ch.deletes.length > 0) {
      const plan = dialect.stagePlan(def, def.primaryKey, 'delete');
      for (const rows of chunks(ch.deletes)) {
        await this.bulkStage(tx, def, plan, rows);
        delta.deleted += sum(await new m.Request(tx).batch(dialect.deleteRows(def, plan)));
        await new m.Request(tx).batch(dialect.dropStage(plan));
      }
    }
    if (ch.markSeen && ch.marks?.length) {
      const plan = dialect.stagePlan(def, def.primaryKey, 'delete');
      for (const rows of chunks(ch.marks)) {
        await this.bulkStage(tx, def, plan, rows);
        await new m.Request(tx).batch(dialect.markSeen(def, plan));
        await new m.Request(tx).batch(dialect.dropStage(plan));
      }
    }
    // Upserts grouped by the set of columns they carry (partial rows only update what they have).
    for (const group of groupByColumnSet(def, ch.upserts)) {
      const plan = dialect.stagePlan(def, group.columns, 'upsert');
      for (const rows of chunks(group.rows)) {
        await this.bulkStage(tx, def, plan, rows);
        delta.inserted += (await new m.Request(tx).batch(dialect.upsert(def, plan))).rowsAffected?.at(-1) ?? 0;
        if (ch.markSeen) await new m.Request(tx).batch(dialect.markSeen(def, plan));
        await new m.Request(tx).batch(dialect.dropStage(plan));
      }
    }
    return delta;
  }

  // ---- state and lease ----

  private async upsertState(tx: mssql.Transaction, rows: StateRow[], remove: string[] = []): Promise<void> {
    const m = this.m;
    const last = new Map<string, StateRow>();
    for (const r of rows) last.set(r.id, r); // last write per id wins
    const all = [...last.values()];
    for (let i = 0; i < all.length; i += STATE_CHUNK) {
      const chunk = all.slice(i, i + STATE_CHUNK);
      const req = new m.Request(tx);
      chunk.forEach((r, j) => {
        checkStateId(r.id);
        req.input(`id${j}`, m.NVarChar(STATE_ID_LENGTH), r.id);
        req.input(`kind${j}`, m.NVarChar(32), r.kind);
        req.input(`value${j}`, m.NVarChar(m.MAX), r.value);
      });
      await req.query(this.dialect.upsertState(chunk.length));
    }
    for (let i = 0; i < remove.length; i += STATE_CHUNK) {
      const chunk = remove.slice(i, i + STATE_CHUNK);
      const req = new m.Request(tx);
      chunk.forEach((id, j) => { checkStateId(id); req.input(`rm${j}`, m.NVarChar(STATE_ID_LENGTH), id); });
      await req.query(this.dialect.deleteState(chunk.length));
    }
  }

  /** A state row (the `lease` row unless told) under UPDLOCK, HOLDLOCK: held until the transaction ends, so a lease taker waits for the batch. */
  private async lockedStateValue(tx: mssql.Transaction, id: string = LEASE_ID): Promise<string | null> {
    const m = this.m;
    const res = await new m.Request(tx).input('id', m.NVarChar(STATE_ID_LENGTH), id).query(this.dialect.selectLease());
    return (res.recordset[0] as { Value?: string } | undefined)?.Value ?? null;
  }

  private async checkLease(tx: mssql.Transaction, lease: LeaseGuard | undefined): Promise<void> {
    if (lease) assertLeaseHeld(await this.lockedStateValue(tx), lease);
  }

  // ---- Replica ----

  async connect(): Promise<void> {
    if (this.pool) return;
    const p = new this.m.ConnectionPool(buildPoolConfig(this.opts));
    p.on('error', () => { /* idle-connection errors surface on the next request */ });
    await p.connect();
    this.pool = p;
  }

  async close(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    if (p) await p.close();
  }

  async ensureStateTable(): Promise<void> {
    await this.runDdl(this.dialect.createStateTable());
  }

  async hasStateTable(): Promise<boolean> {
    return Number(await this.scalar(this.dialect.stateTableExists())) === 1;
  }

  async readState(kind?: StateKind): Promise<StateRow[]> {
    if (!(await this.hasStateTable())) {
      throw new MirrorError('REPLICA_NOT_PROVISIONED', `dbo._ReplicationState does not exist in database ${this.opts.database}; run provision first`);
    }
    const req = new this.m.Request(this.getPool());
    if (kind !== undefined) req.input('kind', this.m.NVarChar(32), kind);
    const res = await req.query(this.dialect.readState(kind !== undefined));
    return (res.recordset as Array<{ Id: string; Kind: string; Value: string }>).map((r) => ({ id: r.Id, kind: r.Kind as StateKind, value: r.Value }));
  }

  async writeState(rows: StateRow[], remove: string[] = [], lease?: LeaseGuard, guards: readonly StateGuard[] = []): Promise<void> {
    if (rows.length === 0 && remove.length === 0) return;
    await this.inTransaction(async (tx) => {
      await this.checkLease(tx, lease);
      for (const g of guards) assertStateHeld(await this.lockedStateValue(tx, g.id), g);
      await this.upsertState(tx, rows, remove);
    });
  }

  async updateLease<T>(decide: (current: string | null) => LeaseDecision<T>): Promise<T> {
    return this.inTransaction(async (tx) => {
      const out = decide(await this.lockedStateValue(tx));
      if (out.write !== undefined) await this.upsertState(tx, [{ id: LEASE_ID, kind: 'lease', value: out.write }]);
      if (out.remove) await this.upsertState(tx, [], [LEASE_ID]);
      return out.result;
    });
  }

  async apply(unit: ApplyUnit): Promise<RowDelta[]> {
    return this.inTransaction(async (tx) => {
      await this.checkLease(tx, unit.lease);
      // The offset row under the same locks as the lease row: it is written at the end of this transaction.
      if (unit.position) assertPositionHeld(await this.lockedStateValue(tx, unit.position.id), unit.position);
      const deltas: RowDelta[] = [];
      for (const ch of unit.tables) {
        try {
          deltas.push(await this.applyTable(tx, ch));
        } catch (err) {
          throw tagTable(err, tableId(ch.table));
        }
      }
      if (unit.state.length > 0) await this.upsertState(tx, unit.state);
      return deltas;
    });
  }

  async tableExists(ref: TableRef): Promise<boolean> {
    return Number(await this.scalar(this.dialect.tableExists(ref))) === 1;
  }

  async createTable(def: TableDef): Promise<void> {
    await this.runDdl(this.dialect.createTable(def));
  }

  async alterTable(plan: AlterPlan): Promise<void> {
    // One transaction (a failure such as 5074 leaves the primary key in place), without the timeout.
    await this.inTransaction(async (tx) => { for (const sql of this.dialect.alterTable(plan)) await this.untimed(tx).batch(sql); });
  }

  async dropTable(ref: TableRef): Promise<void> {
    await this.runDdl(this.dialect.dropTable(ref));
  }

  async beginSweep(def: TableDef): Promise<void> {
    await this.runDdl(this.dialect.beginSweep(def));
  }

  async finishSweep(def: TableDef, lease?: LeaseGuard): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.inTransaction(async (tx) => {
        await this.checkLease(tx, lease);
        const res = await this.untimed(tx).query(this.dialect.finishSweep(def));
        return res.rowsAffected.reduce((a, b) => a + b, 0);
      });
      total += deleted;
      if (deleted < STATEMENT_ROWS) break;
    }
    await this.runDdl(this.dialect.dropSweep(def));
    return total;
  }

  async hasSweep(def: TableDef): Promise<boolean> {
    const name = this.dialect.naming.seenTable(def).replaceAll("'", "''");
    return Number(await this.scalar(`SELECT CASE WHEN OBJECT_ID(N'${name}', N'U') IS NULL THEN 0 ELSE 1 END`)) === 1;
  }

  async cancelSweep(def: TableDef): Promise<void> {
    await this.runDdl(this.dialect.dropSweep(def));
  }

  async countRows(ref: TableRef): Promise<number> {
    return Number(await this.scalar(this.dialect.countRows(ref)));
  }

  async readRows(def: TableDef): Promise<Row[]> {
    const req = new this.m.Request(this.getPool());
    req.arrayRowMode = true;
    const res = await req.query(this.dialect.selectRows(def));
    return (res.recordset as unknown as unknown[][]).map((values) => {
      const row: Row = {};
      def.columns.forEach((c, i) => { row[c.name] = readValue(c.type, values[i]); });
      return row;
    });
  }

  async checkRights(): Promise<RightsReport> {
    const schemas = [STATE_SCHEMA];
    const prefix = this.opts.tablePrefix;
    if (prefix !== '' && prefix !== STATE_SCHEMA) schemas.push(prefix);
    const res = await new this.m.Request(this.getPool()).query(rightsQuerySql(schemas));
    return rightsReport((res.recordset[0] ?? {}) as Record<string, unknown>, schemas, { schemasOnDemand: prefix === '' });
  }
}

export function createSqlServerReplica(opts: SqlServerReplicaOptions, driver: MssqlDriver = mssql): SqlServerReplica {
  return new SqlServerReplica(opts, driver);
}
