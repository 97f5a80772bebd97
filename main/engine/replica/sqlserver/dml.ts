/**
 * T-SQL for applying a batch: `#temp` staging tables, the set-based UPDATE + INSERT and DELETE,
 * sweep-set marking and sweeping, `_ReplicationState` upserts, and the read helpers. Pure string
 * generation.
 *
 * Staging columns are named positionally (`c0`, `c1`, … plus `seq`), so source column names never
 * reach the bulk loader (tedious writes bulk column names into `insert bulk` itself) and can never
 * collide with the helper columns. Key staging columns take the replica key size, so the bulk load
 * checks it. Text staging columns are `COLLATE DATABASE_DEFAULT` (a #temp table otherwise takes tempdb's
 * collation; the bulk load declares the database collation): keys are still compared exactly, because
 * every key comparison and PARTITION BY carries an explicit `COLLATE Latin1_General_100_BIN2` and
 * DATALENGTH (`keyEquals`, `keyPartition` in columns.ts), which wins over any column's.
 *
 * Upserts are `UPDATE … FROM` then `INSERT … WHERE NOT EXISTS` in the batch transaction, not MERGE:
 * with one writer MERGE's HOLDLOCK range locks buy nothing, and MERGE has known wrong-result and
 * error cases with filtered unique indexes, indexed views and triggers users may add; two plain
 * statements fail with the ordinary, clear errors. The replica feeds each statement at most
 * `STATEMENT_ROWS` rows, below SQL Server's lock-escalation threshold (~5,000 locks per statement).
 */
import type { ColumnDef, TableDef, TableRef } from '../../schema/table-model.ts';
import type { SqlServerNaming } from './naming.ts';
import { quoteIdent, quoteString } from './quote.ts';
import type { StageType } from './types.ts';
import { fromStage, readExpression, stageType } from './types.ts';
import { keyColumnTypes, keyEquals, keyPartition, MAX_COLUMNS } from './columns.ts';

export const UPSERT_STAGE = '#mirror_upsert';
export const DELETE_STAGE = '#mirror_delete';
/** Rows per staged statement and per sweep chunk: well under the ~5,000-lock escalation threshold. */
export const STATEMENT_ROWS = 2000;

export interface StageColumn {
  /** `c0`, `c1`, … */
  stageName: string;
  column: ColumnDef;
  isKey: boolean;
  type: StageType;
}

export interface StagePlan {
  /** `#mirror_upsert` or `#mirror_delete`. */
  table: string;
  /** Key columns first (key order), then the other columns in table order. */
  columns: StageColumn[];
  /**
   * Upsert stages carry `seq` (row ordinal; the highest wins among rows with the same key), except a
   * stage of 1,024 columns (the table limit): the engine hands over one row per key, so none is lost.
   */
  withSeq: boolean;
}

/** Key staging type: the replica key size, so the bulk load checks its length. */
function keyStageType(def: TableDef, column: ColumnDef, keys: ReturnType<typeof keyColumnTypes>): StageType {
  const k = keys.get(column.name)?.stage;
  if (!k) return stageType(column.type, true);
  if (k.kind === 'varbinary') return { decl: `varbinary(${k.length})`, driver: { kind: 'varbinary', length: k.length } };
  return { decl: `nvarchar(${k.length}) COLLATE DATABASE_DEFAULT`, driver: { kind: 'nvarchar', length: k.length } };
}

/**
 * The staging layout for `columnNames` of `def` (key columns are always included). Upserts of one
 * table with different column sets (partial rows) get one plan per column set.
 */
export function stagePlan(def: TableDef, columnNames: Iterable<string>, kind: 'upsert' | 'delete'): StagePlan {
  const wanted = new Set(columnNames);
  const keyTypes = keyColumnTypes(def);
  const keys = def.primaryKey.map((k) => def.columns.find((col) => col.name === k)!);
  const rest = kind === 'delete' ? [] : def.columns.filter((c) => wanted.has(c.name) && !def.primaryKey.includes(c.name));
  const columns = [...keys, ...rest].map((column, i): StageColumn => {
    const isKey = i < keys.length;
    return { stageName: `c${i}`, column, isKey, type: isKey ? keyStageType(def, column, keyTypes) : stageType(column.type, false) };
  });
  return { table: kind === 'delete' ? DELETE_STAGE : UPSERT_STAGE, columns, withSeq: kind === 'upsert' && columns.length < MAX_COLUMNS };
}

