/**
 * The command line never starts a second writer: with a live lease holder on the replica (here a
 * stand-in engine on a real SQLite file: a WriterLease with its heartbeat plus pollRequests), `sync` and
 * `provision` exit 6 naming the holder, and `update-schema` / `resync-tables` are handed to the holder
 * and print its outcome. The CLI runs as a real child process; no Kafka is involved.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../main/engine/log.ts';
import { createSqliteReplica, type SqliteReplica } from '../../main/engine/replica/sqlite/index.ts';
import { pollRequests } from '../../main/engine/state/request-runner.ts';
import type { RequestRecord } from '../../main/engine/state/requests.ts';
import { WriterLease } from '../../main/engine/state/writer-lease.ts';

const CLI = join(import.meta.dirname, '../../main/cli.ts');

function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('the CLI hands off to the process that holds the replica', () => {
  const name = randomBytes(4).toString('hex');
  const file = join(tmpdir(), `tm-cli-lease-${name}.db`);
  const config = join(tmpdir(), `tm-cli-lease-${name}.json`);
  let replica: SqliteReplica;
  let lease: WriterLease;
  let loop: NodeJS.Timeout;
  const handled: RequestRecord[] = [];
  const tableRow = (state: string) => ({ id: 'table:crm.contact', kind: 'table' as const, value: JSON.stringify({ id: 'crm.contact', state, staleReason: null }) });

  before(async () => {
    writeFileSync(config, JSON.stringify({ tenant: { ctx: 'acme', brokers: ['127.0.0.1:9'] }, replica: { kind: 'sqlite', file } }));
    replica = createSqliteReplica({ file, tablePrefix: '' });
    await replica.connect();
    await replica.ensureStateTable();
    lease = new WriterLease(replica, { command: 'sync', heartbeatMs: 1000, host: 'engine-host', pid: 31337 });
    await lease.acquire();
    lease.start();
    await replica.writeState([tableRow('ok')], [], lease.guard());
    const handle = async (req: RequestRecord): Promise<unknown> => {
      handled.push(req);
      if (req.kind === 'update-schema') return { created: ['crm.invoice'], altered: [], recreated: [], dropped: [], snapshotsRequested: ['crm.invoice'] };
      await replica.writeState([tableRow('resyncing')], [], lease.guard());
      setTimeout(() => { void replica.writeState([tableRow('ok')], [], lease.guard()); }, 1500);
      return { requested: req.args.tables };
    };
    let busy = false;
    loop = setInterval(() => {
      if (busy) return;
      busy = true;
      void pollRequests(replica, handle, silentLogger, { lease: () => lease.guard() }).finally(() => { busy = false; });
    }, 300);
  });

  after(async () => {
    clearInterval(loop);
    await lease.release();
    await replica.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`, config]) if (existsSync(f)) rmSync(f);
  });

  test('sync and provision exit 6 naming the holder', async () => {
    for (const command of ['sync', 'provision']) {
      const r = await cli([command, '-c', config]);
      assert.equal(r.code, 6, `${command}: ${r.err}`);
      assert.match(r.err, /error \[REPLICA_IN_USE\]: the replica is already being written by `sync` on engine-host pid 31337, running since/);
      assert.match(r.err, /stop that one first/);
    }
  });

  test('info names the writer', async () => {
    const r = await cli(['info', '-c', config]);
    assert.match(r.out, /writer: `sync` on engine-host pid 31337, running since .* \(last heartbeat \d+ s ago/);
  });

  test('update-schema is run by the holder and its result printed', async () => {
    const r = await cli(['update-schema', '-c', config]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /being written by `sync` on engine-host pid 31337.*that engine handles the update-schema request/);
    assert.match(r.out, /created: crm\.invoice\n/);
    assert.equal(handled.at(-1)?.kind, 'update-schema');
  });

  test('resync-tables is run by the holder; the CLI waits for the table to be ok again', async () => {
    const r = await cli(['resync-tables', 'crm.contact', '-c', config]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /resnapshot requested for crm\.contact/);
    assert.match(r.out, /^ok +crm\.contact.*\nresynced: crm\.contact$/m);
    assert.deepEqual(handled.at(-1)?.args.tables, ['crm.contact']);
    assert.equal((await replica.readState('request')).length, 0, 'no request row is left behind');
  });
});

describe('the process a request was handed to stops before it takes it up', () => {
  const name = randomBytes(4).toString('hex');
  const file = join(tmpdir(), `tm-cli-lease-gone-${name}.db`);
  const config = join(tmpdir(), `tm-cli-lease-gone-${name}.json`);
  let replica: SqliteReplica;

  before(async () => {
    // An unprovisioned replica: the command run here stops at that (REPLICA_NOT_PROVISIONED), which shows it did not give up.
    writeFileSync(config, JSON.stringify({ tenant: { ctx: 'acme', brokers: ['127.0.0.1:9'] }, replica: { kind: 'sqlite', file } }));
    replica = createSqliteReplica({ file, tablePrefix: '' });
    await replica.connect();
    await replica.ensureStateTable();
  });
  after(async () => {
    await replica.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`, config]) if (existsSync(f)) rmSync(f);
  });

  test('info: a holder on this host whose process is gone is said not running (before 2026-12-06 it was named as the writer, with no word of it)', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // a pid that has just exited (a reuse would only make this test fail)
    const lease = new WriterLease(replica, { command: 'provision', heartbeatMs: 1000, host: hostname(), pid: dead });
    await lease.acquire();
    try {
      const r = await cli(['info', '-c', config, '--log-level', 'error']);
      assert.match(r.out, new RegExp(`writer: \`provision\` on ${hostname()} pid ${dead}, .* — not running: its process is gone; the next process to start takes over at once`));
      const j = await cli(['info', '-c', config, '--json', '--log-level', 'error']);
      const w = (JSON.parse(j.out) as { writer: { live: boolean; processGone: boolean } }).writer;
      assert.deepEqual([w.live, w.processGone], [false, true]);
    } finally { await lease.release(); }
  });

  for (const [command, args, here] of [['update-schema', [], 'running the check here'], ['resync-tables', ['crm.contact'], 'asking for the resync here']] as const) {
    test(`${command}: withdrawn after the takeover grace and run here (before 2026-12-06: exit 1, "run the command again")`, async () => {
      const lease = new WriterLease(replica, { command: 'sync', heartbeatMs: 1000, host: 'engine-host', pid: 31337 });
      await lease.acquire();
      lease.start();
      // The holder never takes requests up, and releases the replica once the command has handed its request
      // over (its row is in the replica). A fixed delay raced the CLI's start-up on a loaded CI machine.
      const released = (async () => {
        for (const t0 = Date.now(); (await replica.readState('request')).length === 0; ) {
          if (Date.now() - t0 > 60_000) throw new Error('the command never handed its request over');
          await new Promise((r) => setTimeout(r, 100));
        }
        await new Promise((r) => setTimeout(r, 500));
        lease.stop();
        await lease.release();
      })();
      const r = await cli([command, ...args, '-c', config, '--log-level', 'error']);
      await released;
      assert.match(r.out, new RegExp(`that engine handles the ${command} request`));
      assert.match(r.out, new RegExp(`the engine that held the replica stopped before it took up the ${command} request; waiting up to 15 s for another process to take the replica over`));
      assert.match(r.out, new RegExp(`the engine that held the replica stopped before it took up the ${command} request \\(withdrawn\\); ${here}`));
      assert.match(r.err, /error \[REPLICA_NOT_PROVISIONED\]/, `run here, it opened the replica itself: ${r.err.slice(-500)}`);
      assert.equal((await replica.readState('request')).length, 0, 'no request row is left behind');
    });
  }
  test('update-schema: another process takes the replica over within the grace and runs the request (before 2026-12-06 it was withdrawn at once and run here, locking that process out)', async () => {
    const first = new WriterLease(replica, { command: 'sync', heartbeatMs: 1000, host: 'engine-host', pid: 31337 });
    await first.acquire();
    first.start();
    const second = new WriterLease(replica, { command: 'sync', heartbeatMs: 1000, host: 'engine-host', pid: 31338 });
    const handled: RequestRecord[] = [];
    let loop: NodeJS.Timeout | undefined;
    // The first holder never takes requests up and stops once the request is handed over; a second one
    // (a sync restarted after a crash) takes the replica 7 s later (after the command's 5 s look at the
    // holder found none) and runs pending requests.
    const takeover = (async () => {
      for (const t0 = Date.now(); (await replica.readState('request')).length === 0; ) {
        if (Date.now() - t0 > 60_000) throw new Error('the command never handed its request over');
        await new Promise((r) => setTimeout(r, 100));
      }
      first.stop();
      await first.release();
      await new Promise((r) => setTimeout(r, 7000));
      await second.acquire();
      second.start();
      let busy = false;
      loop = setInterval(() => {
        if (busy) return;
        busy = true;
        void pollRequests(replica, async (req) => { handled.push(req); return { created: ['crm.invoice'], altered: [], recreated: [], dropped: [], snapshotsRequested: [] }; },
          silentLogger, { lease: () => second.guard() }).finally(() => { busy = false; });
      }, 300);
    })();
    try {
      const r = await cli(['update-schema', '-c', config, '--log-level', 'error']);
      await takeover;
      assert.equal(r.code, 0, `${r.out}\n${r.err}`);
      assert.match(r.out, /the engine that held the replica stopped before it took up the update-schema request; waiting up to 15 s/);
      assert.match(r.out, /another process took the replica over: the request is left to it/);
      assert.match(r.out, /created: crm\.invoice\n/);
      assert.doesNotMatch(r.out + r.err, /withdrawn|REPLICA_NOT_PROVISIONED/);
      assert.equal(handled.length, 1, 'the second holder ran it, once');
      assert.equal((await replica.readState('request')).length, 0, 'no request row is left behind');
    } finally {
      clearInterval(loop);
      second.stop();
      await second.release();
    }
  });

  test('sync waits while a command that ends by itself holds the replica, and starts once it ended (before 2026-12-07: exit 6 at once)', async () => {
    const held = new WriterLease(replica, { command: 'resync-tables', heartbeatMs: 1000, host: 'cmd-host', pid: 4343 });
    await held.acquire();
    held.start();
    let out = '';
    let err = '';
    const p = spawn(process.execPath, [CLI, 'sync', '-c', config, '--log-level', 'error'], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((r) => p.on('close', (code) => r(code)));
    try {
      for (const t0 = Date.now(); !/a command that ends by itself/.test(out); await new Promise((r) => setTimeout(r, 100))) {
        if (Date.now() - t0 > 60_000 || p.exitCode !== null) throw new Error(`sync never said it waits: ${out}\n${err}`);
      }
      // Three more looks at the lease (every 2 s): still waiting, said once.
      await new Promise((r) => setTimeout(r, 6500));
      assert.equal(p.exitCode, null, `sync still waits: ${out}\n${err}`);
      assert.match(out, /the replica is being written by `resync-tables` on cmd-host pid 4343, a command that ends by itself: sync starts once it has ended/);
      assert.equal(out.match(/a command that ends by itself/g)?.length, 1, out);
      held.stop();
      await held.release();
      // Past the lease, the engine opens this unprovisioned replica itself and stops at that: exit 4.
      assert.equal(await exited, 4, `${out}\n${err}`);
      assert.match(err, /error \[REPLICA_NOT_PROVISIONED\]/);
      assert.doesNotMatch(err, /REPLICA_IN_USE/);
    } finally {
      held.stop();
      await held.release().catch(() => undefined);
      if (p.exitCode === null) p.kill('SIGKILL');
    }
  });

  test('sync --until-caught-up waits for such a command within --timeout only; another sync holding the replica ends it at once', async () => {
    const held = new WriterLease(replica, { command: 'update-schema', heartbeatMs: 1000, host: 'cmd-host', pid: 4344 });
    await held.acquire();
    held.start();
    try {
      const t0 = Date.now();
      const r = await cli(['sync', '--until-caught-up', '--timeout', '5', '-c', config, '--log-level', 'error']);
      assert.equal(r.code, 6, `${r.out}\n${r.err}`);
      assert.match(r.out, /`update-schema` on cmd-host pid 4344, a command that ends by itself: sync starts once it has ended \(within --timeout\)/);
      assert.match(r.err, /error \[REPLICA_IN_USE\]: the replica is being written by `update-schema` on cmd-host pid 4344, a command that ends by itself, had not ended within --timeout \(5 s\); nothing was synced/);
      assert.ok(Date.now() - t0 >= 3000, `it waited before giving up (${Date.now() - t0} ms)`);
    } finally { held.stop(); await held.release(); }
    const other = new WriterLease(replica, { command: 'sync', heartbeatMs: 1000, host: 'cmd-host', pid: 4345 });
    await other.acquire();
    other.start();
    try {
      const r = await cli(['sync', '-c', config, '--log-level', 'error']);
      assert.equal(r.code, 6, `${r.out}\n${r.err}`);
      assert.match(r.err, /error \[REPLICA_IN_USE\]: the replica is already being written by `sync` on cmd-host pid 4345/);
      assert.doesNotMatch(r.out, /ends by itself/);
    } finally { other.stop(); await other.release(); }
  });

  test('reset-offsets and provision wait for a command that ends by itself within --timeout, then go on; another sync refuses them at once (before 2026-12-07 night: exit 6 at once)', async () => {
    for (const command of ['reset-offsets', 'provision']) {
      const held = new WriterLease(replica, { command: 'resync-tables', heartbeatMs: 1000, host: 'cmd-host', pid: 4346 });
      await held.acquire();
      held.start();
      try {
        const t0 = Date.now();
        const r = await cli([command, '--timeout', '5', '-c', config, '--log-level', 'error']);
        assert.equal(r.code, 6, `${command}: ${r.out}\n${r.err}`);
        assert.match(r.out, /`resync-tables` on cmd-host pid 4346, a command that ends by itself: this command starts once it has ended \(within --timeout; Ctrl\+C to stop\)/);
        assert.equal(r.out.match(/a command that ends by itself/g)?.length, 1, r.out);
        assert.match(r.err, /error \[REPLICA_IN_USE\]: the replica is being written by `resync-tables` on cmd-host pid 4346, a command that ends by itself, had not ended within --timeout; nothing was done/);
        assert.ok(Date.now() - t0 >= 4000, `${command} waited before giving up (${Date.now() - t0} ms)`);
        // Released while it waits: it goes on (and stops at what comes next — this replica has no session).
        const going = cli([command, '--timeout', '60', '-c', config, '--log-level', 'error']);
        await new Promise((r) => setTimeout(r, 3000));
        held.stop();
        await held.release();
        const r2 = await going;
        assert.match(r2.out, /a command that ends by itself: this command starts once it has ended/, `${command}: ${r2.out}\n${r2.err}`);
        assert.doesNotMatch(r2.err, /REPLICA_IN_USE/, `${command} went on once the command ended: ${r2.out}\n${r2.err}`);
      } finally { held.stop(); await held.release().catch(() => undefined); }
      const other = new WriterLease(replica, { command: 'sync', heartbeatMs: 1000, host: 'cmd-host', pid: 4347 });
      await other.acquire();
      other.start();
      try {
        const t0 = Date.now();
        const r = await cli([command, '--timeout', '30', '-c', config, '--log-level', 'error']);
        assert.equal(r.code, 6, `${command}: ${r.out}\n${r.err}`);
        assert.match(r.err, /error \[REPLICA_IN_USE\]: the replica is already being written by `sync` on cmd-host pid 4347/);
        assert.ok(Date.now() - t0 < 20_000, `refused at once (${Date.now() - t0} ms)`);
      } finally { other.stop(); await other.release(); }
    }
  });
});
