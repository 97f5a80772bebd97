/**
 * PostgreSQL SQL generation. Destination schema = tablePrefix || source schema; `_ReplicationState` and
 * the sweep sets live in `public`. Identifiers are always quoted (case and any character kept) and
 * refused when longer than 63 bytes, because PostgreSQL would silently truncate them and two long
 * names could collide.
 */
import { MirrorError } from '../../errors.ts';
import type { ColumnDef, ColumnType, TableDef, TableRef } from '../../schema/table-model.ts';
import type { AlterPlan, Dialect } from '../dialect.ts';
import { STATE_TABLE } from '../replica.ts';
import { replicaTableName, seenTableName, TABLE_NAME_RULES } from '../table-names.ts';

/** NAMEDATALEN - 1. */
export const PG_MAX_IDENT_BYTES = 63;
/** Largest varchar(n); longer strings become text. */
const PG_MAX_VARCHAR = 10485760;
export const STATE_SCHEMA = 'public';

export function quotePgIdent(identifier: string): string {
  if (identifier.length === 0) throw new MirrorError('SCHEMA_CONFLICT', 'an empty identifier cannot be used as a PostgreSQL name');
  if (identifier.includes('\u0000')) {
    throw new MirrorError('SCHEMA_CONFLICT', `identifier ${JSON.stringify(identifier)} contains a NUL character, which PostgreSQL names cannot hold`);
  }
  const bytes = Buffer.byteLength(identifier, 'utf8');
  if (bytes > PG_MAX_IDENT_BYTES) {
    throw new MirrorError('SCHEMA_CONFLICT',
      `the name ${JSON.stringify(identifier)} is ${bytes} bytes long; PostgreSQL keeps only ${PG_MAX_IDENT_BYTES} bytes of a name ` +
      `and would silently truncate it (two long names could then collide). Exclude the table or column, or use a shorter tablePrefix.`,
      { detail: { identifier, bytes, max: PG_MAX_IDENT_BYTES } });
  }
  return '"' + identifier.replace(/"/g, '""') + '"';
}

export function pgStringLiteral(s: string): string {
  // standard_conforming_strings is on (forced per session): only quotes need doubling.
  return "'" + s.replace(/'/g, "''") + "'";
}

function clampPrecision(p: number): number {
  return Math.max(0, Math.min(6, Math.trunc(p)));
}

export function pgColumnType(type: ColumnType): string {
  switch (type.kind) {
    case 'bool': return 'boolean';
    case 'int': return type.bits === 64 ? 'bigint' : type.bits === 32 ? 'integer' : 'smallint';
    case 'float': return type.bits === 32 ? 'real' : 'double precision';
    case 'decimal':
      if (type.precision >= 1 && type.precision <= 1000 && type.scale >= 0 && type.scale <= type.precision) return `numeric(${type.precision},${type.scale})`;
      return 'numeric';
    case 'string':
      return type.length !== null && type.length >= 1 && type.length <= PG_MAX_VARCHAR ? `varchar(${type.length})` : 'text';
    case 'bytes': return 'bytea';
    case 'date': return 'date';
    // SQL Server time(7) / datetime2(7) (100 ns) and datetimeoffset (each value's own offset): no PostgreSQL
    // type holds them exactly, so they are kept as their canonical text (ISO order sorts chronologically).
    case 'time': return type.precision > 6 ? 'text' : `time(${clampPrecision(type.precision)})`;
    // MySQL TIME (±838 h, negative too): a time of day cannot hold it; interval keeps it exactly.
    case 'duration': return `interval(${clampPrecision(type.precision)})`;
    case 'timestamp': return type.precision > 6 ? 'text' : `timestamp(${clampPrecision(type.precision)})`;
    case 'timestamptz': return type.offset || type.precision > 6 ? 'text' : `timestamptz(${clampPrecision(type.precision)})`;
    case 'uuid': return 'uuid';
    case 'json': return 'jsonb';
  }
}

/** A default as a PostgreSQL literal, or undefined for "no DEFAULT clause". */
export function pgDefaultLiteral(col: ColumnDef): string | undefined {
  const v = col.defaultValue;
  if (v === undefined) return undefined;
  if (v === null) return 'NULL';
  if (col.type.kind === 'bytes') return undefined;
  if (typeof v === 'boolean') return col.type.kind === 'bool' ? (v ? 'true' : 'false') : pgStringLiteral(v ? '1' : '0');
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return pgStringLiteral(String(v));
    return col.type.kind === 'int' || col.type.kind === 'float' || col.type.kind === 'decimal' ? String(v) : pgStringLiteral(String(v));
  }
  return pgStringLiteral(v);
}

export class PostgresDialect implements Dialect {
  readonly name = 'postgres' as const;
  readonly tablePrefix: string;

  constructor(opts: { tablePrefix: string }) {
    this.tablePrefix = opts.tablePrefix;
  }

  quoteIdent(identifier: string): string {
    return quotePgIdent(identifier);
  }

  /** Unquoted destination schema of a source table. */
  schemaOf(ref: TableRef): string {
    return this.tablePrefix || ref.schema;
  }

  /** Unquoted replica name of a source table: case kept, escaped past 63 bytes or when reserved (table-names.ts, docs/naming.md). */
  tableName(ref: TableRef): string {
    return replicaTableName(ref.name, TABLE_NAME_RULES.postgres);
  }

  qualify(ref: TableRef): string {
    return `${this.quoteIdent(this.schemaOf(ref))}.${this.quoteIdent(this.tableName(ref))}`;
  }

  stateTable(): string {
    return `${this.quoteIdent(STATE_SCHEMA)}.${this.quoteIdent(STATE_TABLE)}`;
  }

  seenTable(ref: TableRef): string {
    return `${this.quoteIdent(STATE_SCHEMA)}.${this.quoteIdent(seenTableName(ref))}`;
  }

  columnType(type: ColumnType): string {
    return pgColumnType(type);
  }

  columnDef(col: ColumnDef): string {
    let s = `${this.quoteIdent(col.name)} ${this.columnType(col.type)}`;
    const d = pgDefaultLiteral(col);
    if (d !== undefined) s += ` DEFAULT ${d}`;
    if (!col.nullable) s += ' NOT NULL';
    return s;
  }

  /**
   * `_ReplicationState` made if missing. CREATE TABLE IF NOT EXISTS is not safe against itself: sessions
   * that both see no table both create it, and the later commit fails on pg_type's unique index (two
   * `provision`s started together: the second exited with that instead of REPLICA_IN_USE). A transaction-
   * scoped advisory lock, per database, makes them take turns: the next one finds the table.
   */
  createStateTable(): string[] {
    return [
      `SELECT pg_advisory_xact_lock(hashtext('tenant-mirror: ${STATE_TABLE}'))`,
      `CREATE TABLE IF NOT EXISTS ${this.stateTable()} ("Id" varchar(200) NOT NULL PRIMARY KEY, "Kind" varchar(32) NOT NULL, ` +
      `"Value" text NOT NULL, "UpdatedUtc" timestamp(3) NOT NULL DEFAULT (now() AT TIME ZONE 'utc'))`,
    ];
  }

  stateTableExists(): string {
    return `SELECT CASE WHEN to_regclass('${this.stateTable()}') IS NULL THEN 0 ELSE 1 END AS present`;
  }

  createSchema(schema: string): string {
    return `CREATE SCHEMA IF NOT EXISTS ${this.quoteIdent(schema)}`;
  }

  createTable(def: TableDef): string[] {
    if (def.primaryKey.length === 0) throw new MirrorError('SCHEMA_CONFLICT', `table ${def.schema}.${def.name} has no primary key`);
    const cols = def.columns.map((c) => this.columnDef(c));
    cols.push(`PRIMARY KEY (${def.primaryKey.map((k) => this.quoteIdent(k)).join(', ')})`);
    return [this.createSchema(this.schemaOf(def)), `CREATE TABLE IF NOT EXISTS ${this.qualify(def)} (${cols.join(', ')})`];
  }

  /** One ALTER TABLE with every action, so a type change rewrites the table (and its indexes) once. */
  alterTable(plan: AlterPlan): string[] {
    const actions: string[] = [];
    for (const c of plan.addColumns) actions.push(`ADD COLUMN IF NOT EXISTS ${this.columnDef(c)}`);
    for (const c of plan.widenColumns) actions.push(`ALTER COLUMN ${this.quoteIdent(c.name)} TYPE ${this.columnType(c.type)}`);
    for (const c of plan.relaxNullability) actions.push(`ALTER COLUMN ${this.quoteIdent(c.name)} DROP NOT NULL`);
    if (actions.length === 0) return [];
    return [`ALTER TABLE ${this.qualify(plan.table)} ${actions.join(', ')}`];
  }

  dropTable(ref: TableRef): string[] {
    return [`DROP TABLE IF EXISTS ${this.qualify(ref)}`, `DROP TABLE IF EXISTS ${this.seenTable(ref)}`];
  }

  // ---- DML used by the replica (exposed for unit tests) ----

  private conflictClause(def: TableDef, columns: string[]): string {
    const set = columns.filter((c) => !def.primaryKey.includes(c)).map((c) => `${this.quoteIdent(c)} = EXCLUDED.${this.quoteIdent(c)}`);
    const pk = def.primaryKey.map((k) => this.quoteIdent(k)).join(', ');
    return set.length ? `ON CONFLICT (${pk}) DO UPDATE SET ${set.join(', ')}` : `ON CONFLICT (${pk}) DO NOTHING`;
  }

  /**
   * An upsert (upsertValues / upsertFromStage) that answers how many rows it inserted, as one row `n`. A row
   * version an INSERT created has xmax 0; one ON CONFLICT DO UPDATE replaced carries the lock it took
   * (DO NOTHING returns inserted rows only). Checked against COUNT(*) on a real server (replica-behaviour).
   */
  countingInserts(upsert: string): string {
    return `WITH w AS (${upsert} RETURNING (xmax = 0) AS ins) SELECT count(*) FILTER (WHERE ins)::int AS n FROM w`;
  }

  /** Multi-row parameterised upsert ($1…), for small batches. */
  upsertValues(def: TableDef, columns: string[], rows: number): string {
    const cols = columns.map((c) => this.quoteIdent(c)).join(', ');
    return `INSERT INTO ${this.qualify(def)} (${cols}) VALUES ${placeholders(columns.length, rows)} ${this.conflictClause(def, columns)}`;
  }

  /** Staging table (session temp table, emptied at every commit) for COPY. */
  createStage(stage: string, def: TableDef, columns: string[]): string {
    const types = new Map(def.columns.map((c) => [c.name, c.type]));
    const cols = columns.map((c) => `${this.quoteIdent(c)} ${this.columnType(types.get(c)!)}`);
    return `CREATE TEMP TABLE IF NOT EXISTS ${this.quoteIdent(stage)} (${cols.join(', ')}) ON COMMIT DELETE ROWS`;
  }

  copyInto(stage: string, columns: string[]): string {
    return this.copyFrom(this.quoteIdent(stage), columns);
  }

  /** COPY straight into the table (rows new to it: PostgresReplica.copyDirect). */
  copyIntoTable(def: TableDef, columns: string[]): string {
    return this.copyFrom(this.qualify(def), columns);
  }

  private copyFrom(target: string, columns: string[]): string {
    return `COPY ${target} (${columns.map((c) => this.quoteIdent(c)).join(', ')}) FROM STDIN`;
  }

  upsertFromStage(def: TableDef, columns: string[], stage: string): string {
    const cols = columns.map((c) => this.quoteIdent(c)).join(', ');
    return `INSERT INTO ${this.qualify(def)} (${cols}) SELECT ${cols} FROM ${this.quoteIdent(stage)} ${this.conflictClause(def, columns)}`;
  }

  /** Set-based delete of the keys passed as one array parameter per key column ($1 … $k). */
  deleteByKeyArrays(def: TableDef): string {
    const types = new Map(def.columns.map((c) => [c.name, c.type]));
    const pk = def.primaryKey.map((k) => this.quoteIdent(k));
    const arrays = def.primaryKey.map((k, i) => `$${i + 1}::${this.columnType(types.get(k)!)}[]`);
    const match = pk.map((k) => `t.${k} = s.${k}`).join(' AND ');
    return `DELETE FROM ${this.qualify(def)} AS t USING unnest(${arrays.join(', ')}) AS s (${pk.join(', ')}) WHERE ${match}`;
  }

  createSeenTable(def: TableDef): string[] {
    const types = new Map(def.columns.map((c) => [c.name, c.type]));
    const cols = def.primaryKey.map((k) => {
      const t = types.get(k);
      if (!t) throw new MirrorError('SCHEMA_CONFLICT', `primary-key column ${k} of ${def.schema}.${def.name} is not a column`);
      return `${this.quoteIdent(k)} ${this.columnType(t)} NOT NULL`;
    });
    const pk = def.primaryKey.map((k) => this.quoteIdent(k)).join(', ');
    return [`DROP TABLE IF EXISTS ${this.seenTable(def)}`, `CREATE TABLE ${this.seenTable(def)} (${cols.join(', ')}, PRIMARY KEY (${pk}))`];
  }

  markSeenFromStage(def: TableDef, stage: string): string {
    const pk = def.primaryKey.map((k) => this.quoteIdent(k)).join(', ');
    return `INSERT INTO ${this.seenTable(def)} (${pk}) SELECT ${pk} FROM ${this.quoteIdent(stage)} ON CONFLICT DO NOTHING`;
  }

  markSeenValues(def: TableDef, rows: number): string {
    const pk = def.primaryKey.map((k) => this.quoteIdent(k)).join(', ');
    return `INSERT INTO ${this.seenTable(def)} (${pk}) VALUES ${placeholders(def.primaryKey.length, rows)} ON CONFLICT DO NOTHING`;
  }

  sweepDelete(def: TableDef): string {
    const match = def.primaryKey.map((k) => `s.${this.quoteIdent(k)} = t.${this.quoteIdent(k)}`).join(' AND ');
    return `DELETE FROM ${this.qualify(def)} AS t WHERE NOT EXISTS (SELECT 1 FROM ${this.seenTable(def)} AS s WHERE ${match})`;
  }

  upsertState(rows: number): string {
    const vals = Array.from({ length: rows }, (_, i) => `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3}, now() AT TIME ZONE 'utc')`).join(', ');
    return `INSERT INTO ${this.stateTable()} ("Id", "Kind", "Value", "UpdatedUtc") VALUES ${vals} ` +
      `ON CONFLICT ("Id") DO UPDATE SET "Kind" = EXCLUDED."Kind", "Value" = EXCLUDED."Value", "UpdatedUtc" = EXCLUDED."UpdatedUtc"`;
  }

  selectRows(def: TableDef): string {
    return `SELECT ${def.columns.map((c) => this.quoteIdent(c.name)).join(', ')} FROM ${this.qualify(def)} ORDER BY ${def.primaryKey.map((k) => this.quoteIdent(k)).join(', ')}`;
  }
}

/** `($1, $2), ($3, $4)` for `rows` tuples of `width` parameters. */
export function placeholders(width: number, rows: number): string {
  const out: string[] = [];
  let n = 1;
  for (let r = 0; r < rows; r++) {
    const t: string[] = [];
    for (let c = 0; c < width; c++) t.push(`$${n++}`);
    out.push(`(${t.join(', ')})`);
  }
  return out.join(', ');
}
