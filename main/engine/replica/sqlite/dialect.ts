/**
 * SQLite SQL generation. Tables are STRICT (SQLite ≥ 3.37) so a value of the wrong storage class is
 * rejected instead of silently stored, and every kind maps to the storage class that keeps it exact:
 *
 *   bool, int8..int64      INTEGER  (0/1 for bool; int64 bound and read as BigInt)
 *   float32/64             REAL
 *   decimal(p,s)           TEXT     (NUMERIC/REAL affinity would turn '0.10' into a double: 38-digit
 *                                    decimals and even 0.1 are not exact as doubles)
 *   string, uuid, json     TEXT
 *   bytes                  BLOB
 *   date, time, timestamp, TEXT     canonical text ('YYYY-MM-DD HH:MM:SS.ffffff'; timestamptz in UTC
 *   timestamptz                      with 'T' and 'Z'), which sorts chronologically as text
 *
 * No schemas: `<tablePrefix>_<table>` or the bare table name (see dialect.ts conventions).
 */
import { MirrorError } from '../../errors.ts';
import type { ColumnDef, ColumnType, TableDef, TableRef } from '../../schema/table-model.ts';
import type { AlterPlan, Dialect } from '../dialect.ts';
import { STATE_TABLE } from '../replica.ts';
import { replicaTableName, seenTableName, TABLE_NAME_RULES } from '../table-names.ts';
import { canonicalText } from './values.ts';

export type SqliteStorage = 'INTEGER' | 'REAL' | 'TEXT' | 'BLOB';

export function sqliteStorage(type: ColumnType): SqliteStorage {
  switch (type.kind) {
    case 'bool': case 'int': return 'INTEGER';
    case 'float': return 'REAL';
    case 'bytes': return 'BLOB';
    default: return 'TEXT';
  }
}