/** Drops a leftover (pooled connections keep #temp tables) and creates the staging table. */
export function createStageSql(plan: StagePlan): string {
  const cols = plan.columns.map((c) => `  ${quoteIdent(c.stageName)} ${c.type.decl} ${c.isKey ? 'NOT NULL' : 'NULL'}`);
  if (plan.withSeq) cols.unshift('  [seq] int NOT NULL');
  return `DROP TABLE IF EXISTS ${plan.table};\nCREATE TABLE ${plan.table} (\n${cols.join(',\n')}\n);`;
}

export function dropStageSql(plan: StagePlan): string {
  return `DROP TABLE IF EXISTS ${plan.table};`;
}

const conv = (c: StageColumn, alias: string): string => fromStage(c.column.type, `${alias}.${quoteIdent(c.stageName)}`);
const keysOf = (plan: StagePlan): StageColumn[] => plan.columns.filter((c) => c.isKey);

/** Typed, de-duplicated source rows: the last staged row (highest seq) per exact key. */
function dedupedSource(plan: StagePlan): string {
  const select = plan.columns.map((c) => `${conv(c, 'd')} AS ${quoteIdent(c.column.name)}`).join(', ');
  if (!plan.withSeq) return `SELECT ${select}\n  FROM ${plan.table} AS d`;
  const partition = keysOf(plan).flatMap((c) => keyPartition(c.column.type, conv(c, 'x'))).join(', ');
  return `SELECT ${select}
  FROM (
    SELECT x.*, ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY x.[seq] DESC) AS [rn]
    FROM ${plan.table} AS x
  ) AS d
  WHERE d.[rn] = 1`;
}

/** `t.k = s.k AND …` over the key columns, exact (columns.ts `keyEquals`). */
function keyMatch(plan: StagePlan, left: string, right: (c: StageColumn) => string): string {
  return keysOf(plan).map((c) => keyEquals(c.column.type, `${left}.${quoteIdent(c.column.name)}`, right(c))).join(' AND ');
}

/**
 * Set-based upsert of the staged rows, one batch: update the staged columns of the rows that exist,
 * then insert the others. A key-only table has no UPDATE.
 */
export function upsertSql(n: SqlServerNaming, def: TableDef, plan: StagePlan): string {
  const table = n.qualify(def);
  const on = keyMatch(plan, 't', (c) => `s.${quoteIdent(c.column.name)}`);
  const nonKey = plan.columns.filter((c) => !c.isKey);
  const names = plan.columns.map((c) => quoteIdent(c.column.name));
  const source = `(\n  ${dedupedSource(plan)}\n) AS s`;
  const out: string[] = [];
  if (nonKey.length > 0) {
    const set = nonKey.map((c) => `t.${quoteIdent(c.column.name)} = s.${quoteIdent(c.column.name)}`).join(', ');
    out.push(`UPDATE t SET ${set}\nFROM ${table} AS t\nJOIN ${source}\nON ${on};`);
  }
  out.push(`INSERT INTO ${table} (${names.join(', ')})
SELECT ${names.map((q) => `s.${q}`).join(', ')}
FROM ${source}
WHERE NOT EXISTS (SELECT 1 FROM ${table} AS t WHERE ${on});`);
  return out.join('\n');
}

/** Adds the staged keys to the table's sweep set (resnapshot running). */
export function markSeenSql(n: SqlServerNaming, def: TableDef, plan: StagePlan): string {
  const keys = keysOf(plan);
  const cols = keys.map((c) => quoteIdent(c.column.name)).join(', ');
  const seen = n.seenTable(def);
  const keyPlan: StagePlan = { ...plan, columns: keys };
  return `INSERT INTO ${seen} (${cols})
SELECT ${keys.map((c) => `s.${quoteIdent(c.column.name)}`).join(', ')}
FROM (
  ${dedupedSource(keyPlan)}
) AS s
WHERE NOT EXISTS (SELECT 1 FROM ${seen} AS v WHERE ${keyMatch(plan, 'v', (c) => `s.${quoteIdent(c.column.name)}`)});`;
}

