/**
 * An independent reader of replica tables: plain SQL over its own connection (better-sqlite3 / pg, none
 * of main/engine), so the comparison with the source never goes through the product's own reader.
 *
 * Where a source table lands follows the documented naming convention (docs/naming.md), written out
 * here again from the document rather than imported: PostgreSQL schema = `tablePrefix` when set, else the
 * source schema, table = the source table name (case kept) unless escaped; SQLite (no schemas)
 * `<tablePrefix>_<table>`, or the bare table name, escaped when it has an upper-case letter (SQLite compares
 * names case-insensitively). Escaped = reserved (`_replication…`, `_tm_…`), ending like an escape, too
 * long (PostgreSQL 63 bytes) or (SQLite) not all lower case: the name without leading underscores, cut to
 * fit, + `__` + the first 10 hex
 * of sha256(source name). Columns come from the replica's catalog (PRAGMA table_info /
 * information_schema.columns), not from `_ReplicationState`.
 *
 * Values are converted to the harness's canonical form (test/harness/source-db.ts), exactly:
 *
 * | replica storage                        | SQL                                   | canonical value                          |
 * |----------------------------------------|---------------------------------------|------------------------------------------|
 * | SQLite INTEGER (typeof 'integer')      | the column, safeIntegers              | number (≤ 2^53, source not BIGINT/BIT(n)) else bigint; 0/1 → boolean for a source BIT(1) (SQLite has no boolean) |
 * | SQLite REAL / TEXT / BLOB              | the column                            | number / string as stored / Buffer       |
 * | PG smallint, integer, bigint           | `c::text`                             | as SQLite INTEGER (never through a double) |
 * | PG boolean                             | `c::text`                             | boolean                                  |
 * | PG numeric                             | `c::text`                             | string, exact (the column's scale digits) |
 * | PG real / double precision             | `c::float8::text` / `c::text`, extra_float_digits=3 (shortest exact) | number |
 * | PG bytea                               | `encode(c, 'hex')`                    | Buffer                                   |
 * | PG date                                | `c::text`, DateStyle ISO              | 'YYYY-MM-DD'                             |
 * | PG time / timestamp                    | `to_char(c, '… HH24:MI:SS.US')`       | 'HH:MM:SS' / 'YYYY-MM-DD HH:MM:SS' + p digits |
 * | PG interval (a MySQL TIME)             | sign, `extract(epoch)` as exact numeric text | '[-]HH:MM:SS' + p digits, hours not wrapped (838:59:59) |
 * | PG timestamptz                         | `to_char(c AT TIME ZONE 'UTC', …"T"…"Z")` | 'YYYY-MM-DDTHH:MM:SS[.p digits]Z'    |
 * | PG anything else (varchar, text, uuid…)| `c::text`                             | string                                   |
 *
 * A replica TEXT / numeric of a source BIGINT (UNSIGNED: decimal(20,0)) is read as the integer its digits spell.
 * A replica BLOB / bytea of a source BIT(n > 1) is read as the unsigned number its bytes spell big-endian
 * (the canonical form's bigint): 0x0102 is 258, as MariaDB's CAST(b'0000000100000010' AS UNSIGNED).
 *
 * p (fraction digits) is the source column's precision (the canonical form's), else the replica
 * column's. Microseconds beyond p are dropped only when they are zeros; a non-zero digit there is kept,
 * so the value differs from the source's instead of being rounded to it. Nothing else is normalised:
 * SQLite text is compared as stored (e.g. a decimal '1.5' where the source has '1.50' is a difference),
 * and a value whose storage cannot be the canonical type (a boolean column holding 2) becomes a marker
 * string that equals nothing the source can produce.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Row, RowValue } from '../../main/engine/schema/table-model.ts';
import type { SourceColumn } from './source-db.ts';

/** The replica as configured (Settings.replica): only what a plain connection needs. */
export type ReplicaConnection =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; host: string; port: number; database: string; user: string; password?: string | { env: string } | undefined; ssl?: boolean | undefined }
  | { kind: string };

/** Where the replica is and how source tables are named in it (Settings has this shape). */
export interface ReplicaLocation {
  replica: ReplicaConnection;
  tablePrefix?: string | undefined;
}

export interface ReplicaTable {
  /** Where it was found: `"schema"."table"` (PostgreSQL) or `"table"` (SQLite). */
  name: string;
  /** Column names, in catalog order. */
  columns: string[];
  rows: Row[];
}

