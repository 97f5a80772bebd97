/**
 * T-SQL DDL: destination schema, replica tables, compatible ALTERs, drop, the state table and the
 * sweep sets. Pure string generation; one statement (batch) per array element.
 *
 * Constraint names are deterministic (`PK_<table>`, `DF_<table>_<column>`, hashed past 128 chars) so
 * that ALTER can drop and re-create them: SQL Server refuses ALTER COLUMN on a column that a default
 * or a primary key depends on (error 5074).
 */
import type { ColumnDef, TableDef, TableRef } from '../../schema/table-model.ts';
import type { AlterPlan } from '../dialect.ts';
import { STATE_TABLE } from '../dialect.ts';
import type { SqlServerNaming } from './sqlserver-naming.ts';
import { replicaTableName, TABLE_NAME_RULES } from '../naming.ts';
import { constraintName, quoteIdent, quoteString } from './sqlserver-quote.ts';
import { columnTypeFor, defaultLiteral } from './sqlserver-types.ts';

/** `IF SCHEMA_ID(N'x') IS NULL EXEC(N'CREATE SCHEMA [x]')`: CREATE SCHEMA must be alone in its batch. */
export function createSchemaSql(schema: string): string {
  return `IF SCHEMA_ID(${quoteString(schema)}) IS NULL EXEC(${quoteString(`CREATE SCHEMA ${quoteIdent(schema)}`)});`;
}

export function createStateTableSql(n: SqlServerNaming): string[] {
  return [
    `IF OBJECT_ID(${quoteString(n.stateTable)}, N'U') IS NULL
CREATE TABLE ${n.stateTable} (
  [Id] nvarchar(200) NOT NULL,
  [Kind] nvarchar(32) NOT NULL,
  [Value] nvarchar(max) NOT NULL,
  [UpdatedUtc] datetime2(3) NOT NULL CONSTRAINT ${quoteIdent(constraintName('DF', STATE_TABLE, 'UpdatedUtc'))} DEFAULT SYSUTCDATETIME(),
  CONSTRAINT ${quoteIdent(constraintName('PK', STATE_TABLE))} PRIMARY KEY CLUSTERED ([Id])
);`,
  ];
}

const isKey = (def: TableDef, col: ColumnDef): boolean => def.primaryKey.includes(col.name);
/** Constraint names are per schema and compared case-insensitively like tables: built from the replica table name (docs/naming.md). */
const tableName = (def: TableRef): string => replicaTableName(def.name, TABLE_NAME_RULES.sqlserver);
const pkName = (def: TableRef): string => quoteIdent(constraintName('PK', tableName(def)));
const dfName = (def: TableRef, col: ColumnDef): string => quoteIdent(constraintName('DF', tableName(def), col.name));
const pkList = (def: TableDef): string => def.primaryKey.map(quoteIdent).join(', ');

function columnSql(def: TableDef, col: ColumnDef): string {
  const key = isKey(def, col);
  const parts = [quoteIdent(col.name), columnTypeFor(col.type, key), key || !col.nullable ? 'NOT NULL' : 'NULL'];
  const dflt = defaultLiteral(col);
  if (dflt !== null) parts.push(`CONSTRAINT ${dfName(def, col)} DEFAULT ${dflt}`);
  return parts.join(' ');
}

function checkDef(def: TableDef): void {
  if (def.primaryKey.length === 0) throw new Error(`table ${def.schema}.${def.name} has no primary key`);
  for (const k of def.primaryKey) {
    if (!def.columns.some((c) => c.name === k)) throw new Error(`primary-key column ${k} is not a column of ${def.schema}.${def.name}`);
  }
}

export function createTableSql(n: SqlServerNaming, def: TableDef): string[] {
  checkDef(def);
  const lines = def.columns.map((c) => `  ${columnSql(def, c)}`);
  lines.push(`  CONSTRAINT ${pkName(def)} PRIMARY KEY CLUSTERED (${pkList(def)})`);
  return [createSchemaSql(n.schemaOf(def)), `CREATE TABLE ${n.qualify(def)} (\n${lines.join(',\n')}\n);`];
}

