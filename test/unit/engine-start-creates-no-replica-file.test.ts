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
