/**
 * The short fault subset inside `npm test`, one file per dialect (faults-short-sqlite / -postgres): on a
 * private stack (outages stop its PostgreSQL, its Kafka broker and its Connect worker, which a shared
 * stack must not see), under a counted workload, every fault ending with every table compared with the
 * source:
 * - kill -9 aimed at observed progress: 3 during the initial snapshot, 3 while streaming, 2 while a source
 *   ALTER TABLE is applied (a column added, then dropped), and on PostgreSQL 3 during a resync and 3
 *   during a full snapshot; at least half with a batch in flight;
 * - the replica really down (PostgreSQL stopped, SQLite write-locked), the Kafka broker stopped, Connect
 *   restarted: each observed (refused connections, the engine retrying) and every table equal after;
 * - one poison event of each kind: kept, announced, only its table halted, the others equal.
 * The long run is `npm run test:faults` (test/faults/run-faults.ts), which adds records purged while
 * stopped, a source restored, kill -9 of Connect and more kills.
 */
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from '../harness/stack.ts';
import {
  FaultStats, caughtUp, connectRestart, kafkaOutage, killsDuringFullSnapshot, killsDuringResync, killsDuringSchemaChanges, killsDuringSnapshot, killsDuringStreaming,
  poisonEvents, replicaOutage, setupFault, startEngine, type Dialect, type FaultCtx, type FaultEngine,
} from './fault-kit.ts';

export function shortFaultSuite(dialect: Dialect): void {
  describe(`faults (short subset) on ${dialect}`, { concurrency: false, timeout: 900_000 }, () => {
    let stack: Stack;
    const stats = new FaultStats();
    const open: Array<() => Promise<void>> = [];
    before(async () => { stack = await startStack(); });
    after(async () => {
      for (const c of open.reverse()) await c().catch(() => undefined);
      await stack?.stop();
      process.stdout.write(`# fault stats ${dialect} ${JSON.stringify(stats)}\n`);
    });
    const setup = async (name: string, seedRows: number): Promise<FaultCtx> => {
      const c = await setupFault(stack, dialect, name, stats, seedRows);
      open.push(() => c.cleanup());
      return c;
    };
    const engine = async (c: FaultCtx, provision = true): Promise<FaultEngine> => {
      const e = await startEngine(c, provision);
      open.push(() => e.stop());
      return e;
    };

    it(`kill -9 aimed at observed progress during the initial snapshot${dialect === 'postgres' ? ', a resync, a full snapshot' : ''}, while streaming and while a schema change is applied, under load: equal`, async () => {
      const c = await setup('kills', 5000); // a snapshot long enough for 3 kills at a batch each (1,500 rows ran out after 2 on PostgreSQL)
      await killsDuringSnapshot(c, 3);
      await killsDuringStreaming(c, 3);
      await killsDuringSchemaChanges(c, 2, 'contact', ['add column', 'drop column']);
      if (dialect === 'postgres') {
        await killsDuringResync(c, 3);
        await killsDuringFullSnapshot(c, 3);
      }
    });

    it('replica down, Kafka broker stopped, Connect restarted, poison events of every kind, under load', async () => {
      const c = await setup('outage', 300);
      const e = await engine(c);
      await e.waitFor(caughtUp, 120_000);
      await replicaOutage(c, e, 10_000);
      await kafkaOutage(c, e, 10_000);
      await connectRestart(c, e, false);
      await poisonEvents(c, e);
      await e.stop();
    });

    it('the workload over all faults issued at least 90 % of its planned statements, without errors', () => {
      stats.assertLoad();
    });
  });
}
