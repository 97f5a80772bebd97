/**
 * A replica's session says which tenant it mirrors and (since 2026-12-05) under which tablePrefix its
 * tables were made. A config with another prefix made `sync` read on from the stored offsets and `info`
 * call every table "ok" while none of them existed where the config points; now both (and `provision`)
 * stop with CONFIG_INVALID (exit 2) naming both prefixes, before Kafka is reached. A session written
 * before the prefix was recorded is not checked for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MirrorError } from '../../main/engine/errors.ts';
import { createSqliteReplica } from '../../main/engine/replica/sqlite/index.ts';
import { assertSessionFits } from '../../main/engine/state/session-fit.ts';

const cli = fileURLToPath(new URL('../../bin/tenant-mirror', import.meta.url));
const tenant = { ctx: 'acme', brokers: ['127.0.0.1:1'] };
const code = (c: string) => (e: unknown): boolean => e instanceof MirrorError && e.code === c;

test('the rule: the tenant, then the prefix when the session recorded one', () => {
  assert.doesNotThrow(() => assertSessionFits({ ctx: 'acme', tablePrefix: '' }, { tenant, tablePrefix: '' }));
  assert.doesNotThrow(() => assertSessionFits({ ctx: 'acme', tablePrefix: 'mirror' }, { tenant, tablePrefix: 'mirror' }));
  assert.doesNotThrow(() => assertSessionFits({ ctx: 'acme' }, { tenant, tablePrefix: 'mirror' }), 'an older session: not known, not checked');
  assert.throws(() => assertSessionFits({ ctx: 'other', tablePrefix: '' }, { tenant, tablePrefix: '' }), code('TENANT_MISMATCH'));
  assert.throws(() => assertSessionFits({ ctx: 'acme', tablePrefix: '' }, { tenant, tablePrefix: 'mirror' }), (e: unknown) =>
    code('CONFIG_INVALID')(e) && /provisioned with tablePrefix "" \(its tables are there\), but the config says "mirror"/.test((e as Error).message));
});

test('a replica provisioned with tablePrefix "": sync, info and provision with "mirror" stop with CONFIG_INVALID, exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm-prefix-'));
  try {
    const file = join(dir, 'replica.db');
    const r = createSqliteReplica({ file, tablePrefix: '' });
    await r.connect();
    await r.ensureStateTable();
    await r.writeState([{ id: 'session', kind: 'session', value: JSON.stringify({ ctx: 'acme', topicPrefix: 'acme', brokers: tenant.brokers, replicationId: 'acme-0001', provisionedAt: 1, clientVersion: '0.1.0', tablePrefix: '' }) }]);
    await r.close();
    const config = join(dir, 'c.json');
    writeFileSync(config, JSON.stringify({ tenant, replica: { kind: 'sqlite', file }, tablePrefix: 'mirror' }));
    for (const command of ['sync', 'info', 'provision']) {
      const out = spawnSync(process.execPath, [cli, command, '-c', config], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(out.status, 2, `${command}: ${out.stdout}${out.stderr}`);
      assert.match(out.stdout + out.stderr, /error \[CONFIG_INVALID\]: this replica was provisioned with tablePrefix "" \(its tables are there\), but the config says "mirror": set tablePrefix back, or provision a fresh replica database for the new prefix/, command);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
