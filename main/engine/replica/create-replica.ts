/** Settings → a live Replica of the configured kind. Drivers load only when their kind is used. */
import type { Settings } from '../../../preload/contract/settings.ts';
import { resolveSecret } from '../config/secrets.ts';
import type { Logger } from '../log.ts';
import type { Replica } from './replica.ts';

/** The engine's own connection (`log` given) gets what only a long-running writer needs: SQLite's checkpoint thread. */
export async function createReplica(settings: Pick<Settings, 'replica' | 'tablePrefix'>, engine?: { log: Logger }): Promise<Replica> {
  const r = settings.replica;
  const tablePrefix = settings.tablePrefix;
  switch (r.kind) {
    case 'sqlite': {
      const { createSqliteReplica } = await import('./sqlite/index.ts');
      return createSqliteReplica({ file: r.file, tablePrefix, ...(engine ? { checkpointThread: process.env.TM_CKPT !== 'off', log: engine.log } : {}) });
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
