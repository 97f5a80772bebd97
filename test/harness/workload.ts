/**
 * Workload generator: single-row INSERT / UPDATE / DELETE statements (autocommit) across the CRM
 * tables at a chosen rate, for a number of operations or a duration. Returns counts per table and op,
 * and optionally every touched key (for tests that follow individual rows through Kafka).
 *
 * Inserts use AUTO_INCREMENT ids and sometimes omit columns that have a DEFAULT (server fills it);
 * updates change 1–3 random non-key columns (sometimes to NULL); projectmember (composite PK) inserts
 * use INSERT IGNORE on random pairs.
 */
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { CRM_TABLES, Rng, sqlId, type TableSpec, type GenCtx } from './crm-schema.ts';
import { sleep } from './util.ts';

export interface WorkloadOptions {
  /** Stop after this many operations. */
  ops?: number;
  /** Stop after this many ms (default 5000 when ops is not given). */
  durationMs?: number;
  /** Target operations per second (default: as fast as possible). */
  ratePerSec?: number;
  /** Relative weights of the operation kinds; omitted kinds are 0 (default insert 0.5, update 0.35, delete 0.15). */
  mix?: { insert?: number; update?: number; delete?: number };
  /** Tables to touch (default all CRM tables present in the database). */
  tables?: string[];
  seed?: number;
  /** Parallel connections (default 1). */
  concurrency?: number;
  /** Record each touched key in the result (default false). */
  track?: boolean;
  /**
   * An operation that changed no row (an update to the values the row had, no row at or after the
   * probed id, a pair already there) is tried again in its slot, up to four times (five tries in all):
   * the rate is then of row changes, the events the source emits, not of statements (default false).
   */
  retryNoChange?: boolean;
}

export type Op = 'c' | 'u' | 'd';

export interface TouchedRow {
  table: string;
  op: Op;
  /** PK column → value (numbers). */
  key: Record<string, number>;
}

export interface WorkloadResult {
  inserts: number;
  updates: number;
  deletes: number;
  total: number;
  byTable: Record<string, { c: number; u: number; d: number }>;
  elapsedMs: number;
  touched: TouchedRow[];
}