/** Drops the table and its sweep set (a dropped table has no sweep running). */
export function dropTableSql(n: SqlServerNaming, ref: TableRef): string[] {
  return [`DROP TABLE IF EXISTS ${n.qualify(ref)};`, ...dropSweepSql(n, ref)];
}

/**
 * Compatible changes in place, safe to re-run (an engine retry after a crash): a column is added only
 * when COL_LENGTH says it is missing, ALTER COLUMN to the same type is a no-op. Added columns: NOT NULL only with a default (existing rows take the
 * default, WITH VALUES, as PostgreSQL and MariaDB sources do); a NOT NULL column without a default is
 * added as NULL, since existing rows have no value for it. Widened or relaxed columns: their default
 * is dropped and re-created around ALTER COLUMN; a widened key column drops and re-creates the
 * primary key. A key column always stays NOT NULL.
 */
export function alterTableSql(n: SqlServerNaming, plan: AlterPlan): string[] {
  const def = plan.table;
  checkDef(def);
  const table = n.qualify(def);
  const schema = n.schemaOf(def);
  const out: string[] = [];

  for (const col of plan.addColumns) {
    const dflt = defaultLiteral(col);
    const notNull = !col.nullable && dflt !== null;
    let sql = `IF COL_LENGTH(${quoteString(table)}, ${quoteString(col.name)}) IS NULL ALTER TABLE ${table} ADD ${quoteIdent(col.name)} ${columnTypeFor(col.type, false)} ${notNull ? 'NOT NULL' : 'NULL'}`;
    if (dflt !== null) sql += ` CONSTRAINT ${dfName(def, col)} DEFAULT ${dflt}${notNull ? '' : ' WITH VALUES'}`;
    out.push(`${sql};`);
  }

  const changed = new Map<string, ColumnDef>();
  for (const c of [...plan.widenColumns, ...plan.relaxNullability]) {
    changed.set(c.name, def.columns.find((d) => d.name === c.name) ?? c);
  }
  if (changed.size === 0) return out;
  const keyChanged = [...changed.values()].some((c) => isKey(def, c) && plan.widenColumns.some((w) => w.name === c.name));

  for (const col of changed.values()) {
    const df = constraintName('DF', tableName(def), col.name);
    out.push(`IF OBJECT_ID(${quoteString(`${quoteIdent(schema)}.${quoteIdent(df)}`)}, N'D') IS NOT NULL ALTER TABLE ${table} DROP CONSTRAINT ${quoteIdent(df)};`);
  }
  if (keyChanged) out.push(`ALTER TABLE ${table} DROP CONSTRAINT ${pkName(def)};`);
  for (const col of changed.values()) {
    const key = isKey(def, col);
    out.push(`ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(col.name)} ${columnTypeFor(col.type, key)} ${key || !col.nullable ? 'NOT NULL' : 'NULL'};`);
  }
  if (keyChanged) out.push(`ALTER TABLE ${table} ADD CONSTRAINT ${pkName(def)} PRIMARY KEY CLUSTERED (${pkList(def)});`);
  for (const col of changed.values()) {
    const dflt = defaultLiteral(col);
    if (dflt !== null) out.push(`ALTER TABLE ${table} ADD CONSTRAINT ${dfName(def, col)} DEFAULT ${dflt} FOR ${quoteIdent(col.name)};`);
  }
  return out;
}

/** A fresh, empty sweep set holding the table's key columns (same types) under that key. */
export function beginSweepSql(n: SqlServerNaming, def: TableDef): string[] {
  checkDef(def);
  const keys = def.primaryKey.map((k) => def.columns.find((c) => c.name === k)!);
  const cols = keys.map((c) => `  ${quoteIdent(c.name)} ${columnTypeFor(c.type, true)} NOT NULL`);
  cols.push(`  CONSTRAINT ${quoteIdent(constraintName('PK', n.seenName(def)))} PRIMARY KEY CLUSTERED (${pkList(def)})`);
  return [...dropSweepSql(n, def), `CREATE TABLE ${n.seenTable(def)} (\n${cols.join(',\n')}\n);`];
}

export function dropSweepSql(n: SqlServerNaming, ref: TableRef): string[] {
  return [`DROP TABLE IF EXISTS ${n.seenTable(ref)};`];
}
