/**
 * Sanity check after a throughput run: every mirrored table holds as many rows as the source table
 * (the figures mean nothing if a consumer dropped or failed rows).
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Tenant } from '../harness/tenant.ts';

export type Counts = Map<string, number>;

export async function sourceCounts(tenant: Tenant): Promise<Counts> {
  const out: Counts = new Map();
  for (const t of await tenant.source.tables()) out.set(t, await tenant.source.count(t));
  return out;
}

export function sqliteCounts(file: string): Counts {
  const db = new Database(file, { readonly: true, timeout: 10_000 });
  try {
    const out: Counts = new Map();
    const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_Replication%' ESCAPE '\\'`).all() as Array<{ name: string }>;
    for (const { name } of names) out.set(name, (db.prepare(`SELECT count(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number }).n);
    return out;
  } finally {
    db.close();
  }
}

export async function postgresCounts(config: pg.ClientConfig, schema: string): Promise<Counts> {
  const c = new pg.Client(config);
  await c.connect();
  try {
    const out: Counts = new Map();
    const r = await c.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_Replication%'`, [schema]);
    for (const { t } of r.rows) {
      const n = await c.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${t.replace(/"/g, '""')}"`);
      out.set(t, Number(n.rows[0]!.n));
    }
    return out;
  } finally {
    await c.end();
  }
}

/** '' when equal, else a short list of differences. */
export function compareCounts(source: Counts, replica: Counts): string {
  const diffs: string[] = [];
  for (const [t, n] of source) {
    const r = replica.get(t) ?? replica.get(t.toLowerCase()) ?? 0;
    if (r !== n) diffs.push(`${t}: ${r}/${n}`);
  }
  return diffs.join(', ');
}
