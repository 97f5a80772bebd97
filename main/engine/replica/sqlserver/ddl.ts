/**
 * T-SQL DDL: destination schema, replica tables, compatible ALTERs, drop, the state table and the
 * sweep sets. Pure string generation; one statement (batch) per array element.
 *
 * Every statement is safe to run again (a crash between creating a table and recording it, a retry
 * after a timeout, provisioning into a populated database): CREATE TABLE only when OBJECT_ID is null,
 * ADD COLUMN only when COL_LENGTH is null, the primary key and defaults are dropped by looking them up
 * in the catalog (whatever their name) and re-added only when missing. So the replica runs DDL
 * statement by statement without the request timeout rather than in one long transaction.
 *
 * Constraint names: `PK_<table>`, `DF_<table>_<column>_<8 hex>` (columns.ts: unique per
 * schema), hashed past 128 chars. Column types: columns.ts (character-true sizes, key budget,
 * binary key collation).
 */
import type { ColumnDef, TableDef, TableRef } from '../../schema/table-model.ts';
import type { AlterPlan } from '../dialect.ts';
import { STATE_TABLE } from '../replica.ts';
import type { SqlServerNaming } from './naming.ts';
import { replicaTableName, TABLE_NAME_RULES } from '../table-names.ts';
import { constraintName, quoteIdent, quoteString } from './quote.ts';
import { columnDefault, defaultConstraintName, KEY_COLLATION, keyColumnTypes, MAX_COLUMNS, replicaColumnType } from './columns.ts';
import { MirrorError } from '../../errors.ts';

/** `IF SCHEMA_ID(N'x') IS NULL EXEC(N'CREATE SCHEMA [x]')`: CREATE SCHEMA must be alone in its batch. */
export function createSchemaSql(schema: string): string {
  return `IF SCHEMA_ID(${quoteString(schema)}) IS NULL EXEC(${quoteString(`CREATE SCHEMA ${quoteIdent(schema)}`)});`;
}

/** Longest state id: 450 UTF-16 units (900 bytes, the clustered key limit); `table:<128>.<128>` and poison ids fit. */
export const STATE_ID_LENGTH = 450;

const STATE_LOCK = quoteString(`tenant-mirror: ${STATE_TABLE}`);

/**
 * A batch of the state table's DDL under an exclusive application lock of the session, released at its
 * end (or when the session ends): processes setting up one replica at the same moment take turns, and
 * every batch is re-runnable, so the later one finds the work done. `IF OBJECT_ID … IS NULL CREATE TABLE`
 * is not safe against itself: both see no table and the later CREATE fails (error 2714). A lock not
 * granted in 60 s (`@tmStateLock` < 0) leaves the batch to run as before, and is not released.
 */
export function underStateLock(sql: string): string {
  return `DECLARE @tmStateLock int;
EXEC @tmStateLock = sp_getapplock @Resource = ${STATE_LOCK}, @LockMode = N'Exclusive', @LockOwner = N'Session', @LockTimeout = 60000;
BEGIN TRY
${sql}
END TRY
BEGIN CATCH
  IF @tmStateLock >= 0 EXEC sp_releaseapplock @Resource = ${STATE_LOCK}, @LockOwner = N'Session';
  THROW;
END CATCH;
IF @tmStateLock >= 0 EXEC sp_releaseapplock @Resource = ${STATE_LOCK}, @LockOwner = N'Session';`;
}

/**
 * The state table when missing, then (an older replica) its `Id` widened from nvarchar(200) to
 * nvarchar(450) under the binary collation (`table:crm.Casey` and `table:crm.casey` are two rows); each
 * batch under the state table's lock (underStateLock).
 */
export function createStateTableSql(n: SqlServerNaming): string[] {
  const pk = constraintName('PK', STATE_TABLE);
  const idType = `nvarchar(${STATE_ID_LENGTH}) COLLATE ${KEY_COLLATION}`;
  return [
    `IF OBJECT_ID(${quoteString(n.stateTable)}, N'U') IS NULL
CREATE TABLE ${n.stateTable} (
  [Id] ${idType} NOT NULL,
  [Kind] nvarchar(32) NOT NULL,
  [Value] nvarchar(max) NOT NULL,
  [UpdatedUtc] datetime2(3) NOT NULL CONSTRAINT ${quoteIdent(constraintName('DF', STATE_TABLE, 'UpdatedUtc'))} DEFAULT SYSUTCDATETIME(),
  CONSTRAINT ${quoteIdent(pk)} PRIMARY KEY CLUSTERED ([Id])
);`,
    `IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(${quoteString(n.stateTable)}, N'U') AND name = N'Id' AND (max_length <> ${2 * STATE_ID_LENGTH} OR collation_name <> N'${KEY_COLLATION}'))
BEGIN
  ${dropPrimaryKeySql(n.stateTable)}
  ALTER TABLE ${n.stateTable} ALTER COLUMN [Id] ${idType} NOT NULL;
END;`,
    addPrimaryKeySql(n.stateTable, pk, '[Id]'),
  ].map(underStateLock);
}

