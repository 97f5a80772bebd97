/** Settings → a live Replica of the configured kind. Drivers load only when their kind is used. */
import type { Settings } from '../../../preload/contract/settings.ts';
import { resolveSecret } from '../config/secrets.ts';
import type { Replica } from './replica.ts';

export async function createReplica(settings: Pick<Settings, 'replica' | 'tablePrefix'>): Promise<Replica> {
  const r = settings.replica;
  const tablePrefix = settings.tablePrefix;
  switch (r.kind) {
    case 'sqlite': {
      const { createSqliteReplica } = await import('./sqlite/index.ts');
      return createSqliteReplica({ file: r.file, tablePrefix });
    }
    case 'postgres': {
      const { createPostgresReplica } = await import('./postgres/index.ts');
      const password = resolveSecret(r.password, 'replica.password');
      return createPostgresReplica({ host: r.host, port: r.port, database: r.database, user: r.user, ...(password === undefined ? {} : { password }), ssl: r.ssl, tablePrefix });
    }
    case 'sqlserver': {
      const { createSqlServerReplica } = await import('./sqlserver/index.ts');
      const password = resolveSecret(r.password, 'replica.password');
      return createSqlServerReplica({
        server: r.server, port: r.port, database: r.database, encrypt: r.encrypt, trustServerCertificate: r.trustServerCertificate, tablePrefix,
        ...(r.user === undefined ? {} : { user: r.user }), ...(password === undefined ? {} : { password }), ...(r.domain === undefined ? {} : { domain: r.domain }),
      });
    }
  }
}
