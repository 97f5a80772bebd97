/**
 * The replica in use, in a few words: the SQLite file, or host:port/database. Pure; shown by the renderer
 * and in the engine's messages (replica-file.ts notProvisioned).
 */

/** Where a replica is: what settings and public settings (secrets hidden) have alike. */
export type ReplicaPlace =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; host?: string; port?: number; database: string }
  | { kind: 'sqlserver'; server: string; port?: number; database: string };

export function replicaLabel(r: ReplicaPlace): string {
  switch (r.kind) {
    case 'sqlite': return `SQLite ${r.file}`;
    case 'postgres': return `PostgreSQL ${r.host ?? '127.0.0.1'}:${r.port ?? 5432}/${r.database}`;
    case 'sqlserver': return `SQL Server ${r.server}:${r.port ?? 1433}/${r.database}`;
  }
}