export async function runWorkload(pool: Pool, database: string, opts: WorkloadOptions = {}): Promise<WorkloadResult> {
  const [present] = await pool.query<RowDataPacket[]>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ?', [database]);
  const presentSet = new Set(present.map((r) => String(r.t)));
  const tables = CRM_TABLES.filter((t) => presentSet.has(t.name) && (!opts.tables || opts.tables.includes(t.name)));
  if (!tables.length) throw new Error(`no CRM tables to work on in ${database}`);
  const maxId: Record<string, number> = {};
  for (const t of tables) {
    const [rows] = await pool.query<RowDataPacket[]>(`SELECT COALESCE(MAX(${sqlId(t.primaryKey[0] as string)}), 0) AS m FROM ${sqlId(database)}.${sqlId(t.name)}`);
    maxId[t.name] = Number(rows[0]?.m ?? 0);
  }
  const counts: Record<string, number> = { ...maxId };
  for (const t of CRM_TABLES) counts[t.name] ??= 1;

  // Given a mix, kinds it leaves out are 0; without one: insert 0.5, update 0.35, delete 0.15.
  const mix = opts.mix
    ? { insert: opts.mix.insert ?? 0, update: opts.mix.update ?? 0, delete: opts.mix.delete ?? 0 }
    : { insert: 0.5, update: 0.35, delete: 0.15 };
  const mixSum = mix.insert + mix.update + mix.delete;
  const wSum = tables.reduce((s, t) => s + t.weight, 0);
  const rng = new Rng(opts.seed ?? 7);
  const pickTable = (): TableSpec => {
    let x = rng.float() * wSum;
    for (const t of tables) { x -= t.weight; if (x <= 0) return t; }
    return tables[tables.length - 1] as TableSpec;
  };

  const result: WorkloadResult = { inserts: 0, updates: 0, deletes: 0, total: 0, byTable: {}, elapsedMs: 0, touched: [] };
  const record = (table: string, op: Op, key: Record<string, number>): void => {
    const b = (result.byTable[table] ??= { c: 0, u: 0, d: 0 });
    b[op]++;
    if (op === 'c') result.inserts++; else if (op === 'u') result.updates++; else result.deletes++;
    result.total++;
    if (opts.track) result.touched.push({ table, op, key });
  };

  const durationMs = opts.ops === undefined ? (opts.durationMs ?? 5000) : opts.durationMs;
  const start = Date.now();
  let issued = 0;
  const q = `${sqlId(database)}.`;

  const oneOp = async (conn: Pool): Promise<boolean> => {
    const t = pickTable();
    const x = rng.float() * mixSum;
    const kind: Op = x < mix.insert ? 'c' : x < mix.insert + mix.update ? 'u' : 'd';
    const ctx: GenCtx = { id: 0, counts };
    const pk = t.primaryKey;
    if (kind === 'c' || (maxId[t.name] ?? 0) === 0) {
      if (pk.length > 1) {
        const project = rng.int(1, Math.max(1, counts.project ?? 1));
        const person = rng.int(1, Math.max(1, (counts.person ?? 1) * 2));
        const cols = t.columns.filter((c) => !pk.includes(c.name));
        const sql = `INSERT IGNORE INTO ${q}${sqlId(t.name)} (${pk.map(sqlId).join(', ')}, ${cols.map((c) => sqlId(c.name)).join(', ')}) VALUES (${project}, ${person}, ${cols.map((c) => c.gen(rng, ctx)).join(', ')})`;
        const [res] = await conn.query<ResultSetHeader>(sql);
        if (res.affectedRows !== 1) return false;
        record(t.name, 'c', { project_id: project, person_id: person });
        return true;
      }
      const cols = t.columns.filter((c) => c.name !== t.autoIncrement && !(c.hasDefault && rng.chance(0.2)));
      ctx.id = (maxId[t.name] ?? 0) + 1;
      const sql = `INSERT INTO ${q}${sqlId(t.name)} (${cols.map((c) => sqlId(c.name)).join(', ')}) VALUES (${cols.map((c) => c.gen(rng, ctx)).join(', ')})`;
      const [res] = await conn.query<ResultSetHeader>(sql);
      maxId[t.name] = Math.max(maxId[t.name] ?? 0, res.insertId);
      counts[t.name] = Math.max(counts[t.name] ?? 0, res.insertId);
      record(t.name, 'c', { [pk[0] as string]: res.insertId });
      return true;
    }
    // update/delete: the first existing row at or after a random id
    const probe = rng.int(1, Math.max(1, maxId[t.name] ?? 1));
    const first = `${sqlId(pk[0] as string)} >= ${probe} ORDER BY ${pk.map(sqlId).join(', ')} LIMIT 1`;
    let key: Record<string, number> | null = null;
    if (opts.track) {
      // The key is wanted: read it first, then change that row.
      const [rows] = await conn.query<RowDataPacket[]>(`SELECT ${pk.map(sqlId).join(', ')} FROM ${q}${sqlId(t.name)} WHERE ${first}`);
      const row = rows[0];
      if (!row) return false;
      key = {};
      for (const k of pk) key[k] = Number(row[k]);
    }
    // Untracked, one statement finds and changes the row (UPDATE / DELETE … ORDER BY … LIMIT 1: the same
    // row the SELECT would find; the binlog is in ROW format, so the statement is safe to log).
    const where = key ? pk.map((k) => `${sqlId(k)} = ${key[k]}`).join(' AND ') : first;
    if (kind === 'u') {
      const candidates = t.columns.filter((c) => !c.immutable);
      const n = Math.min(candidates.length, rng.int(1, 3));
      const chosen = new Set<number>();
      while (chosen.size < n) chosen.add(rng.int(0, candidates.length - 1));
      ctx.id = key?.[pk[0] as string] ?? probe; // values derived from the id (an e-mail) take the probe when the key is not read
      const sets = [...chosen].map((i) => {
        const c = candidates[i]!;
        return `${sqlId(c.name)} = ${c.gen(rng, ctx)}`;
      });
      const [res] = await conn.query<ResultSetHeader>(`UPDATE ${q}${sqlId(t.name)} SET ${sets.join(', ')} WHERE ${where}`);
      // affectedRows = changed rows (the pool turns CLIENT_FOUND_ROWS off): no change → no binlog event
      if (res.affectedRows !== 1) return false;
      record(t.name, 'u', key ?? {});
      return true;
    }
    const [res] = await conn.query<ResultSetHeader>(`DELETE FROM ${q}${sqlId(t.name)} WHERE ${where}`);
    if (res.affectedRows !== 1) return false;
    record(t.name, 'd', key ?? {});
    return true;
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (opts.ops !== undefined && issued >= opts.ops) return;
      if (durationMs !== undefined && Date.now() - start >= durationMs) return;
      const i = issued++;
      if (opts.ratePerSec) {
        const due = start + (i * 1000) / opts.ratePerSec;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
      }
      for (let tries = opts.retryNoChange ? 5 : 1; tries > 0 && !(await oneOp(pool)); tries--);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, () => worker()));
  result.elapsedMs = Date.now() - start;
  return result;
}
