/**
 * `npm run test:faults` — the full fault suite on a private real stack (it stops its PostgreSQL, Kafka
 * broker and Connect worker, so it never attaches to a shared one). Every fault runs under a counted
 * workload (≥ 90 % of planned operations, no errors) and ends with every table compared with the source.
 *
 *   FAULT_KILLS=30        kill -9s of the CLI aimed at observed progress: a third during the initial
 *                         snapshot, the rest while streaming; plus, on PostgreSQL, FAULT_PG_LOOP_KILLS=20
 *                         during a resync and 20 during a full snapshot
 *   FAULT_SCHEMA_KILLS=9  kill -9s of `sync` aimed at a source ALTER TABLE being applied (a column added,
 *                         narrowed, dropped, in turn), per dialect
 *   FAULT_OUTAGE_MS=30000 length of the replica server and Kafka broker outages
 *   FAULT_DIALECTS=sqlite,postgres
 *   FAULT_RESTARTS=1      Kafka Connect and Kafka broker restarts (0 to skip)
 *   FAULT_SEED_ROWS       seed rows of the kill tenants (default 2,000 per initial-snapshot kill, at least
 *                         5,000; bigger = longer snapshots)
 *   FAULT_SOAK_MINUTES=8  the control-plane soak (soak.ts): two replicas of one tenant driven through the
 *                         CLI while random control-plane actions overlap; 0 skips it
 *   FAULT_SOAK_SEED       its sequence of actions (default: from the clock, printed)
 *   FAULT_SOAK_ACTIONS    a,b,… only those actions, each as often as listed (e.g. replica-restored,resync,kill)
 *   FAULT_ONLY=kills|schema|chaos|purge|soak  one group only
 * Flags override: --kills N --outage-ms N --dialects a,b --no-restarts
 */
import '../../main/no-timeout-negative-warning.ts';
import { parseArgs } from 'node:util';
import { startStack, stopStack } from '../harness/stack.ts';
import {
  FaultStats, caughtUp, cli, connectRestart, kafkaOutage, killsDuringFullSnapshot, killsDuringResync, killsDuringSchemaChanges, killsDuringSnapshot, killsDuringStreaming, note,
  poisonEvents, purgeWhileStopped, replicaOutage, setupFault, sourceRestored, startEngine, type Dialect, type FaultCtx,
} from './fault-kit.ts';
import { controlPlaneSoak } from './soak.ts';

const { values } = parseArgs({ options: { kills: { type: 'string' }, 'outage-ms': { type: 'string' }, dialects: { type: 'string' }, 'no-restarts': { type: 'boolean' } } });
const kills = Number(values.kills ?? process.env.FAULT_KILLS ?? 30);
const pgLoopKills = Number(process.env.FAULT_PG_LOOP_KILLS ?? 20);
const schemaKills = Number(process.env.FAULT_SCHEMA_KILLS ?? 9);
const outageMs = Number(values['outage-ms'] ?? process.env.FAULT_OUTAGE_MS ?? 30_000);
const dialects = (values.dialects ?? process.env.FAULT_DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim()) as Dialect[];
const restarts = !values['no-restarts'] && process.env.FAULT_RESTARTS !== '0';
const soakMinutes = Number(process.env.FAULT_SOAK_MINUTES ?? 8);
const soakSeed = Number(process.env.FAULT_SOAK_SEED ?? Date.now() % 1_000_000);

/** FAULT_ONLY=kills|schema|chaos|purge|soak runs one group (e.g. to reproduce a failure). */
const only = process.env.FAULT_ONLY ?? null;
const want = (g: string) => only === null || only === g;
process.env.FAULT_VERBOSE ??= '1';

const snapshotKills = Math.max(1, Math.round(kills / 3));
const streamingKills = Math.max(1, kills - snapshotKills);
// Each provision attempt gets ~200-4,000 snapshot rows through before its kill lands: 5,000 rows ran out
// after 6 of 10 kills on SQLite, 12,000 after 8 (2026-11-30). 2,000 rows per initial-snapshot kill.
const seedRows = Number(process.env.FAULT_SEED_ROWS ?? Math.max(5000, snapshotKills * 2000));
const started = Date.now();
const stats = new FaultStats();
const failures: string[] = [];
const open: Array<() => Promise<void>> = [];

