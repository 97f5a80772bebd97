/**
 * After the runs: every replica's contents against the source, by checksum. Both sides are read with
 * plain SQL and explicit casts, never through the product's own reader: the source by the harness's
 * canonical reader (source-db.ts: CAST(… AS CHAR), HEX(…), UNIX_TIMESTAMP(…) per column), each replica
 * by test/harness/replica-reader.ts (`c::text`, `to_char(…)`, `encode(…, 'hex')`; SQLite by storage
 * class). Rows in canonical form are hashed the same way on both sides (checksumRows: sha256 over rows
 * sorted by primary key). A difference names the table, the row counts and the first differing row.
 */
import type { Row } from '../../main/engine/schema/table-model.ts';
import { openReplicaReader, type ReplicaLocation } from '../harness/replica-reader.ts';
import { checksumRows, rowText, sortRows, type CrmDatabase, type SourceColumn } from '../harness/source-db.ts';

export interface SourceTable { table: string; columns: SourceColumn[]; pk: string[]; rows: number; sha256: string; sorted: Row[] }

export async function sourceContents(source: CrmDatabase): Promise<SourceTable[]> {
  const out: SourceTable[] = [];
  for (const table of await source.tables()) {
    const columns = await source.columns(table);
    const pk = await source.primaryKey(table);
    const rows = await source.readRows(table);
    const sum = checksumRows(rows, pk);
    out.push({ table, columns, pk, ...sum, sorted: sortRows(rows, pk) });
  }
  return out;
}

/**
 * The JDBC sink stores a MariaDB BIT(n) as PostgreSQL `bit(n)` / `bit varying`, whose text (`c::text`,
 * the reader's default cast) is the binary digits: '1' / '0' for BIT(1) (canonically a boolean) and
 * e.g. '000100000001' for BIT(12) (canonically the unsigned number they spell). Only a string of binary
 * digits in a column that is BIT at the source is read that way; anything else is left as it is.
 */
function bitTextToCanonical(rows: Row[], columns: SourceColumn[]): void {
  const bits = columns.filter((c) => c.dataType === 'bit');
  if (!bits.length) return;
  for (const r of rows) {
    for (const c of bits) {
      const v = r[c.name];
      if (typeof v !== 'string' || !/^[01]+$/.test(v)) continue;
      r[c.name] = c.columnType === 'bit(1)' ? v === '1' : BigInt(`0b${v}`);
    }
  }
}

/**
 * '' when every table's checksum equals the source's, else what differs (first row per table).
 * `pgBitText`: the replica keeps BIT(n) as PostgreSQL bit strings (the JDBC sink's mapping).
 */
export async function compareContents(sourceSchema: string, source: SourceTable[], loc: ReplicaLocation, pgBitText = false): Promise<string> {
  const reader = await openReplicaReader(loc);
  const diffs: string[] = [];
  try {
    for (const s of source) {
      const t = await reader.readTable(sourceSchema, s.table, s.columns);
      if (!t) { diffs.push(`${s.table}: missing`); continue; }
      if (pgBitText) bitTextToCanonical(t.rows, s.columns);
      const sum = checksumRows(t.rows, s.pk);
      if (sum.sha256 === s.sha256) continue;
      const mine = sortRows(t.rows, s.pk);
      let i = 0;
      while (i < mine.length && i < s.sorted.length && rowText(mine[i]!) === rowText(s.sorted[i]!)) i++;
      const a = s.sorted[i] ? rowText(s.sorted[i]!) : '(none)';
      const b = mine[i] ? rowText(mine[i]!) : '(none)';
      diffs.push(`${s.table}: ${t.rows.length}/${s.rows} rows, checksum differs; first difference at row ${i}: source ${a.slice(0, 600)} | replica ${b.slice(0, 600)}`);
    }
  } finally {
    await reader.close();
  }
  return diffs.join('\n');
}
