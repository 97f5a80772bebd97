/**
 * Which lost leases a running engine waits out (engine.ts leaseLost, writer-lease.ts holderThatEnds): taken
 * by a command that ends by itself — running, ended (released) or killed (stale) — the engine reads on from
 * the replica's stored position once it has ended; taken by another `sync`, serve or the desktop app, or
 * with no readable row, it stops (REPLICA_LEASE_LOST, `sync` exit 6); while it waits it looks at the lease row
 * (heldByCommandThatEnds) instead of starting again every look. And `provision` / `reset-offsets`
 * (lease-handoff.ts runWhenFree): such a command taking the replica between their look and their engine's
 * lease is waited for, not an exit 6. Real SQLite replica.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MirrorError } from '../../main/engine/errors.ts';
import { createSqliteReplica } from '../../main/engine/replica/sqlite/replica.ts';
import type { SqliteReplica } from '../../main/engine/replica/sqlite/replica.ts';
import { heldByCommandThatEnds, holderThatEnds, WriterLease } from '../../main/engine/state/writer-lease.ts';
import { refuseIfInUse, runWhenFree } from '../../main/commands/lease-handoff.ts';
import { createEngine } from '../../main/engine/engine.ts';
import { silentLogger } from '../../main/engine/log.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'tm-lease-ends-'));
let replica: SqliteReplica;
before(async () => {
  replica = createSqliteReplica({ file: join(dir, 'replica.db'), tablePrefix: '' });
  await replica.connect();
  await replica.ensureStateTable();
});
after(async () => {
  await replica.close();
  rmSync(dir, { recursive: true, force: true });
});

const lost = new MirrorError('REPLICA_LEASE_LOST', 'another process took over the writer lease of the replica (this one held epoch 4); it stops writing');
const holder = (command: string, extra: object = {}) => ({ ownerId: `o-${command}`, host: 'host-b', pid: 4343, epoch: 5, heartbeatAt: Date.now(), startedAt: Date.now() - 1000, command, ...extra });
const put = (row: object | null) => replica.writeState(row ? [{ id: 'lease', kind: 'lease', value: JSON.stringify(row) }] : [], row ? [] : ['lease']);

test('taken by resync-tables, update-schema, reset-offsets or provision — running, ended or killed: REPLICA_IN_USE naming it, retriable', async () => {
  for (const command of ['resync-tables', 'update-schema', 'reset-offsets', 'provision']) {
    for (const [how, extra] of [['running', {}], ['ended', { releasedAt: Date.now() }], ['killed', { heartbeatAt: Date.now() - 60_000 }]] as const) {
      await put(holder(command, extra));
      const e = await holderThatEnds(replica, lost);
      assert.ok(e, `${command} ${how}`);
      assert.equal(e.code, 'REPLICA_IN_USE');
      assert.equal(e.retriable, true);
      assert.equal(e.detail?.command, command);
      assert.match(e.message, new RegExp(`^\`${command}\` on host-b pid 4343, a command that ends by itself, took the replica over \\(another process took over .*\\): the engine reads on from the replica's stored position once that command has ended$`));
    }
  }
});

test('taken by sync, serve or the desktop app (running or not), or no lease row: null — the engine stops', async () => {
  for (const command of ['sync', 'serve', 'desktop app']) {
    for (const extra of [{}, { releasedAt: Date.now() }]) {
      await put(holder(command, extra));
      assert.equal(await holderThatEnds(replica, lost), null, command);
    }
  }
  await put(null);
  assert.equal(await holderThatEnds(replica, lost), null, 'no row');
});

test('heldByCommandThatEnds, what an engine waiting for such a command looks at: true only while one runs', async () => {
  for (const command of ['resync-tables', 'update-schema', 'reset-offsets', 'provision']) {
    await put(holder(command, { pid: process.pid, host: hostname() }));
    assert.equal(await heldByCommandThatEnds(replica), true, `${command} running`);
    await put(holder(command, { pid: process.pid, host: hostname(), releasedAt: Date.now() }));
    assert.equal(await heldByCommandThatEnds(replica), false, `${command} ended`);
    await put(holder(command, { pid: process.pid, host: hostname(), heartbeatAt: Date.now() - 60_000 }));
    assert.equal(await heldByCommandThatEnds(replica), false, `${command} killed (stale)`);
    await put(holder(command, { pid: spawnSync(process.execPath, ['-e', '0']).pid, host: hostname() }));
    assert.equal(await heldByCommandThatEnds(replica), false, `${command} killed (its process gone)`);
  }
  for (const command of ['sync', 'serve', 'desktop app']) {
    await put(holder(command, { pid: process.pid, host: hostname() }));
    assert.equal(await heldByCommandThatEnds(replica), false, command);
  }
  await put(null);
  assert.equal(await heldByCommandThatEnds(replica), false, 'no row');
});

test('provision\'s start refused by a command that ends by itself taking the replica right after the look: waited for, then the engine takes the lease (runWhenFree)', async () => {
  const file = join(dir, 'race.db');
  const settings = settingsSchema.parse({ tenant: { ctx: 'acme', brokers: ['127.0.0.1:1'] }, replica: { kind: 'sqlite', file } });
  const r = createSqliteReplica({ file, tablePrefix: '' });
  await r.connect();
  await r.ensureStateTable();
  const other = new WriterLease(r, { command: 'resync-tables', heartbeatMs: 1000 });
  let looks = 0;
  let runs = 0;
  const said: string[] = [];
  // The first look finds the replica free; the command takes it at once after (the race), and ends 3 s later.
  const look: typeof refuseIfInUse = async (s, log, wait) => {
    if (++looks > 1) return refuseIfInUse(s, log, wait);
    await other.acquire();
    other.start();
    setTimeout(() => void other.release(), 3000);
  };
  const run = async (): Promise<void> => {
    runs++;
    const e = await createEngine(settings, { log: silentLogger, command: 'provision' });
    try { await e.provision(); } finally { await e.stop(); }
  };
  try {
    // The engine took the lease on its second start and then found Kafka unreachable (none here): the race is
    // behind it. Before runWhenFree the first start's REPLICA_IN_USE ended the command (exit 6).
    await assert.rejects(runWhenFree(settings, silentLogger, { until: Date.now() + 60_000, say: (line) => said.push(line) }, run, look),
      (err: unknown) => err instanceof MirrorError && err.code === 'KAFKA_UNREACHABLE');
    assert.equal(runs, 2, 'the engine started again once the command had ended');
    assert.equal(looks, 2);
    assert.ok(said.some((l) => /`resync-tables` on .* a command that ends by itself: this command starts once it has ended/.test(l)), said.join('\n'));
  } finally {
    await other.release().catch(() => undefined);
    await r.close();
  }
});

test('runWhenFree gives up at `until`, and never retries another refusal', async () => {
  const settings = settingsSchema.parse({ tenant: { ctx: 'acme', brokers: ['127.0.0.1:1'] }, replica: { kind: 'sqlite', file: join(dir, 'none.db') } });
  const byOneShot = new MirrorError('REPLICA_IN_USE', 'held', { detail: { command: 'resync-tables' } });
  const bySync = new MirrorError('REPLICA_IN_USE', 'held', { detail: { command: 'sync' } });
  const noLook = async (): Promise<void> => undefined;
  let runs = 0;
  await assert.rejects(runWhenFree(settings, silentLogger, { until: Date.now() - 1, say: () => undefined }, async () => { runs++; throw byOneShot; }, noLook), (e) => e === byOneShot);
  assert.equal(runs, 1, 'past until: not run again');
  runs = 0;
  await assert.rejects(runWhenFree(settings, silentLogger, { until: Date.now() + 60_000, say: () => undefined }, async () => { runs++; throw bySync; }, noLook), (e) => e === bySync);
  assert.equal(runs, 1, 'held by a sync: refused, not waited for');
});
