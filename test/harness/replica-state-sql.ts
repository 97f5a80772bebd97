/**
 * Reads `_ReplicationState` rows of a replica with plain SQL (its own connection, none of the engine's
 * code): what a process left behind, e.g. a table's state at the moment its writer was killed.
 */
import Database from 'better-sqlite3';
import pg from 'pg';

export type PlainReplica =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; host: string; port: number; database: string; user: string; password?: string | undefined }
  | { kind: string };

/** The `Value` JSON of row `id` (e.g. `table:crm_x.contact`), parsed; null when the row is absent. */
export async function readStateRowSql(replica: PlainReplica, id: string): Promise<Record<string, unknown> | null> {
  if (replica.kind === 'sqlite') {
    const db = new Database((replica as { file: string }).file, { readonly: true, fileMustExist: true, timeout: 5000 });
    try {
      const row = db.prepare('SELECT "Value" AS v FROM "_ReplicationState" WHERE "Id" = ?').get(id) as { v: string } | undefined;
      return row ? JSON.parse(row.v) as Record<string, unknown> : null;
    } finally { db.close(); }
  }
  if (replica.kind === 'postgres') {
    const r = replica as { host: string; port: number; database: string; user: string; password?: string };
    const client = new pg.Client({ host: r.host, port: r.port, database: r.database, user: r.user, ...(r.password ? { password: r.password } : {}) });
    await client.connect();
    try {
      const res = await client.query<{ v: string }>('SELECT "Value" AS v FROM public."_ReplicationState" WHERE "Id" = $1', [id]);
      return res.rows[0] ? JSON.parse(res.rows[0].v) as Record<string, unknown> : null;
    } finally { await client.end(); }
  }
  throw new Error(`readStateRowSql: replica kind ${replica.kind} not supported`);
}

/** `state` of the table row `table:<tableId>` (null when absent). */
export async function tableStateSql(replica: PlainReplica, tableId: string): Promise<string | null> {
  const v = await readStateRowSql(replica, `table:${tableId}`);
  return v ? String(v.state) : null;
}
