/**
 * What an ADD COLUMN puts into the rows a table already has. The source fills them at the ALTER and
 * sends no event for it, so an added column is altered in place only when the replica can fill them the
 * same way: NULL (no DEFAULT), or a number literal. Anything else (a string or date literal, which
 * Debezium's history gives unquoted; CURRENT_TIMESTAMP, which it gives as "1970-01-01 00:00:00"; an
 * expression such as (UUID()), which it gives as no default at all; a generated column) is known to the
 * source only: the table is refilled (compat.ts). Measured on the stack with Debezium 3.2's MariaDB
 * connector (ALTER TABLE … ADD COLUMN with each kind of default; docs/benchmarks.md, "Added columns").
 */

const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * The clauses that may define `column` in a DDL statement (`name type … DEFAULT …`), in order. More than
 * the definition can match (`(c1 DESC, …)` of an index): each is looked at, so none is missed.
 */
export function columnClauses(ddl: string, column: string): string[] {
  const out: string[] = [];
  const esc = column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const name = `(?:\`${esc.replace(/`/g, '``')}\`|${/^[\w$]+$/.test(column) ? `\\b${esc}\\b` : '(?!)'})`;
  const start = new RegExp(String.raw`(?:\bADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?\(?\s*|[(,]\s*)${name}\s+`, 'gi');
  for (let m = start.exec(ddl); m; m = start.exec(ddl)) {
    let depth = 0;
    let quote: string | null = null;
    let i = m.index + m[0].length;
    for (; i < ddl.length; i++) {
      const ch = ddl[i]!;
      if (quote) { if (ch === quote) quote = ddl[i + 1] === quote ? (i++, quote) : null; continue; }
      if (ch === "'" || ch === '"' || ch === '`') { quote = ch; continue; }
      if (ch === '(') depth++;
      else if (ch === ')') { if (depth === 0) break; depth--; }
      else if (ch === ',' && depth === 0) break;
    }
    const clause = ddl.slice(m.index + m[0].length, i);
    if (/^\s*(?:FIRST|AFTER)\b/i.test(clause)) continue; // `AFTER name` of another column's clause
    out.push(clause);
  }
  return out;
}

/**
 * Whether the rows a table has when `column` is added get a value the replica cannot give them in place.
 * `ddl`: the statement (MariaDB/MySQL history records carry it; SQL Server's do not).
 */
export function addedFillUnknown(defaultExpression: string | null | undefined, ddl: string | null | undefined, column: string): boolean {
  const dve = defaultExpression?.trim();
  if (dve && !/^null$/i.test(dve) && !NUMBER.test(dve)) return true;
  return (ddl ? columnClauses(ddl, column) : []).some((clause) => {
    if (/\b(?:AS|GENERATED\s+ALWAYS\s+AS)\s*\(/i.test(clause)) return true;
    const d = /\bDEFAULT\s+([^\s,]+)/i.exec(clause);
    return d !== null && !/^null$/i.test(d[1]!) && !NUMBER.test(d[1]!.replace(/^\((.*)\)$/, '$1'));
  });
}