console.log(`fault suite: ${kills} kills per dialect (${snapshotKills} initial snapshot, ${streamingKills} streaming) + on PostgreSQL ${pgLoopKills} during a resync and ${pgLoopKills} during a full snapshot, ${schemaKills} during schema changes, ${seedRows} seed rows, outage ${outageMs} ms, dialects ${dialects.join(',')}, restarts ${restarts}`);
const stack = await startStack();
const stop = async () => { for (const c of open.reverse()) await c().catch(() => undefined); await stopStack(stack).catch(() => undefined); };
process.on('SIGINT', () => { void stop().then(() => process.exit(130)); });

async function step(name: string, fn: () => Promise<void>): Promise<void> {
  const t0 = Date.now();
  note(`▶ ${name}`);
  try {
    await fn();
    console.log(`✔ ${name} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  } catch (err) {
    failures.push(`${name}: ${(err as Error).message}`);
    console.log(`✖ ${name}: ${(err as Error).stack ?? String(err)}`);
  }
}

const setup = async (dialect: Dialect, name: string, rows: number): Promise<FaultCtx> => {
  const c = await setupFault(stack, dialect, name, stats, rows);
  open.push(() => c.cleanup());
  return c;
};

try {
  for (const dialect of dialects) {
    if (want('kills')) await step(`${dialect}: ${snapshotKills} kill -9 during the initial snapshot, ${streamingKills} while streaming${dialect === 'postgres' ? `, ${pgLoopKills} during a resync, ${pgLoopKills} during a full snapshot` : ''}`, async () => {
      const c = await setup(dialect, 'kills', seedRows);
      await killsDuringSnapshot(c, snapshotKills);
      await killsDuringStreaming(c, streamingKills);
      if (dialect === 'postgres') {
        await killsDuringResync(c, pgLoopKills);
        await killsDuringFullSnapshot(c, pgLoopKills);
      }
    });
    if (want('schema') && schemaKills > 0) await step(`${dialect}: ${schemaKills} kill -9 while a source ALTER TABLE is being applied (column added, narrowed, dropped)`, async () => {
      const c = await setup(dialect, 'schema', 2000);
      // provision, then the kills: each ALTER's kill is aimed at the replica seen applying it.
      const p = cli(c, 'provision', '--timeout', '180');
      const code = await p.exited;
      if (code !== 0) throw new Error(`provision exited ${code}: ${p.tail().slice(-2000)}`);
      await killsDuringSchemaChanges(c, schemaKills);
    });
    if (want('chaos')) await step(`${dialect}: replica outage ${outageMs} ms, source restored, poison events${restarts ? ', Connect restarts and a Kafka broker outage' : ''}`, async () => {
      const c = await setup(dialect, 'chaos', 500);
      const e = await startEngine(c);
      open.push(() => e.stop());
      await e.waitFor(caughtUp, 180_000);
      await replicaOutage(c, e, outageMs);
      await poisonEvents(c, e);
      await sourceRestored(c, e);
      if (restarts) {
        await connectRestart(c, e, false);
        await connectRestart(c, e, true);
        await kafkaOutage(c, e, outageMs);
      }
      await e.stop();
    });
    if (want('purge')) await step(`${dialect}: records purged while stopped`, async () => {
      const c = await setup(dialect, 'purge', 500);
      const e = await purgeWhileStopped(c);
      open.push(() => e.stop());
      await e.stop();
    });
  }
  if (want('soak') && soakMinutes > 0) await step(`control-plane soak: two replicas (SQLite, PostgreSQL) of one tenant, ${soakMinutes} min of overlapping actions through the CLI, seed ${soakSeed}`, async () => {
    await controlPlaneSoak(stack, stats, soakMinutes, soakSeed);
  });
} finally {
  await stop();
}
try { stats.assertLoad(); } catch (err) { failures.push(`workload: ${(err as Error).message}`); }
console.log(`\nfault stats ${JSON.stringify(stats, null, 2)}`);
console.log(`kill records:\n${stats.kills.map((k) => `  ${k.what} #${k.n}: ${k.trigger} +${k.triggerMs} ms, kill +${k.afterTriggerMs} ms, ${k.phase}, ${k.inFlight ? 'in flight' : 'between batches'} (${k.inFlightDetail}); offsets ${k.offsetsBefore}→${k.offsetsAtTrigger}→${k.offsetsAfter}${k.schemaAtTrigger !== undefined ? `; schema at the trigger: ${k.schemaAtTrigger ?? 'unmoved'}` : ''}`).join('\n')}`);
console.log(`${failures.length ? `✖ ${failures.length} failed:\n  ${failures.join('\n  ')}` : '✔ all faults recovered'} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(failures.length ? 1 : 0);