/** Set-based delete of the staged keys. */
export function deleteSql(n: SqlServerNaming, def: TableDef, plan: StagePlan): string {
  const match = keyMatch(plan, 't', (c) => conv(c, 'd'));
  return `DELETE t FROM ${n.qualify(def)} AS t
WHERE EXISTS (SELECT 1 FROM ${plan.table} AS d WHERE ${match});`;
}

/**
 * One chunk of the sweep: deletes at most `STATEMENT_ROWS` rows whose key is not in the sweep set
 * (the row count is the statement's). The replica repeats it, each chunk in a transaction of its own
 * that re-checks the writer lease, until a chunk deletes fewer rows.
 */
export function finishSweepSql(n: SqlServerNaming, def: TableDef): string {
  const match = def.primaryKey.map((k) => {
    const c = def.columns.find((col) => col.name === k)!;
    return keyEquals(c.type, `v.${quoteIdent(k)}`, `t.${quoteIdent(k)}`);
  }).join(' AND ');
  return `DELETE TOP (${STATEMENT_ROWS}) t FROM ${n.qualify(def)} AS t
WHERE NOT EXISTS (SELECT 1 FROM ${n.seenTable(def)} AS v WHERE ${match});`;
}

/** Upsert of `count` state rows from parameters @id<i>, @kind<i>, @value<i>. */
export function upsertStateSql(n: SqlServerNaming, count: number): string {
  const values = Array.from({ length: count }, (_, i) => `(@id${i}, @kind${i}, @value${i})`).join(',\n  ');
  return `MERGE ${n.stateTable} WITH (UPDLOCK, HOLDLOCK) AS t
USING (VALUES
  ${values}
) AS s ([Id], [Kind], [Value])
ON t.[Id] = s.[Id]
WHEN MATCHED THEN UPDATE SET t.[Kind] = s.[Kind], t.[Value] = s.[Value], t.[UpdatedUtc] = SYSUTCDATETIME()
WHEN NOT MATCHED BY TARGET THEN INSERT ([Id], [Kind], [Value], [UpdatedUtc]) VALUES (s.[Id], s.[Kind], s.[Value], SYSUTCDATETIME());`;
}

/** Deletes `count` state rows given as parameters @rm<i>. */
export function deleteStateSql(n: SqlServerNaming, count: number): string {
  const ids = Array.from({ length: count }, (_, i) => `@rm${i}`).join(', ');
  return `DELETE FROM ${n.stateTable} WHERE [Id] IN (${ids});`;
}

/** Every state row, or (`byKind`) those whose kind is parameter @kind. */
export function readStateSql(n: SqlServerNaming, byKind = false): string {
  return `SELECT [Id], [Kind], [Value] FROM ${n.stateTable}${byKind ? ' WHERE [Kind] = @kind' : ''} ORDER BY [Id];`;
}

/**
 * The `lease` row (parameter @id), read with an update lock held to the end of the transaction (a
 * key-range lock when the row is absent): batches and lease changes on the row are serialised.
 */
export function selectLeaseSql(n: SqlServerNaming): string {
  return `SELECT [Value] FROM ${n.stateTable} WITH (UPDLOCK, HOLDLOCK) WHERE [Id] = @id;`;
}

/** All rows in key order, every value through `readExpression` (exact text for lossy types). */
export function selectRowsSql(n: SqlServerNaming, def: TableDef): string {
  const cols = def.columns.map((c) => `${readExpression(c.type, quoteIdent(c.name))} AS ${quoteIdent(c.name)}`).join(', ');
  return `SELECT ${cols} FROM ${n.qualify(def)} ORDER BY ${def.primaryKey.map(quoteIdent).join(', ')};`;
}

export function countRowsSql(n: SqlServerNaming, ref: TableRef): string {
  return `SELECT COUNT_BIG(*) AS [n] FROM ${n.qualify(ref)};`;
}

export function tableExistsSql(n: SqlServerNaming, ref: TableRef): string {
  return userTableExistsSql(n.qualify(ref));
}

/** 1 when the user table `qualified` (`[schema].[name]`) exists, else 0. */
export function userTableExistsSql(qualified: string): string {
  return `SELECT CASE WHEN OBJECT_ID(${quoteString(qualified)}, N'U') IS NULL THEN 0 ELSE 1 END AS [present];`;
}
