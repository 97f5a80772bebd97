/**
 * A replica that cannot be opened is reported with its classifier's code and hint, by every command that
 * opens it (engine start, `provision`, `sync`, `info`, the lease check before them): a file that is no
 * SQLite database said `error [INTERNAL]: file is not a database` (and `validate` advised a writable
 * folder), a PostgreSQL database that does not exist `error [INTERNAL]: database "x" does not exist`. The
 * file is left as it was. The hints' "retrying" (written for the engine's writes) is not said by a
 * command that exits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MirrorError } from '../../main/engine/errors.ts';
import { connectReplica, openingError } from '../../main/engine/replica/classified-error.ts';
import { makePostgresClassifier } from '../../main/engine/replica/postgres/errors.ts';

const cli = fileURLToPath(new URL('../../bin/tenant-mirror', import.meta.url));

test('a file that is no SQLite database: provision and info say so with the fix, exit 1, and leave the file as it was', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm-notadb-'));
  try {
    const file = join(dir, 'replica.db');
    writeFileSync(file, 'my notes, not a database\n');
    const config = join(dir, 'c.json');
    // Kafka is never reached: the replica is opened first (a port nothing listens on).
    writeFileSync(config, JSON.stringify({ tenant: { ctx: 'acme', brokers: ['127.0.0.1:1'] }, replica: { kind: 'sqlite', file } }));
    for (const command of ['provision', 'info']) {
      const r = spawnSync(process.execPath, [cli, command, '-c', config], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 1, `${command}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout + r.stderr, /error \[REPLICA_WRITE_FAILED\]: The SQLite file is damaged or not a database: file is not a database\. Restore it from a backup or point the replica at a new file\./, command);
      assert.doesNotMatch(r.stdout + r.stderr, /INTERNAL/, command);
    }
    assert.equal(readFileSync(file, 'utf8'), 'my notes, not a database\n', 'the file is untouched');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a driver error becomes the classifier\'s MirrorError; a MirrorError passes as it is; "retrying" is left to whoever retries', async () => {
  const classify = makePostgresClassifier({ user: 'mirror', database: 'crm replica' });
  const missing = openingError(classify, Object.assign(new Error('database "crm replica" does not exist'), { code: '3D000' }));
  assert.equal(missing.code, 'REPLICA_UNREACHABLE');
  assert.match(missing.message, /Create it \(CREATE DATABASE "crm replica"\) or fix the replica settings\.$/);
  const refused = openingError(classify, Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
  assert.equal(refused.code, 'REPLICA_UNREACHABLE');
  assert.equal(refused.retriable, true);
  assert.equal(refused.message, 'PostgreSQL cannot be reached: connect ECONNREFUSED 127.0.0.1:1. Check that the server runs and the host/port are right.');
  const closed = openingError(classify, Object.assign(new Error('database "x" is not currently accepting connections'), { code: '55000' }));
  assert.match(closed.message, /\(ALLOW_CONNECTIONS false, maintenance\)\.$/);
  const own = new MirrorError('SECRET_ENV_MISSING', 'PGPASS is not set');
  assert.equal(openingError(classify, own), own);
  await assert.rejects(connectReplica({ connect: () => Promise.reject(Object.assign(new Error('password authentication failed for user "mirror"'), { code: '28P01' })), classifyError: classify }),
    (e: unknown) => e instanceof MirrorError && e.code === 'REPLICA_PERMISSION' && /Check the user name and password/.test(e.message));
});
