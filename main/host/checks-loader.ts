/**
 * Loads the connection probes from `main/engine/checks.ts` (the lead's module). A missing probe
 * becomes a coded error, not a crash.
 */
import type { Checks } from '../ipc/handlers.ts';
import { MirrorError } from '../engine/errors.ts';

export async function loadChecks(): Promise<Checks> {
  let mod: Partial<Record<keyof Checks, (...args: never[]) => unknown>> = {};
  try {
    // @ts-ignore -- a literal specifier so bundlers include it; ignored while checks.ts is not yet in the tree
    mod = (await import('../engine/checks.ts')) as typeof mod;
  } catch {
    mod = {};
  }
  const missing = (name: string) => async (): Promise<never> => {
    throw new MirrorError('INTERNAL', `${name} is not available in this build`);
  };
  return {
    testKafka: (mod.testKafka as Checks['testKafka'] | undefined) ?? missing('the Kafka connection test'),
    testReplica: (mod.testReplica as Checks['testReplica'] | undefined) ?? missing('the replica connection test'),
    listTables: (mod.listTables as Checks['listTables'] | undefined) ?? missing('the table list'),
  };
}
