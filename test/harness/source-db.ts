/**
 * One tenant's CRM source database (`crm_<ctx>`) on the private MariaDB: create/drop, seed, workload,
 * DDL helpers, canonical row reader + checksums, backup/restore.
 *
 * ## Canonical row form (what replica tests compare against)
 *
 * `readRows(table)` returns rows ordered by primary key, each a `Row` (main/engine/schema/table-model.ts)
 * keyed by column name, with values:
 *
 * | MariaDB type                                 | canonical JS value                                           |
 * |----------------------------------------------|--------------------------------------------------------------|
 * | NULL (any type)                              | `null`                                                       |
 * | TINYINT, SMALLINT, MEDIUMINT, INT (± UNSIGNED), YEAR | `number` (TINYINT(1) too: Debezium sends it as int16, not boolean) |
 * | BIGINT                                       | `bigint`                                                     |
 * | DECIMAL(p,s)                                 | `string`, exact, always `s` fraction digits: `"-123.45"`, `"0.00"`, `"7"` when s=0 |
 * | DOUBLE                                       | `number`                                                     |
 * | FLOAT                                        | `number`: the exact float32 value (`Math.fround`), e.g. -198837.25 — MariaDB's text protocol would print 6 digits (-198837), so the reader selects CAST(CAST(col AS DOUBLE) AS CHAR) (exact: float32 → double, printed shortest round-trip) |
 * | BIT(1)                                       | `boolean`                                                    |
 * | BIT(n>1)                                     | `bigint` (the bit pattern as an unsigned number)             |
 * | CHAR, VARCHAR, TEXT…, ENUM, SET, JSON        | `string` (CHAR without trailing pad spaces, as MariaDB returns it) |
 * | BINARY(n), VARBINARY, BLOB…                  | `Buffer` (BINARY(n) right-padded with 0x00 to n bytes)      |
 * | DATE                                         | `'YYYY-MM-DD'`                                               |
 * | DATETIME(p)                                  | `'YYYY-MM-DD HH:MM:SS'` + `.` + exactly p digits when p>0 (wall clock, no zone) |
 * | TIMESTAMP(p)                                 | `'YYYY-MM-DDTHH:MM:SS[.p digits]Z'` (UTC instant)            |
 * | TIME(p)                                      | `'HH:MM:SS'` + `.` + exactly p digits when p>0               |
 *
 * The reader never relies on the driver's or the session's defaults for exactness: each column is
 * selected with an explicit conversion (`sourceSelect`): BIGINT, DECIMAL, DATE, DATETIME and TIME as
 * CAST(… AS CHAR) (MariaDB's own exact text), FLOAT as CAST(CAST(… AS DOUBLE) AS CHAR), BIT as its unsigned value,
 * binary types as HEX(…), TIMESTAMP as UNIX_TIMESTAMP(…) (exact seconds and fraction, whatever the
 * session time zone) turned into UTC text here. DOUBLE is read as CAST(… AS CHAR), MariaDB's shortest
 * text that round-trips (MariaDB 10.11: 0.1e0+0.2e0 → 0.30000000000000004, 5e-324 → 5e-324), and
 * parsed with Number() here, never by the driver (mysql2's own float parser is not exact).
 *
 * Checksums (`checksum(table)`, `checksumRows(rows, pk)`) hash the canonical text of each row: rows
 * sorted by PK (numeric for numbers/bigints, code-point order for strings, byte order for Buffers),
 * columns sorted by name, `name=value` joined with U+001F, rows joined with `\n`; value text: null →
 * `\N`, number/bigint → decimal digits (number and bigint with the same value give the same text),
 * boolean → `true`/`false`, Buffer → `0x` + lower-case hex, string → JSON.stringify(string).
 * Replica code normalised to the canonical form therefore gets the same sha256.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { Row, RowValue } from '../../main/engine/schema/table-model.ts';
import { CRM_TABLES, SIGNAL_TABLE, SIGNAL_TABLE_DDL, createTableSql, sqlId, sqlStr } from './crm-schema.ts';
import { createMariaPool, DBZ_USER, type MariaDbConnectionInfo } from './mariadb.ts';
import { seedDatabase, type SeedOptions } from './seed.ts';
import { runWorkload, type WorkloadOptions, type WorkloadResult } from './workload.ts';
import { makeTempDir, run } from './util.ts';

export interface SourceColumn {
  name: string;
  dataType: string;
  columnType: string;
  nullable: boolean;
  position: number;
  /** Fractional-second digits for DATETIME/TIMESTAMP/TIME. */
  precision: number | null;
  scale: number | null;
  defaultValue: string | null;
}

