/**
 * Changes one stored value of a replica with plain SQL (its own connection, none of the engine's code),
 * the smallest change its type allows, and gives back an undo. Proves the comparison with the source
 * (replica-compare.ts) is not blind to one digit, one microsecond, one byte, one unit of a 64-bit
 * integer or one float32 ulp.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { destinationOf, type ReplicaLocation } from '../../harness/replica-reader.ts';

export type Corruption = 'decimal-digit' | 'microsecond' | 'byte' | 'int64-unit' | 'float32-ulp';

export interface Corrupted {
  /** Primary-key value of the changed row. */
  key: string;
  before: string;
  after: string;
  undo(): Promise<void>;
}

const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** The next float32 above `x` (x finite). */
export function nextFloat32Up(x: number): number {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  if (f[0] === 0) { i[0] = 1; return f[0]!; }
  i[0] = i[0]! + (f[0]! > 0 ? 1 : -1);
  return f[0]!;
}

/** Changes the last digit of `text` (the one before a trailing 'Z', if any): 0→1 … 8→9, 9→8. */
export function bumpLastDigit(text: string): string {
  const m = /(\d)(Z?)$/.exec(text);
  if (!m) throw new Error(`no trailing digit in ${text}`);
  const d = Number(m[1]);
  return text.slice(0, m.index) + String(d === 9 ? 8 : d + 1) + m[2];
}

/**
 * Corrupts `column` of the first row (by the single-column primary key `pk`) whose value is not NULL
 * (int64-unit: the row with the largest value, so it is beyond 2^53 whenever the table has such a value).
 */
export async function corruptOneValue(where: ReplicaLocation, sourceSchema: string, table: string, pk: string, column: string, how: Corruption): Promise<Corrupted> {
  const r = where.replica;
  if (r.kind === 'sqlite') {
    const dest = destinationOf('sqlite', where.tablePrefix ?? '', sourceSchema, table).table;
    const db = new Database((r as { file: string }).file, { timeout: 10_000 });
    db.defaultSafeIntegers(true);
    try {
      const order = how === 'int64-unit' ? `${q(column)} DESC` : q(pk);
      const row = db.prepare(`SELECT ${q(pk)} AS k, ${q(column)} AS v FROM ${q(dest)} WHERE ${q(column)} IS NOT NULL ORDER BY ${order} LIMIT 1`).get() as { k: unknown; v: unknown } | undefined;
      if (!row) throw new Error(`${dest}.${column}: no non-NULL value to corrupt`);
      const old = row.v;
      let now: unknown;
      switch (how) {
        case 'decimal-digit': case 'microsecond': now = bumpLastDigit(String(old)); break;
        case 'byte': { const b = Buffer.from(old as Buffer); b[b.length - 1] = b[b.length - 1]! ^ 1; now = b; break; }
        case 'int64-unit': now = (old as bigint) - 1n; break;
        case 'float32-ulp': now = nextFloat32Up(Number(old)); break;
      }
      const set = db.prepare(`UPDATE ${q(dest)} SET ${q(column)} = ? WHERE ${q(pk)} = ?`);
      set.run(now, row.k);
      const text = (v: unknown): string => (Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : String(v));
      return {
        key: String(row.k), before: text(old), after: text(now),
        async undo() { const d = new Database((r as { file: string }).file, { timeout: 10_000 }); d.defaultSafeIntegers(true); try { d.prepare(`UPDATE ${q(dest)} SET ${q(column)} = ? WHERE ${q(pk)} = ?`).run(old, row.k); } finally { d.close(); } },
      };
    } finally {
      db.close();
    }
  }
  if (r.kind === 'postgres') {
    const p = r as { host: string; port: number; database: string; user: string; password?: string | { env: string } };
    const password = typeof p.password === 'string' ? p.password : p.password ? process.env[p.password.env] : undefined;
    const connect = async (): Promise<pg.Client> => {
      const c = new pg.Client({ host: p.host, port: p.port, database: p.database, user: p.user, ...(password ? { password } : {}), types: { getTypeParser: () => (v: string) => v } });
      await c.connect();
      await c.query('SET extra_float_digits = 3');
      return c;
    };
    const dest = destinationOf('postgres', where.tablePrefix ?? '', sourceSchema, table);
    const t = `${q(dest.schema!)}.${q(dest.table)}`;
    const text = how === 'float32-ulp' ? `${q(column)}::float8::text` : how === 'byte' ? `encode(${q(column)}, 'hex')` : `${q(column)}::text`;
    const order = how === 'int64-unit' ? `${q(column)} DESC` : q(pk);
    const c = await connect();
    try {
      const res = await c.query<{ k: string; v: string }>(`SELECT ${q(pk)}::text AS k, ${text} AS v FROM ${t} WHERE ${q(column)} IS NOT NULL ORDER BY ${order} LIMIT 1`);
      const row = res.rows[0];
      if (!row) throw new Error(`${t}.${column}: no non-NULL value to corrupt`);
      const apply = async (client: pg.Client, expr: string, params: unknown[]): Promise<void> => {
        const u = await client.query(`UPDATE ${t} SET ${q(column)} = ${expr} WHERE ${q(pk)}::text = $1`, [row.k, ...params]);
        if (u.rowCount !== 1) throw new Error(`UPDATE of ${t}.${column} changed ${u.rowCount} rows`);
      };
      let redo: [string, unknown[]];
      let undo: [string, unknown[]];
      switch (how) {
        case 'decimal-digit': redo = ['$2::numeric', [bumpLastDigit(row.v)]]; undo = ['$2::numeric', [row.v]]; break;
        case 'microsecond': redo = [`${q(column)} + interval '1 microsecond'`, []]; undo = [`${q(column)} - interval '1 microsecond'`, []]; break;
        case 'byte': redo = [`set_byte(${q(column)}, length(${q(column)}) - 1, get_byte(${q(column)}, length(${q(column)}) - 1) # 1)`, []]; undo = redo; break;
        case 'int64-unit': redo = [`${q(column)} - 1`, []]; undo = [`${q(column)} + 1`, []]; break;
        case 'float32-ulp': redo = ['$2::real', [String(nextFloat32Up(Number(row.v)))]]; undo = ['$2::real', [row.v]]; break;
      }
      await apply(c, redo[0], redo[1]);
      const after = (await c.query<{ v: string }>(`SELECT ${text} AS v FROM ${t} WHERE ${q(pk)}::text = $1`, [row.k])).rows[0]!.v;
      return {
        key: row.k, before: row.v, after,
        async undo() { const u = await connect(); try { await apply(u, undo[0], undo[1]); } finally { await u.end(); } },
      };
    } finally {
      await c.end();
    }
  }
  throw new Error(`corruptOneValue: replica kind ${r.kind} is not supported`);
}
