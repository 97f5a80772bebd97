/** The replica in use, in a few words: the SQLite file, or host:port/database. Pure. */
import type { PublicSettings } from '../../../preload/contract/settings-public.ts';

export function replicaLabel(r: PublicSettings['replica']): string {
  switch (r.kind) {
    case 'sqlite': return `SQLite ${r.file}`;
    case 'postgres': return `PostgreSQL ${r.host ?? '127.0.0.1'}:${r.port ?? 5432}/${r.database}`;
    case 'sqlserver': return `SQL Server ${r.server}:${r.port ?? 1433}/${r.database}`;
  }
}
