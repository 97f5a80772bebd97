/**
 * `checkRights()`: db_owner (or sysadmin) is enough; otherwise the exact rights the mirror needs:
 * CREATE TABLE and CREATE SCHEMA on the database, ALTER and SELECT/INSERT/UPDATE/DELETE on dbo (state
 * table, sweep sets) and on the destination schema when `tablePrefix` names an existing one. Schemas
 * the mirror creates itself are owned by the replica login, so they need nothing more. CREATE SCHEMA
 * is asked for only when a schema must be created: a `tablePrefix` schema that does not exist yet, or
 * no prefix (the source schemas are created on demand). `TablePrefix: "dbo"` needs no CREATE SCHEMA.
 */
import type { RightsReport } from '../replica.ts';
import { quoteIdent, quoteString } from './quote.ts';

const SCHEMA_PERMS = ['ALTER', 'SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

export function rightsQuerySql(schemas: string[]): string {
  const cols = [
    'USER_NAME() AS [userName]',
    'DB_NAME() AS [databaseName]',
    "IS_ROLEMEMBER(N'db_owner') AS [dbOwner]",
    "IS_SRVROLEMEMBER(N'sysadmin') AS [sysadmin]",
    "HAS_PERMS_BY_NAME(DB_NAME(), N'DATABASE', N'CREATE TABLE') AS [createTable]",
    "HAS_PERMS_BY_NAME(DB_NAME(), N'DATABASE', N'CREATE SCHEMA') AS [createSchema]",
  ];
  schemas.forEach((s, i) => {
    cols.push(`CASE WHEN SCHEMA_ID(${quoteString(s)}) IS NULL THEN 0 ELSE 1 END AS [s${i}_exists]`);
    for (const p of SCHEMA_PERMS) cols.push(`HAS_PERMS_BY_NAME(${quoteString(s)}, N'SCHEMA', N'${p}') AS [s${i}_${p}]`);
  });
  return `SELECT\n  ${cols.join(',\n  ')};`;
}

export type RightsRow = Record<string, unknown>;

/**
 * Builds the report (with the GRANT statements to run) from the row of `rightsQuerySql(schemas)`.
 * `schemasOnDemand`: no table prefix, so the mirror creates the source schemas as they come.
 */
export function rightsReport(row: RightsRow, schemas: string[], o: { schemasOnDemand: boolean }): RightsReport {
  if (row.dbOwner === 1 || row.sysadmin === 1) return { ok: true, missing: [] };
  const user = quoteIdent(typeof row.userName === 'string' && row.userName ? row.userName : '<user>');
  const missing: string[] = [];
  if (row.createTable !== 1) missing.push(`CREATE TABLE on the database: GRANT CREATE TABLE TO ${user};`);
  schemas.forEach((s, i) => {
    if (row[`s${i}_exists`] !== 1) {
      if (row.createSchema !== 1) missing.push(`CREATE SCHEMA (schema ${s} does not exist yet): GRANT CREATE SCHEMA TO ${user};`);
      return;
    }
    const lacking = SCHEMA_PERMS.filter((p) => row[`s${i}_${p}`] !== 1);
    if (lacking.length > 0) missing.push(`${lacking.join(', ')} on schema ${s}: GRANT ${lacking.join(', ')} ON SCHEMA::${quoteIdent(s)} TO ${user};`);
  });
  if (o.schemasOnDemand && row.createSchema !== 1 && !missing.some((m) => m.startsWith('CREATE SCHEMA'))) {
    missing.push(`CREATE SCHEMA (destination schemas are created on demand): GRANT CREATE SCHEMA TO ${user};`);
  }
  if (missing.length > 0) missing.push(`Or grant everything at once: ALTER ROLE db_owner ADD MEMBER ${user};`);
  return { ok: missing.length === 0, missing };
}
