/**
 * Deterministic bulk seeding of a tenant's CRM database with multi-row INSERTs.
 * `seedRows` is the total over all CRM tables, split by each table's weight (every table gets ≥ 1 row).
 * Values depend only on (seed, table, row id), so two databases seeded alike are identical.
 */
import type { Pool } from 'mysql2/promise';
import { CRM_TABLES, Rng, seedOf, sqlId, type TableSpec, type GenCtx } from './crm-schema.ts';

export interface SeedOptions {
  /** Total rows across tables (split by weight) or explicit per-table counts. */
  rows: number | Record<string, number>;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Write the seed to the binlog (default true). Set false before a connector exists: faster, and the snapshot reads the tables anyway. */
  binlog?: boolean;
  /** Rows per INSERT statement (default 1000). */
  batch?: number;
  /** Tables to seed (default all CRM tables). */
  tables?: string[];
  /** Existing row counts (ids continue after them). */
  existing?: Record<string, number>;
}

export function splitRows(total: number, tables: TableSpec[] = CRM_TABLES): Record<string, number> {
  const w = tables.reduce((s, t) => s + t.weight, 0);
  const out: Record<string, number> = {};
  for (const t of tables) out[t.name] = Math.max(1, Math.round((total * t.weight) / w));
  return out;
}

/** Builds `INSERT INTO t (cols) VALUES (...),(...)` for rows [fromId, toId] (ids 1-based). */
export function insertSql(t: TableSpec, fromId: number, toId: number, counts: Record<string, number>, seed: number, ignore = false): string {
  const cols = t.columns.map((c) => sqlId(c.name)).join(', ');
  const rows: string[] = [];
  const ctx: GenCtx = { id: 0, counts };
  const composite = t.primaryKey.length > 1;
  for (let id = fromId; id <= toId; id++) {
    const r = new Rng(seed ^ seedOf(t.name) ^ Math.imul(id, 2654435761));
    ctx.id = composite ? id - 1 : id;
    rows.push(`(${t.columns.map((c) => c.gen(r, ctx)).join(',')})`);
  }
  return `INSERT ${ignore ? 'IGNORE ' : ''}INTO ${sqlId(t.name)} (${cols}) VALUES\n${rows.join(',\n')}`;
}

/** Seeds the tables; returns rows inserted per table. */
export async function seedDatabase(pool: Pool, database: string, opts: SeedOptions): Promise<Record<string, number>> {
  const tables = CRM_TABLES.filter((t) => !opts.tables || opts.tables.includes(t.name));
  const counts = typeof opts.rows === 'number' ? splitRows(opts.rows, tables) : { ...opts.rows };
  const existing = opts.existing ?? {};
  const batch = opts.batch ?? 1000;
  const seed = opts.seed ?? 1;
  // Reference ranges: the final sizes, so references point at rows that exist once seeding is done.
  const refCounts: Record<string, number> = {};
  for (const t of CRM_TABLES) refCounts[t.name] = (existing[t.name] ?? 0) + (counts[t.name] ?? 0);
  const inserted: Record<string, number> = {};
  const conn = await pool.getConnection();
  try {
    await conn.query(`USE ${sqlId(database)}`);
    if (opts.binlog === false) await conn.query('SET SESSION sql_log_bin = 0');
    await conn.query('SET SESSION unique_checks = 0, foreign_key_checks = 0');
    for (const t of tables) {
      const n = counts[t.name] ?? 0;
      const start = (existing[t.name] ?? 0) + 1;
      const end = start + n - 1;
      let done = 0;
      for (let from = start; from <= end; from += batch) {
        const to = Math.min(end, from + batch - 1);
        await conn.query('START TRANSACTION');
        const [res] = await conn.query(insertSql(t, from, to, refCounts, seed, t.primaryKey.length > 1));
        await conn.query('COMMIT');
        done += (res as { affectedRows: number }).affectedRows;
      }
      inserted[t.name] = done;
    }
  } finally {
    if (opts.binlog === false) await conn.query('SET SESSION sql_log_bin = 1').catch(() => {});
    await conn.query('SET SESSION unique_checks = 1, foreign_key_checks = 1').catch(() => {});
    conn.release();
  }
  return inserted;
}