export function quoteSqliteIdent(identifier: string): string {
  if (identifier.length === 0) throw new MirrorError('SCHEMA_CONFLICT', 'an empty identifier cannot be used as a SQLite name');
  if (identifier.includes('\u0000')) {
    throw new MirrorError('SCHEMA_CONFLICT', `identifier ${JSON.stringify(identifier)} contains a NUL character, which SQLite names cannot hold`);
  }
  return '"' + identifier.replace(/"/g, '""') + '"';
}

function sqlString(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

/** A default value as an SQLite literal, or undefined for "no DEFAULT clause". */
export function sqliteDefaultLiteral(col: ColumnDef): string | undefined {
  const v = col.defaultValue;
  if (v === undefined) return undefined;
  if (v === null) return 'NULL';
  const t = col.type;
  if (t.kind === 'bytes') return undefined; // no Buffer literal in the model
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    return sqliteStorage(t) === 'TEXT' ? sqlString(String(v)) : String(v);
  }
  // string
  if (t.kind === 'bool') return /^(1|true|t|yes|y)$/i.test(v) ? '1' : '0';
  if (t.kind === 'int' && /^[+-]?\d+$/.test(v)) return v;
  if (t.kind === 'float' && v.trim() !== '' && Number.isFinite(Number(v))) return String(Number(v));
  return sqlString(canonicalText(v, t));
}

export function sqliteColumnDef(dialect: SqliteDialect, col: ColumnDef): string {
  let s = `${dialect.quoteIdent(col.name)} ${dialect.columnType(col.type)}`;
  if (!col.nullable) s += ' NOT NULL';
  const d = sqliteDefaultLiteral(col);
  if (d !== undefined) s += ` DEFAULT ${d}`;
  return s;
}

export class SqliteDialect implements Dialect {
  readonly name = 'sqlite' as const;
  readonly tablePrefix: string;

  constructor(opts: { tablePrefix: string }) {
    this.tablePrefix = opts.tablePrefix;
  }

  quoteIdent(identifier: string): string {
    return quoteSqliteIdent(identifier);
  }

  /** Unquoted destination table name: `<tablePrefix>_` and the replica name (table-names.ts, docs/naming.md; names compare case-insensitively here). */
  tableName(ref: TableRef): string {
    return replicaTableName(ref.name, TABLE_NAME_RULES.sqlite, this.tablePrefix ? `${this.tablePrefix}_` : '');
  }

  qualify(ref: TableRef): string {
    return this.quoteIdent(this.tableName(ref));
  }

  seenTable(ref: TableRef): string {
    return this.quoteIdent(seenTableName(ref));
  }

  columnType(type: ColumnType): string {
    return sqliteStorage(type);
  }

  createStateTable(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS ${this.quoteIdent(STATE_TABLE)} ("Id" TEXT NOT NULL PRIMARY KEY, "Kind" TEXT NOT NULL, "Value" TEXT NOT NULL, "UpdatedUtc" TEXT NOT NULL) STRICT`,
    ];
  }

  stateTableExists(): string {
    return `SELECT COUNT(*) AS present FROM sqlite_master WHERE type = 'table' AND name = '${STATE_TABLE}'`;
  }

  private tableBody(def: TableDef): string {
    if (def.primaryKey.length === 0) throw new MirrorError('SCHEMA_CONFLICT', `table ${def.schema}.${def.name} has no primary key`);
    const cols = def.columns.map((c) => sqliteColumnDef(this, c));
    cols.push(`PRIMARY KEY (${def.primaryKey.map((k) => this.quoteIdent(k)).join(', ')})`);
    return `(${cols.join(', ')}) STRICT`;
  }

  createTable(def: TableDef): string[] {
    return [`CREATE TABLE IF NOT EXISTS ${this.qualify(def)} ${this.tableBody(def)}`];
  }

  /**
   * SQLite can ADD COLUMN but cannot change a column's type or nullability. Widening within a storage
   * class (int16 -> int64, varchar(10) -> varchar(50), decimal(9,2) -> decimal(18,4), timestamp(3) ->
   * timestamp(6)) changes nothing SQLite stores or enforces, so it needs no statement. Relaxing NOT NULL,
   * or a widening that changes the storage class (int -> decimal), rebuilds the table (see rebuildTable).
   */
  needsRebuild(plan: AlterPlan, currentStorage?: ReadonlyMap<string, string>): boolean {
    if (plan.relaxNullability.length > 0) return true;
    return plan.widenColumns.some((c) => {
      const old = currentStorage?.get(c.name);
      return old !== undefined && old.toUpperCase() !== sqliteStorage(c.type);
    });
  }

  /** `currentStorage`: declared type per existing column (PRAGMA table_info), to spot storage-class changes. */
  alterTable(plan: AlterPlan, currentStorage?: ReadonlyMap<string, string>): string[] {
    if (this.needsRebuild(plan, currentStorage)) return this.rebuildTable(plan);
    const t = this.qualify(plan.table);
    return plan.addColumns.map((c) => `ALTER TABLE ${t} ADD COLUMN ${sqliteColumnDef(this, c)}`);
  }

  /**
   * The documented rebuild (https://sqlite.org/lang_altertable.html#otheralter): new table, copy the
   * columns both have, drop, rename. Indexes and triggers on the table are lost by the DROP; the replica
   * re-creates them from sqlite_master afterwards and runs this with legacy_alter_table=ON so views
   * naming the table keep working.
   */
  rebuildTable(plan: AlterPlan): string[] {
    const def = plan.table;
    const tmp = this.quoteIdent(`_tm_rebuild_${this.tableName(def)}`);
    const added = new Set(plan.addColumns.map((c) => c.name));
    const cols = def.columns.filter((c) => !added.has(c.name)).map((c) => this.quoteIdent(c.name)).join(', ');
    return [
      `DROP TABLE IF EXISTS ${tmp}`,
      `CREATE TABLE ${tmp} ${this.tableBody(def)}`,
      `INSERT INTO ${tmp} (${cols}) SELECT ${cols} FROM ${this.qualify(def)}`,
      `DROP TABLE ${this.qualify(def)}`,
      `ALTER TABLE ${tmp} RENAME TO ${this.qualify(def)}`,
    ];
  }

  dropTable(ref: TableRef): string[] {
    return [`DROP TABLE IF EXISTS ${this.qualify(ref)}`, `DROP TABLE IF EXISTS ${this.seenTable(ref)}`];
  }

  // ---- DML used by the replica (exposed for unit tests) ----

  /**
   * The insert half of an upsert: `changes` tells how many rows were new (counted, replica.ts). `rows` rows
   * of `columns` per statement (VALUES (…), (…)); a row whose key is there already is left out.
   */
  insertNew(def: TableDef, columns: string[], rows = 1): string {
    const cols = columns.map((c) => this.quoteIdent(c));
    const pk = def.primaryKey.map((c) => this.quoteIdent(c));
    const one = `(${cols.map(() => '?').join(', ')})`;
    return `INSERT INTO ${this.qualify(def)} (${cols.join(', ')}) VALUES ${Array.from({ length: rows }, () => one).join(', ')} ON CONFLICT (${pk.join(', ')}) DO NOTHING`;
  }

  /** The update half: the carried non-key columns, then the key (null when the row carries only key columns). */
  updateByKey(def: TableDef, columns: string[]): string | null {
    const set = columns.filter((c) => !def.primaryKey.includes(c)).map((c) => `${this.quoteIdent(c)} = ?`);
    if (!set.length) return null;
    return `UPDATE ${this.qualify(def)} SET ${set.join(', ')} WHERE ${def.primaryKey.map((c) => `${this.quoteIdent(c)} = ?`).join(' AND ')}`;
  }

  deleteByKey(def: TableDef): string {
    return `DELETE FROM ${this.qualify(def)} WHERE ${def.primaryKey.map((c) => `${this.quoteIdent(c)} = ?`).join(' AND ')}`;
  }

  createSeenTable(def: TableDef): string[] {
    const cols = def.primaryKey.map((k) => {
      const c = def.columns.find((x) => x.name === k);
      if (!c) throw new MirrorError('SCHEMA_CONFLICT', `primary-key column ${k} of ${def.schema}.${def.name} is not a column`);
      return `${this.quoteIdent(k)} ${this.columnType(c.type)} NOT NULL`;
    });
    const pk = def.primaryKey.map((k) => this.quoteIdent(k)).join(', ');
    return [`DROP TABLE IF EXISTS ${this.seenTable(def)}`, `CREATE TABLE ${this.seenTable(def)} (${cols.join(', ')}, PRIMARY KEY (${pk})) STRICT`];
  }

  markSeen(def: TableDef): string {
    const pk = def.primaryKey.map((k) => this.quoteIdent(k));
    return `INSERT INTO ${this.seenTable(def)} (${pk.join(', ')}) VALUES (${pk.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`;
  }

  sweepDelete(def: TableDef): string {
    const t = this.qualify(def);
    const s = this.seenTable(def);
    const match = def.primaryKey.map((k) => `s.${this.quoteIdent(k)} = ${t}.${this.quoteIdent(k)}`).join(' AND ');
    return `DELETE FROM ${t} WHERE NOT EXISTS (SELECT 1 FROM ${s} AS s WHERE ${match})`;
  }

  upsertState(): string {
    const st = this.quoteIdent(STATE_TABLE);
    return `INSERT INTO ${st} ("Id", "Kind", "Value", "UpdatedUtc") VALUES (?, ?, ?, strftime('%Y-%m-%d %H:%M:%f', 'now')) ` +
      `ON CONFLICT ("Id") DO UPDATE SET "Kind" = excluded."Kind", "Value" = excluded."Value", "UpdatedUtc" = excluded."UpdatedUtc"`;
  }

  selectRows(def: TableDef): string {
    return `SELECT ${def.columns.map((c) => this.quoteIdent(c.name)).join(', ')} FROM ${this.qualify(def)} ORDER BY ${def.primaryKey.map((k) => this.quoteIdent(k)).join(', ')}`;
  }
}
