/**
 * `sync` started before the replica's server is up (a sync service at boot) waits for it, as the engine
 * does once running, saying when it tries again; with --until-caught-up only within --timeout, then the
 * classified error (exit 1). Before 2026-12-06 evening it ended at once with exit 1. The replica here is a
 * PostgreSQL port nothing listens on (a real ECONNREFUSED through the real classifier). The one-shot
 * commands (provision, reset-offsets, resync-tables, update-schema) wait the same way within --timeout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { spawnCli } from '../harness/cli-child.ts';

const CLI = join(import.meta.dirname, '../../main/cli.ts');
let dir = '';
let cfg = '';

before(async () => {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => { const p = (srv.address() as { port: number }).port; srv.close(() => resolve(p)); });
  });
  dir = mkdtempSync(join(tmpdir(), 'tm-sync-waits-'));
  cfg = join(dir, 'cfg.json');
  writeFileSync(cfg, JSON.stringify({
    tenant: { ctx: 'acme', brokers: ['127.0.0.1:1'] },
    replica: { kind: 'postgres', host: '127.0.0.1', port, database: 'mirror', user: 'mirror', ssl: false },
  }));
});
after(() => { rmSync(dir, { recursive: true, force: true }); });

const waits = /the replica cannot be reached \(.*ECONNREFUSED.*\); sync tries again at \d\d:\d\d:\d\d UTC \(Ctrl\+C to stop\)/;

test('sync: waits for the replica, says so, and stops on Ctrl+C (exit 130)', { timeout: 60_000 }, async () => {
  const p = spawnCli(CLI, ['sync', '-c', cfg]);
  try {
    for (let i = 0; i < 200 && p.running() && !waits.test(p.output()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(p.output(), waits);
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(p.running(), `still waiting: ${p.output().slice(-1000)}`);
    p.child.kill('SIGINT');
    const x = await p.exit;
    assert.equal(x.code, 130, p.output().slice(-1000));
  } finally { await p.kill9(); }
});

test('sync --until-caught-up: waits only within --timeout, then REPLICA_UNREACHABLE (exit 1)', { timeout: 60_000 }, async () => {
  const t0 = Date.now();
  const p = spawnCli(CLI, ['sync', '--until-caught-up', '--timeout', '8', '-c', cfg]);
  const x = await p.exit;
  const out = p.output();
  assert.equal(x.code, 1, out.slice(-1500));
  assert.equal(out.split('\n').filter((l) => waits.test(l)).length, 1, `one try again (5 s) fits in 8 s, the next (15 s) does not:\n${out.slice(-1500)}`);
  assert.match(out, /error \[REPLICA_UNREACHABLE\]/);
  assert.ok(Date.now() - t0 < 20_000, 'it did not wait past the timeout');
});

// provision, reset-offsets, resync-tables and update-schema ride the outage out too, within --timeout: before
// 2026-12-07 night each ended at once with exit 1 (no line saying it waits), where sync waited.
for (const args of [['provision'], ['reset-offsets'], ['resync-tables', 'app.orders'], ['update-schema']]) {
  test(`${args[0]}: waits for the replica within --timeout, says so, then REPLICA_UNREACHABLE (exit 1)`, { timeout: 60_000 }, async () => {
    const t0 = Date.now();
    const p = spawnCli(CLI, [...args, '--timeout', '8', '-c', cfg]);
    const x = await p.exit;
    const out = p.output();
    const line = new RegExp(`the replica cannot be reached \\(.*ECONNREFUSED.*\\); ${args[0]} tries again at \\d\\d:\\d\\d:\\d\\d UTC \\(within --timeout; Ctrl\\+C to stop\\)`);
    assert.equal(out.split('\n').filter((l) => line.test(l)).length, 1, `one try again (5 s) fits in 8 s, the next (15 s) does not:\n${out.slice(-1500)}`);
    assert.equal(x.code, 1, out.slice(-1500));
    assert.match(out, /error \[REPLICA_UNREACHABLE\]/);
    const took = Date.now() - t0;
    assert.ok(took > 5000 && took < 20_000, `it waited once, not past the timeout (${took} ms)`);
  });
}
