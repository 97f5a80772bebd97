/**
 * Only a provision creates a SQLite replica's file: an engine started on a path with no file (serve or the
 * desktop app with settings whose replica file was moved or mistyped) fails REPLICA_NOT_PROVISIONED naming
 * the path, and leaves no empty database behind (until 2026-12-07 it created one holding only
 * _ReplicationState and a lease, then said "no session").
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { createEngine } from '../../main/engine/engine.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { silentLogger } from '../../main/engine/log.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'tm-nofile-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const settingsFor = (file: string) => settingsSchema.parse({ tenant: { ctx: 'acme', brokers: ['127.0.0.1:1'] }, replica: { kind: 'sqlite', file } });

test('start on a SQLite path with no file: REPLICA_NOT_PROVISIONED naming the path, no file created', async () => {
  const file = join(dir, 'replica.db');
  const e = await createEngine(settingsFor(file), { log: silentLogger });
  await assert.rejects(e.start(), (err: unknown) => err instanceof MirrorError && err.code === 'REPLICA_NOT_PROVISIONED' && err.message.includes(`no replica at ${file} yet`));
  await e.stop();
  assert.equal(existsSync(file), false, 'no replica file was created');
});

test('start on a SQLite file of another database (no _ReplicationState): REPLICA_NOT_PROVISIONED, nothing created in it; provision creates it', async () => {
  const file = join(dir, 'theirs.db');
  new Database(file).exec('CREATE TABLE theirs (id INTEGER PRIMARY KEY)').close();
  const tables = (): string[] => (new Database(file, { readonly: true }).prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as Array<{ name: string }>).map((r) => r.name);
  const e = await createEngine(settingsFor(file), { log: silentLogger });
  await assert.rejects(e.start(), (err: unknown) => err instanceof MirrorError && err.code === 'REPLICA_NOT_PROVISIONED'
    && err.message.includes(`no Tenant Mirror replica in SQLite ${file} yet (it has no _ReplicationState; nothing was created in it)`));
  await assert.rejects(e.resetOffsets(), (err: unknown) => err instanceof MirrorError && err.code === 'REPLICA_NOT_PROVISIONED');
  await e.stop();
  assert.deepEqual(tables(), ['theirs'], 'no _ReplicationState, no lease row');
  // A provision does create it (it then fails at Kafka, unreachable here: the state table is made first).
  const p = await createEngine(settingsFor(file), { log: silentLogger });
  await assert.rejects(p.provision(), (err: unknown) => err instanceof MirrorError && err.code === 'KAFKA_UNREACHABLE');
  await p.stop();
  assert.deepEqual(tables(), ['_ReplicationState', 'theirs']);
});

test('a relative SQLite path of another database: the message names the file in full, as the missing-file message does', async () => {
  const file = join(dir, 'relative.db');
  new Database(file).exec('CREATE TABLE theirs (id INTEGER PRIMARY KEY)').close();
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const e = await createEngine(settingsFor('relative.db'), { log: silentLogger });
    await assert.rejects(e.start(), (err: unknown) => err instanceof MirrorError && err.code === 'REPLICA_NOT_PROVISIONED'
      && err.message.includes(`no Tenant Mirror replica in SQLite ${file} yet`));
    await e.stop();
  } finally { process.chdir(cwd); }
});
