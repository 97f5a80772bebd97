/** Settings → a live Replica of the configured kind. Drivers load only when their kind is used. */
import type { Settings } from '../../../preload/contract/settings.ts';
import { resolveSecret } from '../config/secrets.ts';
import type { Replica } from './replica.ts';

/** What the engine's own replica gets that a short-lived one (a CLI command, a check) does not. */
export interface EngineReplicaOptions { warn(message: string, detail: Record<string, unknown>): void }

export async function createReplica(settings: Pick<Settings, 'replica' | 'tablePrefix'>, engine?: EngineReplicaOptions): Promise<Replica> {
  const r = settings.replica;
  const tablePrefix = settings.tablePrefix;
  switch (r.kind) {
    case 'sqlite': {
      const { createSqliteReplica } = await import('./sqlite/index.ts');
      // The engine's: WAL checkpoints on a thread of their own (sqlite/checkpoint-thread.ts).
      return createSqliteReplica({ file: r.file, tablePrefix, ...(engine ? { checkpointThread: true, onWarning: engine.warn } : {}) });
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