const isKey = (def: TableDef, col: ColumnDef): boolean => def.primaryKey.includes(col.name);
/** Constraint names are per schema and compared case-insensitively like tables: built from the replica table name (docs/naming.md). */
const tableName = (def: TableRef): string => replicaTableName(def.name, TABLE_NAME_RULES.sqlserver);
const pkName = (def: TableRef): string => constraintName('PK', tableName(def));
const dfName = (def: TableRef, col: ColumnDef): string => quoteIdent(defaultConstraintName(tableName(def), col.name));
const pkList = (def: TableDef): string => def.primaryKey.map(quoteIdent).join(', ');

/**
 * Drops the primary key of `table` (quoted, qualified) whatever its name; nothing when it has none.
 * EXEC() takes only literals and variables, so the statement is built in a variable first.
 */
export function dropPrimaryKeySql(table: string): string {
  return `DECLARE @pk sysname = (SELECT [name] FROM sys.key_constraints WHERE parent_object_id = OBJECT_ID(${quoteString(table)}, N'U') AND [type] = N'PK');
IF @pk IS NOT NULL BEGIN DECLARE @dropPk nvarchar(max) = ${quoteString(`ALTER TABLE ${table} DROP CONSTRAINT `)} + QUOTENAME(@pk); EXEC(@dropPk); END;`;
}

/** Adds the clustered primary key unless the table has one. */
export function addPrimaryKeySql(table: string, name: string, columns: string): string {
  return `IF NOT EXISTS (SELECT 1 FROM sys.key_constraints WHERE parent_object_id = OBJECT_ID(${quoteString(table)}, N'U') AND [type] = N'PK')
ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(name)} PRIMARY KEY CLUSTERED (${columns});`;
}

/** The default constraint of column `column` of `table`, whatever its name (older replicas named it `DF_<table>_<column>`). */
function columnDefaultIdSql(table: string, column: string): string {
  return `SELECT dc.[name] FROM sys.default_constraints AS dc WHERE dc.parent_object_id = OBJECT_ID(${quoteString(table)}, N'U') AND dc.parent_column_id = COLUMNPROPERTY(OBJECT_ID(${quoteString(table)}, N'U'), ${quoteString(column)}, 'ColumnId')`;
}

export function dropDefaultSql(table: string, column: string): string {
  return `DECLARE @df sysname = (${columnDefaultIdSql(table, column)});
IF @df IS NOT NULL BEGIN DECLARE @dropDf nvarchar(max) = ${quoteString(`ALTER TABLE ${table} DROP CONSTRAINT `)} + QUOTENAME(@df); EXEC(@dropDf); END;`;
}

function columnSql(def: TableDef, col: ColumnDef, keys: ReturnType<typeof keyColumnTypes>): string {
  const key = isKey(def, col);
  const parts = [quoteIdent(col.name), replicaColumnType(def, col, keys), key || !col.nullable ? 'NOT NULL' : 'NULL'];
  const dflt = columnDefault(col);
  if (dflt !== null) parts.push(`CONSTRAINT ${dfName(def, col)} DEFAULT ${dflt}`);
  return parts.join(' ');
}

function checkDef(def: TableDef): void {
  if (def.primaryKey.length === 0) throw new Error(`table ${def.schema}.${def.name} has no primary key`);
  for (const k of def.primaryKey) {
    if (!def.columns.some((c) => c.name === k)) throw new Error(`primary-key column ${k} is not a column of ${def.schema}.${def.name}`);
  }
  if (def.columns.length > MAX_COLUMNS) {
    throw new MirrorError('SCHEMA_CONFLICT', `table ${def.schema}.${def.name} has ${def.columns.length} columns; a SQL Server table holds at most ${MAX_COLUMNS}`);
  }
}