export interface Backup {
  database: string;
  file: string;
  tables: string[];
  takenAt: Date;
}

export interface ChecksumResult {
  table: string;
  rows: number;
  sha256: string;
}

const INT_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'year']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

/** SELECT expression for one column: its exact text (or a number MariaDB prints exactly), see above. */
export function sourceSelect(col: SourceColumn): string {
  const q = sqlId(col.name);
  const t = col.dataType;
  // FLOAT and DOUBLE as MariaDB's own shortest round-trip text, parsed here with Number(): mysql2's
  // text-protocol float parser accumulates digits in a double, which is off by an ulp for some
  // 16–17 digit values (945.0991563803104 read as …105), a wrong source value, not a wrong replica.
  if (t === 'float') return `CAST(CAST(${q} AS DOUBLE) AS CHAR)`;
  if (t === 'double' || t === 'real') return `CAST(${q} AS CHAR)`;
  if (t === 'bigint' || t === 'decimal' || t === 'numeric' || t === 'date' || t === 'datetime' || t === 'time') return `CAST(${q} AS CHAR)`;
  if (t === 'bit') return `CAST(CAST(${q} AS UNSIGNED) AS CHAR)`;
  if (BINARY_TYPES.has(t)) return `HEX(${q})`;
  // MariaDB JSON is LONGTEXT; mysql2 would parse it into an object: its exact text instead.
  if (t === 'longtext') return `CAST(${q} AS CHAR)`;
  if (t === 'timestamp') return `UNIX_TIMESTAMP(${q})`;
  return q;
}

/** UNIX_TIMESTAMP text ('1700000000.123456', '0' for the zero date) -> 'YYYY-MM-DDTHH:MM:SS[.p digits]Z'. */
function timestampFromEpoch(raw: string, precision: number): string {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(raw);
  if (!m) throw new Error(`unexpected UNIX_TIMESTAMP value ${raw}`);
  const sec = Number(m[1]);
  let frac = m[2] ?? '';
  if (frac.length < precision) frac += '0'.repeat(precision - frac.length);
  const whole = sec === 0 ? '0000-00-00T00:00:00' : new Date(sec * 1000).toISOString().slice(0, 19);
  return `${whole}${frac ? `.${frac}` : ''}Z`;
}

/** A value selected with `sourceSelect` -> the canonical form above. */
export function canonicalSelected(col: SourceColumn, raw: unknown): RowValue {
  if (raw === null || raw === undefined) return null;
  const t = col.dataType;
  if (t === 'bit') {
    const v = BigInt(String(raw));
    return col.columnType === 'bit(1)' ? v === 1n : v;
  }
  if (BINARY_TYPES.has(t)) return Buffer.from(String(raw), 'hex');
  if (t === 'timestamp') return timestampFromEpoch(String(raw), col.precision ?? 0);
  if (t === 'date' || t === 'datetime' || t === 'time') return Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
  return canonicalValue(col, raw);
}

/** Converts a mysql2 value (pool options from createMariaPool) into the canonical form above. */
export function canonicalValue(col: SourceColumn, raw: unknown): RowValue {
  if (raw === null || raw === undefined) return null;
  const t = col.dataType;
  if (INT_TYPES.has(t)) return Number(raw);
  if (t === 'bigint') return BigInt(String(raw));
  if (t === 'decimal' || t === 'numeric') return String(raw);
  if (t === 'float') return Math.fround(Number(raw));
  if (t === 'double' || t === 'real') return Number(raw);
  if (t === 'bit') {
    const b = raw as Buffer;
    if (col.columnType === 'bit(1)') return b[0] === 1;
    let v = 0n;
    for (const byte of b) v = (v << 8n) | BigInt(byte);
    return v;
  }
  if (BINARY_TYPES.has(t)) return Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw), 'binary');
  if (t === 'timestamp') return `${String(raw).replace(' ', 'T')}Z`;
  if (Buffer.isBuffer(raw)) return raw.toString('utf8');
  return String(raw);
}

export function valueText(v: RowValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  return JSON.stringify(v);
}

export function rowText(row: Row): string {
  return Object.keys(row).sort().map((k) => `${k}=${valueText(row[k] ?? null)}`).join('\x1f');
}