export interface ReplicaReader {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * The replica table of source table `sourceSchema.table`, in canonical form; null when the replica has
   * no such table. `sourceColumns` (the source's own catalog) gives the canonical form where the replica's
   * storage alone cannot tell it (SQLite 0/1 for BIT(1), fraction digits). Throws when the table cannot
   * be read (e.g. dropped between the catalog query and the SELECT).
   */
  readTable(sourceSchema: string, table: string, sourceColumns?: readonly SourceColumn[]): Promise<ReplicaTable | null>;
  /** `SELECT COUNT(*)` of the replica table of `sourceSchema.table`; null when the replica has no such table. */
  countRows(sourceSchema: string, table: string): Promise<number | null>;
  close(): Promise<void>;
}

/** The replica name of a source table by docs/naming.md (kept, or cut + `__` + 10 hex of sha256(name)). */
function namedByRule(table: string, lead: string, caseInsensitive: boolean, maxBytes: number | null): string {
  const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
  const escape = (caseInsensitive && table !== table.toLowerCase())
    || /^(_replication|_tm_)/i.test(lead + table)
    || /__[0-9a-f]{10}$/i.test(table)
    || (maxBytes !== null && bytes(lead + table) > maxBytes);
  if (!escape) return lead + table;
  const suffix = `__${createHash('sha256').update(table, 'utf8').digest('hex').slice(0, 10)}`;
  let head = '';
  for (const ch of table.replace(/^_+/, '')) {
    if (maxBytes !== null && bytes(lead + head + ch + suffix) > maxBytes) break;
    head += ch;
  }
  return lead + head + suffix;
}

/** Destination of a source table (docs/naming.md). */
export function destinationOf(kind: 'sqlite' | 'postgres', tablePrefix: string, sourceSchema: string, table: string): { schema: string | null; table: string } {
  if (kind === 'sqlite') return { schema: null, table: namedByRule(table, tablePrefix ? `${tablePrefix}_` : '', true, null) };
  return { schema: tablePrefix || sourceSchema, table: namedByRule(table, '', false, 63) };
}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

const NUMBER_INT_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'year']);

/** A value the canonical form cannot hold: text that no canonical source value produces. */
const mismatch = (what: string): string => `\u2039replica ${what}\u203a`;

