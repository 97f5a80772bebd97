/**
 * Where a change or a schema change happened in the source's own log, from a Debezium source block (of
 * a row event, or of a `<ctx>-schemahistory` record: its `source`, or `position` in the connector's
 * internal history). Two positions compare only within one scope:
 * - MariaDB/MySQL: binlog file (its numeric suffix) and `pos`. A row event's `pos` is where its
 *   transaction starts and a DDL's is where the DDL is, so a row event at or after a DDL's position
 *   was written with the DDL's schema, one before it with an earlier one (measured on the stack:
 *   test/integration/stack-schema.test.ts);
 * - SQL Server: `commit_lsn`, then `change_lsn` (fixed-width hex, compared as text).
 * Any other source has no position here (schema placement then goes by hash alone: history-log.ts).
 */

/** `scope|key`: keys of one scope compare as text. */
export type SourcePos = string;

const BINLOG = /^(.*?)(\d+)$/;

export function sourcePosition(source: Record<string, unknown> | null | undefined): SourcePos | null {
  if (!source) return null;
  const file = source.file;
  const pos = source.pos;
  if (typeof file === 'string' && (typeof pos === 'number' || typeof pos === 'bigint' || (typeof pos === 'string' && /^\d+$/.test(pos)))) {
    const m = BINLOG.exec(file);
    if (!m) return null;
    return `binlog:${m[1]}|${m[2]!.padStart(12, '0')}:${String(pos).padStart(20, '0')}`;
  }
  const commit = source.commit_lsn;
  if (typeof commit === 'string' && /^[0-9a-fA-F:]+$/.test(commit)) {
    const change = typeof source.change_lsn === 'string' ? source.change_lsn : '';
    return `lsn|${commit.toLowerCase()}:${change.toLowerCase()}`;
  }
  return null;
}

/** -1, 0 or 1; null when the two cannot be compared (either unknown, or of different scopes). */
export function comparePositions(a: SourcePos | null | undefined, b: SourcePos | null | undefined): -1 | 0 | 1 | null {
  if (!a || !b) return null;
  const ia = a.indexOf('|');
  const ib = b.indexOf('|');
  if (ia < 0 || ia !== ib || a.slice(0, ia) !== b.slice(0, ib)) return null;
  const ka = a.slice(ia + 1);
  const kb = b.slice(ib + 1);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
