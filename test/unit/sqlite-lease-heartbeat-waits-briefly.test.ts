/**
 * better-sqlite3 waits for a lock on the engine's thread. A lease heartbeat that waited the replica's full
 * busy timeout (5 s) every 5 s, with the write lock held by another connection, froze the engine: no
 * batch got a turn, so it never said it was retrying (CI 2026-12-03, engine scenario 4 on SQLite). A
 * heartbeat waits `waitMs` at most; the connection's own timeout is back for every other write.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteReplica } from '../../main/engine/replica/sqlite/replica.ts';

it('updateLease with waitMs gives up on a held write lock after about that long, and restores the busy timeout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lease-wait-'));
  const file = join(dir, 'r.db');
  const replica = new SqliteReplica({ file, tablePrefix: '', busyTimeoutMs: 3000 });
  try {
    await replica.connect();
    await replica.ensureStateTable();
    const other = new Database(file, { timeout: 100 });
    other.exec('BEGIN IMMEDIATE');
    try {
      const t0 = Date.now();
      await assert.rejects(replica.updateLease(() => ({ result: 1, write: '{}' }), 200), /locked|busy/i);
      const waited = Date.now() - t0;
      assert.ok(waited >= 150 && waited < 1500, `waited ${waited} ms for the lock (asked 200; the connection's own timeout is 3,000)`);
      assert.equal(Number(replica.handle.pragma('busy_timeout', { simple: true })), 3000, 'the connection waits its own timeout again');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal(await replica.updateLease(() => ({ result: 2, write: '{}' }), 200), 2, 'with the lock free it writes');
  } finally {
    await replica.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