/** Creates the table unless it exists (idempotent: a re-run or a populated database is not error 2714). */
export function createTableSql(n: SqlServerNaming, def: TableDef): string[] {
  checkDef(def);
  const keys = keyColumnTypes(def);
  const table = n.qualify(def);
  const lines = def.columns.map((c) => `  ${columnSql(def, c, keys)}`);
  lines.push(`  CONSTRAINT ${quoteIdent(pkName(def))} PRIMARY KEY CLUSTERED (${pkList(def)})`);
  return [createSchemaSql(n.schemaOf(def)), `IF OBJECT_ID(${quoteString(table)}, N'U') IS NULL\nCREATE TABLE ${table} (\n${lines.join(',\n')}\n);`];
}

/** Drops the table and its sweep set (a dropped table has no sweep running). */
export function dropTableSql(n: SqlServerNaming, ref: TableRef): string[] {
  return [`DROP TABLE IF EXISTS ${n.qualify(ref)};`, ...dropSweepSql(n, ref)];
}

/**
 * Compatible changes in place, each statement safe to re-run. Added columns: NOT NULL only with a
 * default (existing rows take the default, WITH VALUES, as PostgreSQL and MariaDB sources do); a NOT
 * NULL column without a default is added as NULL, since existing rows have no value for it. Widened or
 * relaxed columns: their default (looked up by column) is dropped and re-created around ALTER COLUMN;
 * a widened key column drops and re-creates the primary key. A key column always stays NOT NULL, so
 * relaxing the nullability of a key column alone changes nothing (ALTER COLUMN on it would fail, 5074).
 */
export function alterTableSql(n: SqlServerNaming, plan: AlterPlan): string[] {
  const def = plan.table;
  checkDef(def);
  const keys = keyColumnTypes(def);
  const table = n.qualify(def);
  const out: string[] = [];

  for (const col of plan.addColumns) {
    const dflt = columnDefault(col);
    const notNull = !col.nullable && dflt !== null;
    let sql = `IF COL_LENGTH(${quoteString(table)}, ${quoteString(col.name)}) IS NULL ALTER TABLE ${table} ADD ${quoteIdent(col.name)} ${replicaColumnType(def, col, keys)} ${notNull ? 'NOT NULL' : 'NULL'}`;
    if (dflt !== null) sql += ` CONSTRAINT ${dfName(def, col)} DEFAULT ${dflt}${notNull ? '' : ' WITH VALUES'}`;
    out.push(`${sql};`);
  }

  const changed = new Map<string, ColumnDef>();
  for (const c of plan.widenColumns) changed.set(c.name, def.columns.find((d) => d.name === c.name) ?? c);
  for (const c of plan.relaxNullability) {
    if (!def.primaryKey.includes(c.name)) changed.set(c.name, def.columns.find((d) => d.name === c.name) ?? c);
  }
  if (changed.size === 0) return out;
  const keyChanged = [...changed.values()].some((c) => isKey(def, c));

  for (const col of changed.values()) out.push(dropDefaultSql(table, col.name));
  if (keyChanged) out.push(dropPrimaryKeySql(table));
  for (const col of changed.values()) {
    const key = isKey(def, col);
    out.push(`ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(col.name)} ${replicaColumnType(def, col, keys)} ${key || !col.nullable ? 'NOT NULL' : 'NULL'};`);
  }
  if (keyChanged) out.push(addPrimaryKeySql(table, pkName(def), pkList(def)));
  for (const col of changed.values()) {
    const dflt = columnDefault(col);
    if (dflt !== null) {
      out.push(`IF NOT EXISTS (${columnDefaultIdSql(table, col.name)})\nALTER TABLE ${table} ADD CONSTRAINT ${dfName(def, col)} DEFAULT ${dflt} FOR ${quoteIdent(col.name)};`);
    }
  }
  return out;
}

/** A fresh, empty sweep set holding the table's key columns (same types, binary collation) under that key. */
export function beginSweepSql(n: SqlServerNaming, def: TableDef): string[] {
  checkDef(def);
  const keys = keyColumnTypes(def);
  const cols = def.primaryKey.map((k) => `  ${quoteIdent(k)} ${keys.get(k)!.sql} NOT NULL`);
  cols.push(`  CONSTRAINT ${quoteIdent(constraintName('PK', n.seenName(def)))} PRIMARY KEY CLUSTERED (${pkList(def)})`);
  return [...dropSweepSql(n, def), `CREATE TABLE ${n.seenTable(def)} (\n${cols.join(',\n')}\n);`];
}

export function dropSweepSql(n: SqlServerNaming, ref: TableRef): string[] {
  return [`DROP TABLE IF EXISTS ${n.seenTable(ref)};`];
}
