/**
 * PostgreSQL text, varchar and jsonb cannot hold U+0000 (NUL), which MariaDB, SQL Server and SQLite
 * store. Policy (docs/values.md): no value is altered to fit. A row carrying a NUL in a text column, or
 * the escape `\u0000` in a JSON column (jsonb refuses it), halts its table before anything of the batch
 * is written, with a message naming the table, the column, the row's key and what the admin can do.
 */
import { MirrorError } from '../../errors.ts';
import { tableId, type ColumnType, type Row, type RowValue, type TableDef } from '../../schema/table-model.ts';

/** `\u0000` as a JSON escape: preceded by an even number of backslashes (so not `\\u0000`, an escaped backslash). */
const JSON_NUL = /(?:^|[^\\])(?:\\\\)*\\u0000/i;

export function holdsNul(v: RowValue | undefined, t: ColumnType): boolean {
  if (typeof v !== 'string') return false;
  if (v.includes('\u0000')) return true;
  return t.kind === 'json' && v.includes('\\') && JSON_NUL.test(v);
}

function keyText(def: TableDef, row: Row): string {
  const parts = def.primaryKey.map((k) => {
    const v = row[k];
    const s = typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : JSON.stringify(v ?? null);
    return `${k}=${s}`;
  });
  return parts.join(', ');
}

/** Throws (halting the table) when a row holds a value PostgreSQL would have to alter. */
export function assertNoNul(def: TableDef, rows: readonly Row[]): void {
  const cols = def.columns.filter((c) => c.type.kind === 'string' || c.type.kind === 'json');
  if (!cols.length) return;
  for (const row of rows) {
    for (const c of cols) {
      if (!holdsNul(row[c.name], c.type)) continue;
      const id = tableId(def);
      const key = keyText(def, row);
      const what = c.type.kind === 'json' ? 'the JSON escape \\u0000, which PostgreSQL jsonb refuses' : 'the character U+0000 (NUL), which PostgreSQL text cannot hold';
      throw new MirrorError('REPLICA_WRITE_FAILED',
        `Column ${c.name} of ${id} at key ${key} holds ${what}. Tenant Mirror does not alter values, so the table is halted. ` +
        `Remove the NUL at the source (MariaDB: UPDATE … SET ${c.name} = REPLACE(${c.name}, ${c.type.kind === 'json' ? "'\\\\u0000'" : 'CHAR(0)'}, '') WHERE ${key.replace(/, /g, ' AND ')}), ` +
        `then resync the table (tenant-mirror resync-tables ${id}); or exclude the table; or replicate to SQLite or SQL Server, which store it exactly.`,
        { detail: { table: id, column: c.name, key } });
    }
  }
}