/** Integer read exactly (bigint) -> canonical value for the source column. */
function integerValue(v: bigint, src: SourceColumn | undefined, boolFromInt: boolean): RowValue {
  if (src && src.dataType === 'bit' && src.columnType === 'bit(1)' && boolFromInt) {
    if (v === 0n) return false;
    if (v === 1n) return true;
    return mismatch(`integer ${v} in a BIT(1) column`);
  }
  if (src && NUMBER_INT_TYPES.has(src.dataType) && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
  return v; // same text as the number would give; exact beyond 2^53
}

/**
 * Text of a source BIGINT (a BIGINT UNSIGNED is a decimal(20,0) in the replica: SQLite TEXT, PG numeric)
 * → the bigint it spells, digits only (anything else, '1.0' included, stays text and so differs).
 */
function integerText(v: string, src: SourceColumn | undefined): RowValue {
  return src?.dataType === 'bigint' && /^-?\d+$/.test(v) ? BigInt(v) : v;
}

/** Bytes of a source BIT(n > 1) → the unsigned number they spell big-endian; other bytes unchanged. */
function bitsValue(b: Buffer, src: SourceColumn | undefined): RowValue {
  if (!src || src.dataType !== 'bit' || src.columnType === 'bit(1)') return b;
  return b.length ? BigInt('0x' + b.toString('hex')) : 0n;
}

/** Exact seconds ('-3600.000000', '3020399') → '[-]HH:MM:SS[.p digits]' as MariaDB prints a TIME(p). */
export function durationText(seconds: string, p: number): string {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(seconds);
  if (!m) return mismatch(`interval ${seconds}`);
  const [, sign, whole, frac = ''] = m as unknown as [string, string, string, string | undefined];
  const s = BigInt(whole);
  const keep = Math.max(0, Math.min(6, p));
  if (!/^0*$/.test(frac.slice(keep))) return mismatch(`interval ${seconds} with more than ${keep} fraction digits`);
  const two = (n: bigint): string => n.toString().padStart(2, '0');
  const f = keep ? '.' + frac.slice(0, keep).padEnd(keep, '0') : '';
  return `${sign}${two(s / 3600n)}:${two((s / 60n) % 60n)}:${two(s % 60n)}${f}`;
}

/**
 * `text` ends in `.ffffff` (to_char's US): keep `p` fraction digits when the ones after them are zeros
 * (no fraction at all when p = 0); otherwise keep all six so the difference shows.
 */
export function fractionTo(text: string, p: number): string {
  const m = /^(.*\d{2}:\d{2}:\d{2})\.(\d{6})(Z?)$/.exec(text);
  if (!m) return text;
  const [, head, frac, z] = m as unknown as [string, string, string, string];
  const keep = Math.max(0, Math.min(6, p));
  if (!/^0*$/.test(frac.slice(keep))) return text;
  return `${head}${keep ? `.${frac.slice(0, keep)}` : ''}${z}`;
}

function secret(s: string | { env: string } | undefined): string | undefined {
  if (s === undefined) return undefined;
  return typeof s === 'string' ? s : process.env[s.env];
}

// ---------------------------------------------------------------- SQLite

class SqliteReader implements ReplicaReader {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly prefix: string;
  constructor(file: string, prefix: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true, timeout: 10_000 });
    this.prefix = prefix;
  }

  async readTable(sourceSchema: string, table: string, sourceColumns?: readonly SourceColumn[]): Promise<ReplicaTable | null> {
    const dest = destinationOf('sqlite', this.prefix, sourceSchema, table).table;
    const exists = this.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ?").get(dest) as { name: string } | undefined;
    if (!exists) return null;
    const cols = (this.db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').all(dest) as Array<{ name: string }>).map((c) => c.name);
    if (!cols.length) return null;
    const byName = new Map((sourceColumns ?? []).map((c) => [c.name, c]));
    const select = cols.map((c, i) => `${quoteIdent(c)} AS "v${i}", typeof(${quoteIdent(c)}) AS "t${i}"`).join(', ');
    const stmt = this.db.prepare(`SELECT ${select} FROM ${quoteIdent(dest)}`).safeIntegers(true);
    const rows: Row[] = [];
    for (const raw of stmt.iterate() as Iterable<Record<string, unknown>>) {
      const row: Row = {};
      cols.forEach((c, i) => {
        const v = raw[`v${i}`];
        const src = byName.get(c);
        switch (raw[`t${i}`]) {
          case 'null': row[c] = null; break;
          case 'integer': row[c] = integerValue(v as bigint, src, true); break;
          case 'real': row[c] = v as number; break;
          case 'text': row[c] = integerText(v as string, src); break;
          case 'blob': row[c] = bitsValue(Buffer.from(v as Buffer), src); break;
          default: row[c] = mismatch(`storage class ${String(raw[`t${i}`])}`);
        }
      });
      rows.push(row);
    }
    return { name: quoteIdent(dest), columns: cols, rows };
  }

  async countRows(sourceSchema: string, table: string): Promise<number | null> {
    const dest = destinationOf('sqlite', this.prefix, sourceSchema, table).table;
    if (!this.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ?").get(dest)) return null;
    return Number((this.db.prepare(`SELECT COUNT(*) AS n FROM ${quoteIdent(dest)}`).get() as { n: number }).n);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

// ---------------------------------------------------------------- PostgreSQL

interface PgColumn { name: string; udt: string; precision: number | null }

/** SELECT expression (text) for one column. */
function pgExpr(c: PgColumn): string {
  const q = quoteIdent(c.name);
  const finite = (fmt: string, v = q): string => `CASE WHEN isfinite(${q}) THEN to_char(${v}, '${fmt}') ELSE ${q}::text END`;
  switch (c.udt) {
    case 'float4': return `${q}::float8::text`;
    case 'bytea': return `encode(${q}, 'hex')`;
    // Exact seconds (numeric, PostgreSQL ≥ 14): the text form of interval drops trailing zeros and could carry days.
    case 'interval': return `extract(epoch from ${q})::text`;
    case 'time': return `to_char(${q}, 'HH24:MI:SS.US')`;
    case 'timestamp': return finite('YYYY-MM-DD HH24:MI:SS.US');
    case 'timestamptz': return finite('YYYY-MM-DD"T"HH24:MI:SS.US"Z"', `${q} AT TIME ZONE 'UTC'`);
    default: return `${q}::text`;
  }
}

function pgValue(c: PgColumn, v: string | null, src: SourceColumn | undefined): RowValue {
  if (v === null) return null;
  switch (c.udt) {
    case 'int2': case 'int4': case 'int8': return integerValue(BigInt(v), src, false);
    case 'bool': return v === 'true' ? true : v === 'false' ? false : mismatch(`boolean ${v}`);
    case 'float4': case 'float8': return Number(v);
    case 'bytea': return bitsValue(Buffer.from(v, 'hex'), src);
    case 'interval': return durationText(v, src?.precision ?? c.precision ?? 6);
    case 'time': case 'timestamp': case 'timestamptz': return fractionTo(v, src?.precision ?? c.precision ?? 6);
    case 'numeric': return integerText(v, src);
    default: return v;
  }
}

class PostgresReader implements ReplicaReader {
  readonly kind = 'postgres' as const;
  private readonly client: pg.Client;
  private readonly prefix: string;
  constructor(client: pg.Client, prefix: string) {
    this.client = client;
    this.prefix = prefix;
  }

  static async open(r: Extract<ReplicaConnection, { kind: 'postgres' }>, prefix: string): Promise<PostgresReader> {
    const password = secret(r.password);
    const client = new pg.Client({
      host: r.host, port: r.port, database: r.database, user: r.user, ...(password ? { password } : {}), ...(r.ssl ? { ssl: true } : {}),
      // Every value arrives as the text the SQL made of it: no pg type parser runs.
      types: { getTypeParser: () => (value: string) => value },
    });
    await client.connect();
    try {
      // Shortest exact float text (PostgreSQL ≥ 12), ISO dates, UTC session (timestamptz is converted explicitly anyway).
      await client.query("SET extra_float_digits = 3; SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; SET standard_conforming_strings = on");
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return new PostgresReader(client, prefix);
  }

  async readTable(sourceSchema: string, table: string, sourceColumns?: readonly SourceColumn[]): Promise<ReplicaTable | null> {
    const dest = destinationOf('postgres', this.prefix, sourceSchema, table);
    const schema = dest.schema!;
    const meta = await this.client.query<{ name: string; udt: string; dp: string | null }>(
      `SELECT column_name AS name, udt_name AS udt, datetime_precision AS dp FROM information_schema.columns
        WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, [schema, dest.table]);
    if (!meta.rows.length) return null;
    const cols: PgColumn[] = meta.rows.map((r) => ({ name: r.name, udt: r.udt, precision: r.dp === null ? null : Number(r.dp) }));
    const byName = new Map((sourceColumns ?? []).map((c) => [c.name, c]));
    const name = `${quoteIdent(schema)}.${quoteIdent(dest.table)}`;
    const res = await this.client.query<Record<string, string | null>>({
      text: `SELECT ${cols.map((c, i) => `${pgExpr(c)} AS "v${i}"`).join(', ')} FROM ${name}`,
      rowMode: 'array',
    } as pg.QueryConfig);
    const rows: Row[] = (res.rows as unknown as Array<Array<string | null>>).map((raw) => {
      const row: Row = {};
      cols.forEach((c, i) => { row[c.name] = pgValue(c, raw[i] ?? null, byName.get(c.name)); });
      return row;
    });
    return { name, columns: cols.map((c) => c.name), rows };
  }

  async countRows(sourceSchema: string, table: string): Promise<number | null> {
    const dest = destinationOf('postgres', this.prefix, sourceSchema, table);
    const found = await this.client.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [dest.schema, dest.table]);
    if (!found.rows.length) return null;
    const res = await this.client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${quoteIdent(dest.schema!)}.${quoteIdent(dest.table)}`);
    return Number(res.rows[0]!.n);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/** Opens a reader on the replica (a connection of its own; close it). */
export async function openReplicaReader(loc: ReplicaLocation): Promise<ReplicaReader> {
  const prefix = loc.tablePrefix ?? '';
  const r = loc.replica;
  if (r.kind === 'sqlite') return new SqliteReader((r as { file: string }).file, prefix);
  if (r.kind === 'postgres') return PostgresReader.open(r as Extract<ReplicaConnection, { kind: 'postgres' }>, prefix);
  throw new Error(`replica-reader: replica kind ${r.kind} is not supported`);
}
