/**
 * Commit times read from PostgreSQL itself, identical for every consumer writing into it (the engine
 * and the JDBC sink): the bench's replica server runs with `track_commit_timestamp = on`, so
 * `pg_xact_commit_timestamp(xmin)` of a row is the commit time of the transaction that wrote its
 * current version. A phase ends at the newest such time over the data tables (`_Replication*` excluded,
 * the sink has none). A transaction that only deleted rows leaves no row behind: both consumers' last
 * transactions of a phase also upsert rows, so this misses at most a trailing delete-only commit.
 */
import pg from 'pg';

export async function enableCommitTimestamps(admin: pg.ClientConfig, restart: () => Promise<void>): Promise<void> {
  const c = new pg.Client(admin);
  await c.connect();
  try { await c.query('ALTER SYSTEM SET track_commit_timestamp = on'); } finally { await c.end(); }
  await restart();
  const d = new pg.Client(admin);
  await d.connect();
  try {
    const r = await d.query<{ v: string }>("SELECT current_setting('track_commit_timestamp') AS v");
    if (r.rows[0]?.v !== 'on') throw new Error(`track_commit_timestamp is ${r.rows[0]?.v}`);
  } finally { await d.end(); }
}

export async function dataTables(c: pg.Client, schema: string): Promise<string[]> {
  const r = await c.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_Replication%'`, [schema]);
  return r.rows.map((x) => x.t);
}

const qi = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** Newest commit time (ms since the epoch) of any row version in the schema's data tables; null when empty. */
export async function lastCommitMs(config: pg.ClientConfig, schema: string): Promise<number | null> {
  const c = new pg.Client(config);
  await c.connect();
  try {
    let max: number | null = null;
    for (const t of await dataTables(c, schema)) {
      const r = await c.query<{ ms: string | null }>(`SELECT (extract(epoch from max(pg_xact_commit_timestamp(xmin))) * 1000)::float8::text AS ms FROM ${qi(schema)}.${qi(t)}`);
      const v = r.rows[0]?.ms;
      if (v !== null && v !== undefined) max = Math.max(max ?? 0, Number(v));
    }
    return max;
  } finally {
    await c.end();
  }
}

/** CHECKPOINT and VACUUM ANALYZE of one database (between runs, so no run inherits another's dirty pages). */
export async function settle(config: pg.ClientConfig): Promise<void> {
  const c = new pg.Client(config);
  await c.connect();
  try {
    await c.query('VACUUM ANALYZE');
    await c.query('CHECKPOINT');
  } finally {
    await c.end();
  }
}