export function compareValues(a: RowValue, b: RowValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  const sa = String(a), sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function sortRows(rows: Row[], pk: string[]): Row[] {
  return [...rows].sort((x, y) => {
    for (const k of pk) {
      const c = compareValues(x[k] ?? null, y[k] ?? null);
      if (c) return c;
    }
    return 0;
  });
}

/** sha256 over canonical rows (sorted by pk here, so the input order does not matter). */
export function checksumRows(rows: Row[], pk: string[]): { rows: number; sha256: string } {
  const h = createHash('sha256');
  let first = true;
  for (const r of sortRows(rows, pk)) {
    h.update(first ? rowText(r) : `\n${rowText(r)}`);
    first = false;
  }
  return { rows: rows.length, sha256: h.digest('hex') };
}

export class CrmDatabase {
  readonly database: string;
  readonly info: MariaDbConnectionInfo;
  readonly pool: Pool;

  constructor(info: MariaDbConnectionInfo, database: string) {
    this.info = info;
    this.database = database;
    this.pool = createMariaPool(info);
  }

  /** Qualified, quoted table name. */
  qt(table: string): string {
    return `${sqlId(this.database)}.${sqlId(table)}`;
  }

  async query<T = RowDataPacket[]>(sql: string, params?: unknown[]): Promise<T> {
    const [rows] = await this.pool.query(sql, params);
    return rows as T;
  }

  /** Creates the database with all CRM tables (or the listed ones) and the Debezium signal table. */
  async create(opts: { tables?: string[] } = {}): Promise<void> {
    await this.pool.query(`CREATE DATABASE ${sqlId(this.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const conn = await this.pool.getConnection();
    try {
      await conn.query(`USE ${sqlId(this.database)}`);
      for (const t of CRM_TABLES) if (!opts.tables || opts.tables.includes(t.name)) await conn.query(createTableSql(t));
      await conn.query(SIGNAL_TABLE_DDL);
    } finally {
      conn.release();
    }
    await this.pool.query(`GRANT INSERT, UPDATE, DELETE ON ${this.qt(SIGNAL_TABLE)} TO '${DBZ_USER}'@'%'`);
  }

  async drop(): Promise<void> {
    await this.pool.query(`DROP DATABASE IF EXISTS ${sqlId(this.database)}`);
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }

  async tables(opts: { includeSignal?: boolean } = {}): Promise<string[]> {
    const rows = await this.query<RowDataPacket[]>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name", [this.database]);
    return rows.map((r) => String(r.t)).filter((t) => opts.includeSignal || t !== SIGNAL_TABLE);
  }

  async columns(table: string): Promise<SourceColumn[]> {
    const rows = await this.query<RowDataPacket[]>(
      `SELECT column_name AS name, data_type AS dt, column_type AS ct, is_nullable AS n, ordinal_position AS pos,
              datetime_precision AS dp, numeric_scale AS sc, column_default AS def
         FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position`, [this.database, table]);
    if (!rows.length) throw new Error(`table ${this.database}.${table} not found`);
    return rows.map((r) => ({
      name: String(r.name), dataType: String(r.dt).toLowerCase(), columnType: String(r.ct).toLowerCase(), nullable: r.n === 'YES',
      position: Number(r.pos), precision: r.dp === null ? null : Number(r.dp), scale: r.sc === null ? null : Number(r.sc),
      defaultValue: r.def === null ? null : String(r.def),
    }));
  }

  async primaryKey(table: string): Promise<string[]> {
    const rows = await this.query<RowDataPacket[]>(
      `SELECT column_name AS c FROM information_schema.key_column_usage
        WHERE table_schema = ? AND table_name = ? AND constraint_name = 'PRIMARY' ORDER BY ordinal_position`, [this.database, table]);
    return rows.map((r) => String(r.c));
  }

  /** Rows in canonical form, ordered by primary key. `where` is an optional SQL condition. */
  async readRows(table: string, opts: { where?: string } = {}): Promise<Row[]> {
    const cols = await this.columns(table);
    const pk = await this.primaryKey(table);
    const order = (pk.length ? pk : cols.map((c) => c.name)).map(sqlId).join(', ');
    const raw = await this.query<RowDataPacket[]>(
      `SELECT ${cols.map((c, i) => `${sourceSelect(c)} AS \`_tm_${i}\``).join(', ')} FROM ${this.qt(table)}${opts.where ? ` WHERE ${opts.where}` : ''} ORDER BY ${order}`);
    return raw.map((r) => {
      const row: Row = {};
      cols.forEach((c, i) => { row[c.name] = canonicalSelected(c, r[`_tm_${i}`]); });
      return row;
    });
  }

  async count(table: string): Promise<number> {
    const rows = await this.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${this.qt(table)}`);
    return Number(rows[0]?.n ?? 0);
  }

  async checksum(table: string): Promise<ChecksumResult> {
    const pk = await this.primaryKey(table);
    const rows = await this.readRows(table);
    return { table, ...checksumRows(rows, pk.length ? pk : Object.keys(rows[0] ?? {})) };
  }

  /** Checksums of every table except the signal table. */
  async checksumAll(): Promise<Record<string, ChecksumResult>> {
    const out: Record<string, ChecksumResult> = {};
    for (const t of await this.tables()) out[t] = await this.checksum(t);
    return out;
  }

  async seed(opts: SeedOptions): Promise<Record<string, number>> {
    const existing: Record<string, number> = {};
    for (const t of await this.tables()) {
      const spec = CRM_TABLES.find((x) => x.name === t);
      if (!spec) continue;
      const rows = await this.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${this.qt(t)}`);
      existing[t] = Number(rows[0]?.n ?? 0);
    }
    return seedDatabase(this.pool, this.database, { existing, ...opts });
  }

  async workload(opts: WorkloadOptions = {}): Promise<WorkloadResult> {
    return runWorkload(this.pool, this.database, opts);
  }

  // ---------- DDL helpers ----------

  /** CREATE TABLE with a serial PK and a few typed columns; inserts `rows` rows (default 3). */
  async addTable(name: string, opts: { rows?: number } = {}): Promise<void> {
    await this.pool.query(`CREATE TABLE ${this.qt(name)} (
      id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      label VARCHAR(100) NOT NULL DEFAULT '',
      amount DECIMAL(18,2) NULL,
      created DATETIME(6) NOT NULL,
      flag BIT(1) NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    const n = opts.rows ?? 3;
    if (n > 0) {
      const values = Array.from({ length: n }, (_, i) => `(${sqlStr(`row ${i + 1}`)}, ${(i * 10.5).toFixed(2)}, '2024-0${1 + (i % 9)}-15 12:00:00.${String(i).padStart(6, '0')}', b'${i % 2}')`);
      await this.pool.query(`INSERT INTO ${this.qt(name)} (label, amount, created, flag) VALUES ${values.join(', ')}`);
    }
  }

  /** ALTER TABLE … ADD COLUMN (type includes NULL/DEFAULT clauses, e.g. `VARCHAR(50) NULL DEFAULT 'x'`). */
  async addColumn(table: string, column: string, type = 'VARCHAR(100) NULL'): Promise<void> {
    await this.pool.query(`ALTER TABLE ${this.qt(table)} ADD COLUMN ${sqlId(column)} ${type}`);
  }

  async dropColumn(table: string, column: string): Promise<void> {
    await this.pool.query(`ALTER TABLE ${this.qt(table)} DROP COLUMN ${sqlId(column)}`);
  }

  /**
   * A change a replica cannot apply in place: `modify` (default) turns a non-key integer column into
   * VARCHAR(64) keeping the data; `recreate` drops the table and creates it again with that column as
   * VARCHAR(64), re-inserting the old rows (values converted to text).
   */
  async incompatibleChange(table: string, opts: { column?: string; mode?: 'modify' | 'recreate' } = {}): Promise<{ table: string; column: string; from: string; to: string; mode: string }> {
    const cols = await this.columns(table);
    const pk = await this.primaryKey(table);
    const col = opts.column ? cols.find((c) => c.name === opts.column) : cols.find((c) => !pk.includes(c.name) && INT_TYPES.has(c.dataType));
    if (!col) throw new Error(`no suitable column for an incompatible change in ${table}`);
    const to = 'VARCHAR(64) NULL';
    const mode = opts.mode ?? 'modify';
    if (mode === 'modify') {
      await this.pool.query(`ALTER TABLE ${this.qt(table)} MODIFY COLUMN ${sqlId(col.name)} ${to}`);
    } else {
      const [created] = await this.pool.query<RowDataPacket[]>(`SHOW CREATE TABLE ${this.qt(table)}`);
      const ddl = String(created[0]?.['Create Table']);
      const tmp = `${table}__old`;
      await this.pool.query(`RENAME TABLE ${this.qt(table)} TO ${this.qt(tmp)}`);
      await this.pool.query(`USE ${sqlId(this.database)}; ${ddl}`);
      await this.pool.query(`ALTER TABLE ${this.qt(table)} MODIFY COLUMN ${sqlId(col.name)} ${to}`);
      await this.pool.query(`INSERT INTO ${this.qt(table)} SELECT * FROM ${this.qt(tmp)}`);
      await this.pool.query(`DROP TABLE ${this.qt(tmp)}`);
    }
    return { table, column: col.name, from: col.columnType, to, mode };
  }

  async dropTable(table: string): Promise<void> {
    await this.pool.query(`DROP TABLE IF EXISTS ${this.qt(table)}`);
  }

  async renameTable(from: string, to: string): Promise<void> {
    await this.pool.query(`RENAME TABLE ${this.qt(from)} TO ${this.qt(to)}`);
  }

  /** ALTER TABLE … MODIFY COLUMN (e.g. to revert an incompatibleChange: `INT NULL`). */
  async modifyColumn(table: string, column: string, type: string): Promise<void> {
    await this.pool.query(`ALTER TABLE ${this.qt(table)} MODIFY COLUMN ${sqlId(column)} ${type}`);
  }

  // ---------- faults ----------

  /**
   * Kills the connector's next table-scan query on `table` (an incremental snapshot chunk SELECT).
   * Chunk queries take milliseconds, so they are made catchable: a second session holds
   * `LOCK TABLES … WRITE` (the chunk SELECT then waits for the metadata lock), the waiting query of the
   * connector's user is found in information_schema.processlist and `KILL QUERY`-ed, then the lock is
   * released. The connector sees "Query execution was interrupted" (SQLTimeoutException). The lock is
   * held at most `timeoutMs` (keep it under the server's lock_wait_timeout, or the SELECT times out by itself).
   */
  async killScanQuery(table: string, opts: { timeoutMs?: number } = {}): Promise<{ id: number; info: string }> {
    const conn = await this.pool.getConnection();
    let killed: { id: number; info: string } | null = null;
    try {
      await conn.query(`LOCK TABLES ${this.qt(table)} WRITE`);
      const deadline = Date.now() + (opts.timeoutMs ?? 8000);
      const needle = `${sqlId(this.database)}.${sqlId(table)}`;
      while (!killed && Date.now() < deadline) {
        const [rows] = await this.pool.query<RowDataPacket[]>(
          `SELECT id, info FROM information_schema.processlist WHERE user = ? AND command = 'Query' AND info LIKE ?`,
          [this.info.dbzUser, `%SELECT%FROM%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`]);
        const hit = rows[0];
        if (hit) {
          killed = { id: Number(hit.id), info: String(hit.info) };
          await this.pool.query(`KILL QUERY ${killed.id}`);
        } else {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    } finally {
      await conn.query('UNLOCK TABLES').catch(() => undefined);
      conn.release();
    }
    if (!killed) throw new Error(`no scan query of the connector on ${this.database}.${table} within ${opts.timeoutMs ?? 8000} ms`);
    return killed;
  }

  // ---------- backup / restore ----------

  private cliArgs(): string[] {
    return ['--no-defaults', `--socket=${this.info.socket}`, '-u', this.info.user, `-p${this.info.password}`];
  }

  /** mariadb-dump of the tenant database (all tables except the signal table). */
  async backup(dir?: string): Promise<Backup> {
    const d = dir ?? makeTempDir('mirror-backup');
    mkdirSync(d, { recursive: true });
    const file = join(d, `${this.database}-${Date.now()}.sql`);
    const tables = await this.tables();
    await run('mariadb-dump', [...this.cliArgs(), '--single-transaction', '--hex-blob', '--skip-triggers', '--skip-comments',
      '--skip-add-locks', '--skip-disable-keys', '--tz-utc', `--ignore-table=${this.database}.${SIGNAL_TABLE}`,
      `--result-file=${file}`, this.database]);
    return { database: this.database, file, tables, takenAt: new Date() };
  }

  /**
   * Restores a backup into this database: tables of the backup are dropped and re-created with the old
   * rows (binlog: DROP/CREATE + inserts); with dropNewTables (default true) tables created after the
   * backup are dropped too. The signal table is left alone.
   */
  async restore(b: Backup, opts: { dropNewTables?: boolean } = {}): Promise<void> {
    if (opts.dropNewTables ?? true) {
      for (const t of await this.tables()) if (!b.tables.includes(t)) await this.dropTable(t);
    }
    const sql = await readFile(b.file, 'utf8');
    await run('mariadb', [...this.cliArgs(), this.database], { input: sql });
  }
}
