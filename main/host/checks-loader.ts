/**
 * The connection probes (`main/engine/checks.ts`), loaded lazily so the desktop shell does not pull
 * kafkajs and the database drivers into its startup path until the wizard first asks.
 */
import type { Checks } from '../ipc/handlers.ts';

export async function loadChecks(): Promise<Checks> {
  let mod: typeof import('../engine/checks.ts') | null = null;
  const get = async () => (mod ??= await import('../engine/checks.ts'));
  return {
    testKafka: async (tenant) => (await get()).testKafka(tenant),
    testReplica: async (replica, prefix) => (await get()).testReplica(replica, prefix),
    listTables: async (tenant) => (await get()).listTables(tenant),
  };
}
