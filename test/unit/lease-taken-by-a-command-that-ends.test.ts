/**
 * Which lost leases a running engine waits out (engine.ts leaseLost, writer-lease.ts holderThatEnds): taken
 * by a command that ends by itself — running, ended (released) or killed (stale) — the engine reads on from
 * the replica's stored position once it has ended; taken by another `sync`, serve or the desktop app, or
 * with no readable row, it stops (REPLICA_LEASE_LOST, `sync` exit 6); while it waits it looks at the lease row
 * (heldByCommandThatEnds) instead of starting again every look. Real SQLite replica.
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
import { heldByCommandThatEnds, holderThatEnds } from '../../main/engine/state/writer-lease.ts';

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
