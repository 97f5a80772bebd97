/**
 * A short subset of the fault suite (the full run is `npm run test:faults`): a handful of kill -9s of
 * `sync` during the snapshot and while streaming, a short replica outage, one poison event of each kind
 * and one purge while stopped — each under a continuous workload, each ending with every table of the
 * replica compared with the source (equal, or explicitly stale / halted with reason and event).
 */
import { after, before, describe, it } from 'node:test';
import type { Engine } from '../../main/engine/engine.ts';
import { getSharedStack, stopStack, type Stack } from '../harness/stack.ts';
import {
  FaultStats, caughtUp, killsDuringSnapshot, killsDuringStreaming, poisonEvents, purgeWhileStopped, replicaOutage, setupFault, startEngine,
  type Dialect, type FaultCtx,
} from '../faults/fault-kit.ts';

const dialect = (process.env.FAULT_DIALECT as Dialect | undefined) ?? 'sqlite';

describe(`faults (short subset) on ${dialect}`, { concurrency: false, timeout: 600_000 }, () => {
  let stack: Stack;
  const stats = new FaultStats();
  const open: Array<() => Promise<void>> = [];
  before(async () => { stack = await getSharedStack(); });
  after(async () => {
    for (const c of open.reverse()) await c().catch(() => undefined);
    await stopStack();
    process.stdout.write(`# fault stats ${JSON.stringify(stats)}\n`);
  });
  const setup = async (name: string, seedRows: number): Promise<FaultCtx> => {
    const c = await setupFault(stack, dialect, name, stats, seedRows);
    open.push(() => c.cleanup());
    return c;
  };
  const engine = async (c: FaultCtx, provision = true): Promise<Engine> => {
    const e = await startEngine(c, provision);
    open.push(() => e.stop());
    return e;
  };

  it('kill -9 of the CLI during the snapshot and while streaming, under load: equal', async () => {
    const c = await setup('kills', 1500);
    await killsDuringSnapshot(c, 2, 1500);
    await killsDuringStreaming(c, 3, 2500);
  });

  it('replica outage under load, then poison events of every kind: kept, announced, table halted then resynced', async () => {
    const c = await setup('outage', 300);
    const e = await engine(c);
    await e.waitFor(caughtUp, 120_000);
    await replicaOutage(c, e, 6000);
    await poisonEvents(c, e);
    await e.stop();
  });

  it('records purged while stopped: stale with reason and event, resynced, equal', async () => {
    const c = await setup('purge', 300);
    const e = await purgeWhileStopped(c);
    open.push(() => e.stop());
    await e.stop();
  });
});
