/**
 * The product's scenarios, one behaviour suite run against every replica dialect on the real stack
 * (Kafka + Debezium MariaDB connector). Every scenario ends by comparing replica contents with the
 * source, table by table (checksums of canonical rows), not counts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { writeFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { createEngine } from '../../../main/engine/engine.ts';
import type { Engine } from '../../../main/engine/engine.ts';
import { createLogger } from '../../../main/engine/log.ts';
import { createReplica } from '../../../main/engine/replica/create-replica.ts';
import type { Replica } from '../../../main/engine/replica/replica.ts';
import { settingsSchema } from '../../../preload/contract/settings.ts';
import type { Settings, SettingsInput } from '../../../preload/contract/settings.ts';
import type { EngineStatus } from '../../../preload/contract/status.ts';
import { getSharedStack, stopStack } from '../../harness/stack.ts';
import type { Stack } from '../../harness/stack.ts';
import type { Tenant } from '../../harness/tenant.ts';
import { assertEventuallyEqual, compareWithSource, tableRecords } from './replica-compare.ts';
import { openReplicaReader } from '../../harness/replica-reader.ts';
import { corruptOneValue, type Corruption } from './replica-corrupt.ts';
import type { ReplicaTarget, TargetFactory } from './replica-targets.ts';
import { killDistribution, killOnProgress, openProbe, type KillRecord } from '../../faults/kill-probe.ts';

const log = createLogger((process.env.MIRROR_TEST_LOG as 'debug' | undefined) ?? 'warn');
const CLI = join(import.meta.dirname, '../../../main/cli.ts');

export const caughtUp = (s: EngineStatus): boolean =>
  s.state === 'streaming' && s.lagEvents === 0 && s.tables.length > 0 && s.tables.every((t) => t.state === 'ok');

interface Ctx { tenant: Tenant; target: ReplicaTarget; settings: Settings; check: Replica }

export function describeEngineScenarios(dialect: string, makeTarget: TargetFactory): void {
  describe(`engine scenarios on ${dialect}`, { concurrency: false, timeout: 1_800_000 }, () => {
    let stack: Stack;
    const open: Array<() => Promise<void>> = [];
    before(async () => { stack = await getSharedStack(); });
    // Each test's tenant, engine and replica go when the test ends, not with the file: a stack's Connect
    // worker running every earlier test's connector ran out of heap late in the file (docs/test-runs.md, CI).
    const closeOpen = async (): Promise<void> => { for (const c of open.splice(0).reverse()) await c().catch(() => undefined); };
    afterEach(closeOpen);
    after(async () => { await closeOpen(); await stopStack(); });

    async function setup(name: string, seedRows = 400, extra: Partial<SettingsInput> = {}): Promise<Ctx> {
      const tenant = await stack.createTenant({ seedRows });
      const target = await makeTarget(stack, `${name}-${tenant.ctx}`);
      const settings = settingsSchema.parse({
        tenant: { ctx: tenant.ctx, brokers: stack.brokers }, replica: target.replica,
        maxPollTimeSeconds: 0.2, snapshotFenceDelayMs: 500, retryInitialMs: 200, retryMaxMs: 2000, ...extra,
      });
      const check = await createReplica(settings);
      await check.connect();
      open.push(async () => { await check.close(); await target.cleanup(); await tenant.stop(); });
      return { tenant, target, settings, check };
    }

    async function startEngine(c: Ctx, settings = c.settings): Promise<Engine> {
      const e = await createEngine(settings, { log });
      open.push(() => e.stop());
      await e.provision();
      await e.start();
      return e;
    }

    /** A fresh tenant and replica provisioned by the CLI (a real child process); `run` starts another CLI command on it. */
    async function provisionedByCli(name: string, seedRows: number): Promise<{ c: Ctx; run: (cmd: string) => ChildProcessByStdio<null, Readable, Readable> }> {
      const c = await setup(name, seedRows);
      const cfg = join(tmpdir(), `tm-${name}-${c.tenant.ctx}.json`);
      writeFileSync(cfg, JSON.stringify({ ...c.settings, tenant: { ...c.settings.tenant } }));
      open.push(async () => rmSync(cfg, { force: true }));
      const run = (cmd: string) => spawn(process.execPath, [CLI, cmd, '-c', cfg, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const prov = run('provision');
      assert.equal(await new Promise((r) => prov.on('exit', r)), 0, 'provision exits 0');
      return { c, run };
    }

    /** `sync` run through the CLI: its whole output so far, its exit; killed at the end of the test if still running. */
    function syncWatched(run: (cmd: string) => ChildProcessByStdio<null, Readable, Readable>): { child: ChildProcessByStdio<null, Readable, Readable>; output: () => string; exit: Promise<number | null> } {
      const child = run('sync');
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      open.push(async () => { child.kill('SIGKILL'); });
      return { child, output: () => out, exit };
    }

    /** A fresh tenant and replica, its engine started and caught up with the initial snapshot. */
    async function caughtUpTenant(name: string, seedRows?: number, extra?: Partial<SettingsInput>): Promise<{ c: Ctx; e: Engine }> {
      const c = await setup(name, seedRows, extra);
      const e = await startEngine(c);
      await e.waitFor(caughtUp, 120_000);
      return { c, e };
    }

    /**
     * Every table's row figure is what the source holds (the tables being equal, checked before): counted
     * once, then moved by what each commit inserted and deleted. Waits for tables not counted yet.
     */
    async function assertRowFiguresTrue(c: Ctx, e: Engine): Promise<void> {
      const s = await e.waitFor((st) => st.tables.every((t) => t.rows !== null), 30_000);
      for (const t of s.tables) {
        const name = t.id.slice(t.id.lastIndexOf('.') + 1);
        assert.equal(t.rows, await c.tenant.source.count(name), `${t.id}: the row figure shown is the source's row count`);
      }
    }

    it('0. the comparison itself: one changed value in the replica (plain SQL) makes that table unequal', async () => {
      const { c, e } = await caughtUpTenant('corrupt', 200);
      await assertEventuallyEqual(c.tenant, c.settings);
      await e.stop();
      const cases: Array<[table: string, pk: string, column: string, how: Corruption]> = [
        ['sale', 'sale_id', 'amount', 'decimal-digit'], //        DECIMAL(18,2)
        ['contact', 'contact_id', 'registered', 'microsecond'], // DATETIME(6)
        ['contact', 'contact_id', 'updated_utc', 'microsecond'], // TIMESTAMP(6)
        ['document', 'document_id', 'sha256', 'byte'], //         BINARY(32)
        ['contact', 'contact_id', 'big_counter', 'int64-unit'], // BIGINT (largest value: beyond 2^53)
        ['contact', 'contact_id', 'rating', 'float32-ulp'], //     FLOAT (one float32 ulp: invisible at 6 significant digits)
      ];
      for (const [table, pk, column, how] of cases) {
        const bad = await corruptOneValue(c.settings, c.tenant.source.database, table, pk, column, how);
        if (how === 'int64-unit') assert.ok(BigInt(bad.before) > 2n ** 53n, `the changed int64 (${bad.before}) is beyond 2^53`);
        try {
          const [cmp] = await compareWithSource(c.tenant, c.settings, [table]);
          assert.ok(cmp && !cmp.equal, `${table}.${column} ${bad.before} → ${bad.after} (${pk}=${bad.key}, ${how}) is seen as a difference`);
          assert.match(cmp.detail, new RegExp(`${column}: source`), `the difference names ${column}: ${cmp.detail}`);
          assert.equal(cmp.replicaRows, cmp.sourceRows);
        } finally {
          await bad.undo();
        }
        const [back] = await compareWithSource(c.tenant, c.settings, [table]);
        assert.ok(back?.equal, `${table} equal again once ${column} is restored: ${back?.detail}`);
      }
    });

    it('1. new tenant: provision → initial snapshot → streaming changes', async () => {
      const c = await setup('new');
      const e = await startEngine(c);
      const s = await e.waitFor(caughtUp, 120_000);
      assert.equal(s.tables.length, (await c.tenant.source.tables()).length, 'every source table is mirrored');
      await assertEventuallyEqual(c.tenant, c.settings);
      const seeded = (await Promise.all((await c.tenant.source.tables()).map((t) => c.tenant.source.count(t)))).reduce((a, b) => a + b, 0);
      const afterSnapshot = e.status().eventsApplied;
      assert.ok(afterSnapshot >= seeded, `the snapshot applied an event per source row (${afterSnapshot} >= ${seeded})`);
      await e.waitFor((st) => st.tables.every((t) => t.rows !== null), 30_000); // counted: the workload's figures come from its commits
      const w = await c.tenant.source.workload({ ops: 400 });
      assert.ok(w.inserts > 0 && w.updates > 0 && w.deletes > 0, 'the workload inserts, updates and deletes');
      await assertEventuallyEqual(c.tenant, c.settings);
      assert.ok(e.status().eventsApplied >= afterSnapshot + w.inserts, 'streaming applied at least an event per inserted row');
      await assertRowFiguresTrue(c, e);
      await e.stop();
    });

    it('2. replica restored from a backup copy resumes from its own _ReplicationState', async () => {
      const started = await caughtUpTenant('restore');
      const c = started.c;
      let e = started.e;
      await c.tenant.source.workload({ ops: 150 });
      await assertEventuallyEqual(c.tenant, c.settings);
      await e.stop();
      await c.check.close();
      const restore = await c.target.backup();
      const offsetsAtBackup = (await (async () => { const r = await createReplica(c.settings); await r.connect(); const s = await r.readState(); await r.close(); return s.filter((x) => x.kind === 'offset'); })());
      e = await startEngine(c);
      await c.tenant.source.workload({ ops: 300 });
      await e.waitFor(caughtUp, 60_000);
      await e.stop();
      await restore();
      await c.check.connect();
      const restored = (await c.check.readState()).filter((x) => x.kind === 'offset');
      assert.deepEqual(restored.map((r) => r.value), offsetsAtBackup.map((r) => r.value), 'the restored replica carries the offsets of its backup');
      e = await startEngine(c);
      await assertEventuallyEqual(c.tenant, c.settings);
      await e.stop();
    });

    // PostgreSQL: the database dropped and created again from the copy (the engine's sessions are ended).
    // SQLite: the file (and its -wal, -shm) deleted and the copy put in its place under the open connection.
    it('2b. replica restored from a backup under the running engine, while quiet and again under load: the engine says so and reads on from the restored position', async () => {
      const { c, e } = await caughtUpTenant('restorelive');
      const wentBack: string[] = [];
      const off = e.on('error', (x) => { if (x.error.code === 'REPLICA_WENT_BACK') wentBack.push(x.error.message); });
      for (const [round, load] of [[1, false], [2, true]] as const) {
        const restore = await c.target.backup();
        await c.tenant.source.workload({ ops: 200 });
        await assertEventuallyEqual(c.tenant, c.settings);
        await e.waitFor(caughtUp, 60_000);
        const before = wentBack.length;
        // Round 1: the topic is quiet after the restore, so no batch is written (the periodic check finds
        // it). Round 2: changes keep coming (the batch's position guard finds it).
        const more = load ? c.tenant.source.workload({ ops: 300 }) : Promise.resolve();
        await restore();
        await more;
        await assertEventuallyEqual(c.tenant, c.settings);
        await e.waitFor(caughtUp, 60_000);
        assert.ok(wentBack.length > before, `round ${round}: the engine reported REPLICA_WENT_BACK`);
      }
      off();
      await e.stop();
    });

    // The backup of 2b was taken under the running engine, so it held that engine's own lease row. A backup
    // taken before this engine started (last night's, while the sync was stopped) has none, or an older
    // one: restored under the engine, its heartbeat and its batches found the lease "taken over"
    // (REPLICA_LEASE_LOST) and it stopped for good, naming another process that did not exist.
    it('2c. replica restored under the running engine from a backup taken before it started (no lease row in it): the engine takes the lease again and reads on', async () => {
      const { c, e: first } = await caughtUpTenant('restorenolease');
      await first.stop();
      const restore = await c.target.backup();
      // Its log kept: the old code said "writer lease lost" on the heartbeat after every such restore (and
      // stopped, unless a rewind was under way and started it again with a new lease: timing).
      const lines: string[] = [];
      const e = await createEngine(c.settings, { log: createLogger('warn', (l) => { lines.push(l); process.stderr.write(`${l}\n`); }) });
      open.push(() => e.stop());
      await e.start();
      const errors: string[] = [];
      const off = e.on('error', (x) => { errors.push(x.error.code); });
      await c.tenant.source.workload({ ops: 200 });
      await assertEventuallyEqual(c.tenant, c.settings);
      await e.waitFor(caughtUp, 60_000);
      const more = c.tenant.source.workload({ ops: 300 });
      await restore();
      await more;
      await assertEventuallyEqual(c.tenant, c.settings, { timeoutMs: 120_000 });
      await e.waitFor(caughtUp, 60_000);
      // Past the next heartbeats (every 5 s): the lease row is this engine's again, and it still runs.
      await sleep(6000);
      await c.tenant.source.workload({ ops: 100 });
      await assertEventuallyEqual(c.tenant, c.settings);
      off();
      assert.ok(errors.includes('REPLICA_WENT_BACK'), `the engine said the replica went back: ${errors.join(', ')}`);
      assert.ok(!errors.includes('REPLICA_LEASE_LOST'), `no lease said lost: ${errors.join(', ')}`);
      assert.deepEqual(lines.filter((l) => /lease lost|took over/.test(l)), [], 'no takeover said in the log');
      assert.ok(lines.some((l) => /writer lease row was gone or older .*taken again/.test(l)), 'the lease taken again is said in the log');
      assert.notEqual(e.status().state, 'error');
      const fresh = await createReplica(c.settings);
      await fresh.connect();
      const rows = await fresh.readState('lease').finally(() => fresh.close());
      assert.equal(rows.length, 1, 'the lease row is back in the replica');
      await e.stop();
    });

    it('3. source restored to an earlier state: full resnapshot as upserts, orphans swept', async () => {
      const { c, e } = await caughtUpTenant('srcrestore');
      const backup = await c.tenant.source.backup();
      await c.tenant.source.workload({ ops: 300, mix: { insert: 0.7, update: 0.2, delete: 0.1 } });
      await assertEventuallyEqual(c.tenant, c.settings);
      await c.tenant.connector.stop();
      await c.tenant.source.restore(backup);
      await c.tenant.connector.resetOffsets();
      await c.tenant.connector.start();
      await assertEventuallyEqual(c.tenant, c.settings, { timeoutMs: 120_000 });
      await e.waitFor(caughtUp, 60_000);
      await e.stop();
    });

    it('3b. source restored while the engine is offline, after changes it has not read: rows of the lost timeline are swept', async () => {
      const { c, e } = await caughtUpTenant('srcrestoreoff');
      await e.stop();
      const backup = await c.tenant.source.backup();
      // Changes the engine has not read yet: in the topic, then undone by the restore (no event says so).
      await c.tenant.source.workload({ ops: 300, mix: { insert: 0.6, update: 0.3, delete: 0.1 }, seed: 11 });
      await c.tenant.waitCdcQuiet();
      await c.tenant.connector.stop();
      await c.tenant.source.restore(backup);
      const from = (await c.tenant.notifications()).length;
      const cdcHighBefore = await c.tenant.cdcHighWatermark();
      await c.tenant.connector.resetOffsets();
      await c.tenant.connector.start();
      await c.tenant.waitForInitialSnapshot({ from, cdcHighBefore, timeoutMs: 120_000 });
      const e2 = await startEngine(c);
      await assertEventuallyEqual(c.tenant, c.settings, { timeoutMs: 120_000 });
      await e2.waitFor(caughtUp, 60_000);
      await e2.stop();
    });

    it('4. replica writes fail: the batch is retried and offsets do not advance meanwhile', async () => {
      const { c, e } = await caughtUpTenant('writefail');
      // Exact, not sampled: the events tell when the engine is retrying and when a batch (with its offsets)
      // was committed. A commit while the engine says it is retrying would be an offset moving past a
      // failed write.
      let state = e.status().state;
      let retries = 0;
      const committedWhileRetrying: string[] = [];
      const offs = [
        e.on('state-changed', (x) => { state = x.state; if (x.state === 'retrying') retries++; }),
        e.on('batch-applied', (b) => { if (state === 'retrying') committedWhileRetrying.push(b.offsets.map((o) => `${o.partition}:${o.next}`).join(',')); }),
      ];
      // Held until the engine says it retries (bounded): events can reach it seconds late on a loaded
      // machine, and a SQLite write begun late in the fault only waits out its busy timeout.
      const fault = c.target.failWritesFor(8000, () => retries > 0);
      await new Promise((r) => setTimeout(r, 300));
      // Changes keep coming through the fault (not one burst that a single batch may carry between two of
      // the fault's session kills), so batches are written while it lasts.
      await c.tenant.source.workload({ durationMs: 7000, ratePerSec: 60 });
      await fault;
      await assertEventuallyEqual(c.tenant, c.settings);
      for (const off of offs) off();
      assert.ok(retries > 0, 'the engine reported that it was retrying');
      assert.deepEqual(committedWhileRetrying, [], 'no batch committed its offsets while the engine was retrying a failed write');
      await e.waitFor(caughtUp, 30_000);
      await e.stop();
    });

    it('5. offline shorter than retention: replay', async () => {
      const started = await caughtUpTenant('offline');
      const c = started.c;
      let e = started.e;
      await e.stop();
      await c.tenant.source.workload({ ops: 400 });
      await c.tenant.source.addColumn('person', 'nickname', 'VARCHAR(40) NULL');
      await c.tenant.source.workload({ ops: 100, tables: ['person'] });
      e = await startEngine(c);
      await assertEventuallyEqual(c.tenant, c.settings);
      assert.equal(e.status().gaps.length, 0, 'no gap when nothing was purged');
      await e.stop();
    });

    it('6. offline longer than retention: the gap is detected, tables go stale, resync makes them equal', async () => {
      const started = await caughtUpTenant('gap', 400, { autoResyncOnGap: false });
      const c = started.c;
      let e = started.e;
      await e.stop();
      await c.tenant.source.workload({ ops: 300 });
      await new Promise((r) => setTimeout(r, 2000));
      const purged = await c.tenant.purge();
      assert.ok(purged.every((p) => p.low === p.high), 'all records purged');
      e = await createEngine(c.settings, { log });
      open.push(() => e.stop());
      const stale: string[] = [];
      e.on('table-stale', (t) => stale.push(t.table));
      await e.start();
      const s = e.status();
      assert.ok(s.gaps.length > 0 && !s.gaps[0]!.resolved, 'a gap is recorded');
      assert.ok(s.tables.every((t) => t.state === 'stale' && /purged/.test(t.staleReason ?? '')), 'every table is stale with the reason');
      assert.equal(stale.length, s.tables.length, 'a table-stale event per table');
      const recs = await tableRecords(c.check);
      assert.ok([...recs.values()].every((r) => r.state === 'stale'), 'stale is persisted in _ReplicationState');
      await new Promise((r) => setTimeout(r, 3000));
      assert.ok(e.status().tables.every((t) => t.state === 'stale'), 'without autoResyncOnGap the tables stay stale');
      await e.resyncTables(s.tables.map((t) => t.id));
      await e.waitFor(caughtUp, 300_000); // ten tables scanned one after another, on a shared 2-core machine
      await assertEventuallyEqual(c.tenant, c.settings);
      assert.ok(e.status().gaps.every((g) => g.resolved), 'the gap is resolved once every table is resynced');
      await e.stop();
    });

    it('6b. offline longer than retention with autoResyncOnGap: resynced without a command', async () => {
      const started = await caughtUpTenant('gapauto', 300);
      const c = started.c;
      let e = started.e;
      await e.stop();
      await c.tenant.source.workload({ ops: 200, mix: { insert: 0.3, update: 0.3, delete: 0.4 } });
      await new Promise((r) => setTimeout(r, 2000));
      await c.tenant.purge();
      e = await startEngine(c);
      assert.ok(e.status().gaps.length > 0);
      // The same ten scans one after another as scenario 6, with its budget: in CI the short fault subsets'
      // private stacks load the 2 cores meanwhile (scenario 6 took 164 s there, and 6b ran out at 120 s).
      await e.waitFor(caughtUp, 300_000);
      await assertEventuallyEqual(c.tenant, c.settings);
      await e.stop();
    });

    it('6c. offline longer than retention while the schema moved: a table created and filled, a column added, a table dropped, then every record purged — each table resynced without a command, the new one filled, the dropped one gone, equal', async () => {
      const started = await caughtUpTenant('gapddl', 300);
      const c = started.c;
      let e = started.e;
      await e.stop();
      const before = await c.tenant.source.tables();
      const gone = before.find((t) => t !== 'contact' && t !== 'person')!;
      await c.tenant.source.workload({ ops: 200, tables: ['contact', 'person'] });
      await c.tenant.source.addTable('y_gapnew', { rows: 40 });
      await c.tenant.source.addColumn('person', 'gap_note', 'VARCHAR(40) NULL');
      await c.tenant.source.workload({ ops: 100, tables: ['person', 'contact'] });
      const goneColumns = await c.tenant.source.columns(gone);
      await c.tenant.source.dropTable(gone);
      await new Promise((r) => setTimeout(r, 2000));
      const purged = await c.tenant.purge();
      assert.ok(purged.every((p) => p.low === p.high), 'all records purged');
      e = await startEngine(c);
      assert.ok(e.status().gaps.length > 0, 'a gap is recorded');
      await e.waitFor(caughtUp, 300_000);
      await assertEventuallyEqual(c.tenant, c.settings);
      const ids = e.status().tables.map((t) => t.id);
      assert.ok(ids.some((id) => id.endsWith('.y_gapnew')), `the table created while offline is mirrored: ${ids.join(', ')}`);
      assert.ok(!ids.some((id) => id.endsWith(`.${gone}`)), `the table dropped while offline is gone: ${ids.join(', ')}`);
      assert.ok(e.status().tables.every((t) => t.state === 'ok'), `every table ok: ${JSON.stringify(e.status().tables.map((t) => [t.id, t.state, t.staleReason]))}`);
      await e.stop();
      // Gone from the replica too, read with plain SQL (not only from the engine's status).
      const reader = await openReplicaReader(c.settings);
      try {
        assert.equal(await reader.readTable(c.tenant.source.database, gone, goneColumns), null, `${gone} is still in the replica`);
      } finally { await reader.close(); }
    });

    it('7. new table at the source: update-schema creates and fills it', async () => {
      const { c, e } = await caughtUpTenant('newtable', 200);
      await c.tenant.source.addTable('y_extra', { rows: 25 });
      // update-schema reads <ctx>-schemahistory: the DDL is there once Debezium has published it (a
      // moment after the source ran it), so the user's "Update schema now" is repeated until then.
      const created = async (): Promise<boolean> => (await e.updateSchema()).created.some((t) => t.endsWith('.y_extra')) || e.status().tables.some((t) => t.id.endsWith('.y_extra'));
      let made = false;
      for (let i = 0; i < 30 && !made; i++) { made = await created(); if (!made) await new Promise((r) => setTimeout(r, 1000)); }
      assert.ok(made, 'the new table is created');
      await assertEventuallyEqual(c.tenant, c.settings, { tables: ['y_extra'] });
      await e.waitFor(caughtUp, 60_000);
      await assertEventuallyEqual(c.tenant, c.settings);
      await e.stop();
    });

    it('8. incompatible schema change: that table is rebuilt and resnapshotted, others untouched', async () => {
      const { c, e } = await caughtUpTenant('incompat');
      const before = await tableRecords(c.check);
      const change = await c.tenant.source.incompatibleChange('project');
      await c.tenant.source.workload({ ops: 60, tables: ['project', 'contact'] });
      await assertEventuallyEqual(c.tenant, c.settings, { timeoutMs: 90_000 });
      await e.waitFor(caughtUp, 60_000);
      const afterRecs = await tableRecords(c.check);
      const proj = afterRecs.get('project')!;
      assert.notEqual(proj.hash, before.get('project')!.hash, 'project has the new schema hash');
      assert.equal(proj.def.columns.find((col) => col.name === change.column)?.type.kind, 'string', `${change.column} is now a string column`);
      for (const [name, r] of afterRecs) if (name !== 'project') assert.equal(r.createdAt, before.get(name)!.createdAt, `${name} was not rebuilt`);
      await assertRowFiguresTrue(c, e);
      await e.stop();
    });

    it('9. tenant suspended and resumed (offsets reset, snapshot again)', async () => {
      const { c, e } = await caughtUpTenant('suspend');
      await c.tenant.connector.stop();
      await c.tenant.source.workload({ ops: 200, mix: { insert: 0.4, update: 0.3, delete: 0.3 } });
      await c.tenant.connector.resetOffsets();
      await c.tenant.connector.start();
      await assertEventuallyEqual(c.tenant, c.settings, { timeoutMs: 120_000 });
      await e.waitFor(caughtUp, 60_000);
      await e.stop();
    });

    it('10. kill -9 of `sync` aimed at observed progress, 3 of them with a batch in flight, restart: equal', async (t) => {
      const { c, run } = await provisionedByCli('kill', 2000);
      // Each kill follows offsets seen moving in the replica (test/faults/kill-probe.ts), 0-400 ms later
      // plus up to 3 s for a write transaction of the engine to be open; kills go on until 3 landed with
      // a batch in flight (at most 8 attempts). Every attempt's kill is recorded in the failure message.
      const probe = await openProbe(c.settings.replica, c.settings.tablePrefix);
      open.push(() => probe.close());
      const recs: KillRecord[] = [];
      for (let i = 1; recs.filter((r) => r.inFlight).length < 3; i++) {
        assert.ok(i <= 8, `3 kills with a batch in flight in 8 attempts; landed: ${JSON.stringify(killDistribution(recs))}: ${recs.map((r) => `${r.inFlightDetail} +${r.afterTriggerMs} ms`).join('; ')}`);
        const before = await probe.sample();
        const child = run('sync');
        let out = '';
        child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
        child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
        const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
        // Changes keep coming until the kill (~100/s), so that batches follow one another.
        let loading = true;
        const load = (async () => { while (loading) await c.tenant.source.workload({ durationMs: 500, ratePerSec: 100 }); })();
        load.catch(() => undefined); // raised by the await below
        const rec = await killOnProgress(probe, before, { exited, kill: () => child.kill('SIGKILL') }, i, { phase: 'streaming' });
        loading = false;
        await load;
        // The restart right after a kill -9 must not be refused by the dead process's writer lease: sync
        // ends only by the kill.
        assert.notEqual(rec.trigger, 'process exited', `sync ${i} was running until its kill (exit ${rec.exitCode}): ${out.slice(-400)}`);
        assert.notEqual(rec.trigger, 'none (deadline)', `sync ${i}: offsets moved within 60 s`);
        assert.equal(child.signalCode, 'SIGKILL', `sync ${i} died of the kill`);
        recs.push(rec);
      }
      t.diagnostic(`kills: ${JSON.stringify(killDistribution(recs))}`);
      const child = run('sync');
      open.push(async () => { child.kill('SIGTERM'); });
      await assertEventuallyEqual(c.tenant, c.settings, { timeoutMs: 90_000 });
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    });

    it('10b. another process takes the replica over from a running `sync`: it stops writing and exits 6 with REPLICA_LEASE_LOST; the next sync goes on, equal', async () => {
      const { c, run } = await provisionedByCli('takeover', 300);
      const { output, exit: firstExit } = syncWatched(run);
      await c.tenant.source.workload({ ops: 100 });
      await assertEventuallyEqual(c.tenant, c.settings, { timeoutMs: 90_000 });
      // What a process that took over a stale lease writes: another owner, the next epoch.
      const held = JSON.parse((await c.check.readState('lease'))[0]!.value) as { epoch: number };
      const now = Date.now();
      await c.check.writeState([{ id: 'lease', kind: 'lease', value: JSON.stringify({ ownerId: 'other-process', host: 'elsewhere', pid: 1, epoch: held.epoch + 1, heartbeatAt: now, startedAt: now, command: 'sync' }) }]);
      const code = await Promise.race([firstExit, new Promise<string>((r) => setTimeout(() => r('still running after 60 s'), 60_000))]);
      assert.equal(code, 6, `sync exits 6 once its lease is taken over; output:\n${output().slice(-1500)}`);
      assert.match(output(), /REPLICA_LEASE_LOST/);
      // The other process goes away; the next sync takes the replica and catches up.
      await c.check.writeState([], ['lease']);
      await c.tenant.source.workload({ ops: 100 });
      const next = run('sync');
      open.push(async () => { next.kill('SIGTERM'); });
      await assertEventuallyEqual(c.tenant, c.settings, { timeoutMs: 90_000 });
      next.kill('SIGTERM');
      await new Promise((r) => next.on('exit', r));
    });

    // The race of the control-plane soak's seed 271828: the replica restored under a running `sync` while a
    // `resync-tables` handed to it waited; the command took the lease (the restored row named a process that
    // had ended) and the `sync` ended with REPLICA_LEASE_LOST, exit 6. A command that ends by itself is now
    // waited for, as at sync's start: the engine writes nothing while it holds the replica, then reads on.
    it('10c. a `resync-tables` takes the replica over from a running `sync`: sync writes nothing meanwhile, does not exit, and reads on once it ended; equal', async () => {
      const { c, run } = await provisionedByCli('takenbycommand', 300);
      const { child: first, output, exit } = syncWatched(run);
      let exited: number | null | undefined;
      void exit.then((code) => { exited = code; });
      await c.tenant.source.workload({ ops: 100 });
      await assertEventuallyEqual(c.tenant, c.settings, { timeoutMs: 90_000 });
      const held = JSON.parse((await c.check.readState('lease'))[0]!.value) as { epoch: number };
      // A `resync-tables` of this host (this test's process: alive) that took the lease, heartbeating.
      const command = { ownerId: 'a-resync-tables', host: hostname(), pid: process.pid, epoch: held.epoch + 1, startedAt: Date.now(), command: 'resync-tables' };
      const write = (extra: object = {}) => c.check.writeState([{ id: 'lease', kind: 'lease', value: JSON.stringify({ ...command, heartbeatAt: Date.now(), ...extra }) }]);
      await write();
      for (const t0 = Date.now(); !/a command that ends by itself/.test(output()); await sleep(250)) {
        assert.ok(Date.now() - t0 < 30_000, `sync said it waits for the command within 30 s; output:\n${output().slice(-1500)}`);
      }
      const offsets = JSON.stringify(await c.check.readState('offset'));
      await c.tenant.source.workload({ ops: 100 });
      for (let i = 0; i < 3; i++) { await sleep(4000); await write(); }
      assert.equal(JSON.stringify(await c.check.readState('offset')), offsets, 'sync wrote nothing while the command held the replica');
      assert.equal(exited, undefined, `sync still runs while the command holds the replica; output:\n${output().slice(-1500)}`);
      // It waited looking at the lease row, not starting and failing every look (its state flapping on screen).
      const starts = output().match(/starting to read again failed/g)?.length ?? 0;
      assert.ok(starts <= 1, `one failed start while the command held the replica for 12 s, not ${starts}; output:\n${output().slice(-1500)}`);
      await write({ releasedAt: Date.now() }); // the command ended
      await assertEventuallyEqual(c.tenant, c.settings, { timeoutMs: 90_000 });
      await c.tenant.source.workload({ ops: 100 });
      await assertEventuallyEqual(c.tenant, c.settings, { timeoutMs: 90_000 });
      assert.equal(exited, undefined, `sync never ended; output:\n${output().slice(-1500)}`);
      const leaseNow = async () => JSON.parse((await c.check.readState('lease'))[0]!.value) as { epoch: number; command: string; releasedAt?: number };
      let lease = await leaseNow();
      assert.ok(lease.epoch > command.epoch && lease.command === 'sync' && lease.releasedAt === undefined, `sync holds the lease again: ${JSON.stringify(lease)}`);
      // The command killed while it held the replica: a fresh heartbeat, never released, its process gone.
      const killed = spawnSync(process.execPath, ['-e', '0']).pid;
      await c.check.writeState([{ id: 'lease', kind: 'lease', value: JSON.stringify({ ...command, pid: killed, epoch: lease.epoch + 1, heartbeatAt: Date.now() }) }]);
      await c.tenant.source.workload({ ops: 100 });
      await assertEventuallyEqual(c.tenant, c.settings, { timeoutMs: 90_000 });
      lease = await leaseNow();
      assert.ok(lease.epoch > command.epoch + 1 && lease.command === 'sync' && lease.releasedAt === undefined, `sync holds the lease after the killed command: ${JSON.stringify(lease)}`);
      assert.equal(exited, undefined, `sync never ended; output:\n${output().slice(-1500)}`);
      assert.doesNotMatch(output(), /REPLICA_LEASE_LOST\]|the engine stopped/, 'no lease said lost for good');
      first.kill('SIGTERM');
      await exit;
    });
  });
}
