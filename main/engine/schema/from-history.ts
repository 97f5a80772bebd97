/**
 * Debezium schema-change events (`<ctx>-schemahistory`, `tableChanges`) → table definitions.
 * Uses the same source-type mapping as the event path so both give the same hash.
 */
import { addedFillUnknown } from './added-column-fill.ts';
import { mapSourceType } from './source-types.ts';
import type { ColumnDef, ColumnType, TableDef } from './table-model.ts';

export interface HistoryColumn {
  name: string; typeName: string; length?: number | null; scale?: number | null; position?: number;
  optional?: boolean; defaultValueExpression?: string | null; jdbcType?: number;
}
export interface TableChange {
  type: 'CREATE' | 'ALTER' | 'DROP';
  id: string;
  table?: { primaryKeyColumnNames?: string[]; columns?: HistoryColumn[] } | null;
}
export interface HistoryChange {
  type: TableChange['type'];
  /** Source-side parts of the id: [db, table] (MariaDB/MySQL) or [db, schema, table] (SQL Server). */
  idParts: string[];
  def: TableDef | null;
  unknownTypes: string[];
}

/** `"db"."schema"."table"` → parts without quotes. */
export function parseTableId(id: string): string[] {
  const parts: string[] = [];
  const re = /"((?:[^"]|"")*)"|([^."]+)/g;
  for (let m = re.exec(id); m; m = re.exec(id)) parts.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!);
  return parts;
}

function literalDefault(expr: string | null | undefined, type: ColumnType): ColumnDef['defaultValue'] {
  if (expr === null || expr === undefined) return undefined;
  const e = expr.trim();
  if (/^null$/i.test(e)) return null;
  const q = /^'((?:[^']|'')*)'$/.exec(e);
  if (q) return q[1]!.replace(/''/g, "'");
  if (/^-?\d+(\.\d+)?$/.test(e)) {
    if (type.kind === 'int') return type.bits === 64 ? BigInt(e) : Number(e);
    if (type.kind === 'float') return Number(e);
    if (type.kind === 'bool') return e !== '0';
    return e;
  }
  if (type.kind === 'bool' && /^b'[01]'$/i.test(e)) return e[2] === '1';
  return undefined; // functions (CURRENT_TIMESTAMP…) are not carried over
}

export function historyToChanges(tableChanges: TableChange[], connector: string, ddl?: string | null): HistoryChange[] {
  return tableChanges.map((tc) => {
    const idParts = parseTableId(tc.id);
    const name = idParts[idParts.length - 1] ?? tc.id;
    const schema = idParts.length >= 3 ? idParts[idParts.length - 2]! : (idParts[0] ?? '');
    if (tc.type === 'DROP' || !tc.table?.columns) return { type: tc.type, idParts, def: null, unknownTypes: [] };
    const unknownTypes: string[] = [];
    const cols = [...tc.table.columns].sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
    const columns: ColumnDef[] = [];
    for (const c of cols) {
      const type = mapSourceType({ typeName: c.typeName, length: c.length ?? null, scale: c.scale ?? null, connector });
      if (!type) { unknownTypes.push(`${c.name} ${c.typeName}`); continue; }
      const col: ColumnDef = { name: c.name, type, nullable: c.optional !== false };
      const d = literalDefault(c.defaultValueExpression, type);
      if (d !== undefined) col.defaultValue = d;
      if (addedFillUnknown(c.defaultValueExpression, ddl, c.name)) col.fillUnknown = true;
      col.sourceType = c.typeName + (c.length != null ? `(${c.length}${c.scale != null ? ',' + c.scale : ''})` : '');
      columns.push(col);
    }
    const def: TableDef = { schema, name, columns, primaryKey: tc.table.primaryKeyColumnNames ?? [] };
    return { type: tc.type, idParts, def, unknownTypes };
  });
}
