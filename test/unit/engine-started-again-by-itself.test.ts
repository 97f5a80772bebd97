/**
 * serve and the desktop app (engine-runner.ts): an engine whose start failed with an error trying again may
 * cure (the replica's server or Kafka not up yet when the app starts at login) or whose child process died
 * is started again by itself after a wait, saying when — also when a command that ends by itself (a
 * `resync-tables` from a terminal) held the replica; an error only a person can cure (another `sync` writes
 * the replica), a provision (the setup wizard's), or a stop by the user is not tried again. Before
 * 2026-12-06 evening the engine stayed stopped until someone pressed a button.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEngineRunner, type EngineRunner } from '../../main/host/engine-runner.ts';
import { createEngineSlot } from '../../main/host/engine-slot.ts';
import type { ChildHandle } from '../../main/host/engine-proxy.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { inUseError } from '../../main/engine/state/lease-rules.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';
import type { ErrorData } from '../../preload/contract/errors.ts';
import { FakeEngine } from '../doubles/fake-engine.ts';
import { inProcessChild } from '../doubles/in-process-child.ts';

const settings = settingsSchema.parse({ tenant: { ctx: 'acme', brokers: ['127.0.0.1:1'] }, replica: { kind: 'sqlite', file: '/tmp/never-opened.sqlite' } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Engines whose start fails with `failures[i]` on the i-th start (then succeeds); every child made is kept. */
function engines(failures: Array<MirrorError | null>) {
  const children: ChildHandle[] = [];
  let starts = 0;
  const spawn = (): ChildHandle => {
    const fake = new FakeEngine();
    const fail = failures[starts++] ?? null;
    fake.start = async () => { if (fail) throw fail; };
    const c = inProcessChild(fake);
    children.push(c);
    return c;
  };
  return { spawn, children, starts: () => starts };
}

function runner(spawn: () => ChildHandle, more: { retryDelaysMs?: number[]; heldLookMs?: number } = {}) {
  const slot = createEngineSlot();
  // Each planned try with the reason then shown (lastError, set before onRetry is told).
  const retries: Array<{ err: ErrorData; at: number; shown: string }> = [];
  const r: EngineRunner = createEngineRunner({ slot, spawn, retryDelaysMs: [40, 80], onRetry: (err, at) => retries.push({ err, at, shown: r.lastError()?.message ?? '' }), ...more });
  return { slot, r, retries };
}

const unreachable = () => new MirrorError('REPLICA_UNREACHABLE', 'PostgreSQL cannot be reached: connect ECONNREFUSED 127.0.0.1:5432', { retriable: true });

test('a start that fails with a retriable error is tried again after the delays, said with the time of the next try, until it runs', async () => {
  const e = engines([unreachable(), unreachable(), null]);
  const { slot, r, retries } = runner(e.spawn);
  const t0 = Date.now();
  await assert.rejects(r.restart(settings), (err: unknown) => err instanceof MirrorError && err.code === 'REPLICA_UNREACHABLE');
  const shown = r.lastError();
  assert.equal(shown?.code, 'REPLICA_UNREACHABLE');
  assert.match(shown?.message ?? '', /^PostgreSQL cannot be reached: connect ECONNREFUSED 127\.0\.0\.1:5432; Tenant Mirror starts the engine again by itself at \d\d:\d\d:\d\d UTC \(try 2\)$/);
  assert.equal(typeof shown?.detail?.retryAt, 'number');
  for (let i = 0; i < 100 && !slot.current(); i++) await sleep(10);
  assert.ok(slot.current(), 'the engine runs after the third start');
  assert.equal(e.starts(), 3);
  assert.equal(r.lastError(), null);
  assert.deepEqual(retries.map((x) => x.at - t0 >= 0), [true, true]);
  assert.ok(retries[1]!.at - retries[0]!.at >= 80 - 5, 'the second wait is the second delay');
  await r.stop();
});

/** REPLICA_IN_USE as the engine child's start reports it: the lease rules' error, across the process boundary (its data). */
function heldBy(command: string, pid: number): MirrorError {
  const now = Date.now();
  return MirrorError.fromData(inUseError({ ownerId: 'o', host: 'h', pid, epoch: 3, heartbeatAt: now - 1000, startedAt: now - 60_000, command }, now, 20_000).toData());
}

test('an error only a person can cure (REPLICA_IN_USE, held by another sync) is not tried again; nor is a provision; nor after stop()', async () => {
  const inUse = heldBy('sync', 1);
  const a = engines([inUse]);
  const ra = runner(a.spawn);
  await assert.rejects(ra.r.restart(settings));
  await sleep(200);
  assert.equal(a.starts(), 1);
  assert.equal(ra.retries.length, 0);
  assert.doesNotMatch(ra.r.lastError()?.message ?? '', /again by itself/);

  const b = engines([unreachable()]);
  const rb = runner(b.spawn);
  await assert.rejects(rb.r.restart(settings, { provision: true }));
  await sleep(200);
  assert.equal(b.starts(), 1, 'the wizard shows the provision\'s error; it is run again when asked again');

  const c = engines([unreachable(), unreachable(), unreachable()]);
  const rc = runner(c.spawn);
  await assert.rejects(rc.r.restart(settings));
  await rc.r.stop();
  await sleep(200);
  assert.equal(c.starts(), 1, 'stopped by the user: not started again');
});

test('the replica held by a command that ends by itself (a resync-tables run from a terminal): tried again, and the engine runs once the command ended', async () => {
  const inUse = heldBy('resync-tables', 7);
  const e = engines([inUse, inUse, null]);
  const { slot, r, retries } = runner(e.spawn);
  await assert.rejects(r.restart(settings), (err: unknown) => err instanceof MirrorError && err.code === 'REPLICA_IN_USE');
  // Not the error's advice to stop the holder: who holds it, that it ends by itself, and the next look.
  assert.match(r.lastError()?.message ?? '', /^the replica is being written by `resync-tables` on h pid 7, a command that ends by itself: Tenant Mirror starts the engine once it has ended; it looks again at \d\d:\d\d:\d\d UTC$/);
  for (let i = 0; i < 100 && !slot.current(); i++) await sleep(10);
  assert.ok(slot.current(), 'the engine runs after the third start');
  assert.equal(e.starts(), 3);
  assert.equal(retries.length, 2);
  await r.stop();
});

test('while such a command holds the replica the engine looks again at most heldLookMs apart, whatever the delays reached; its looks are not tries: another error after it waits the first delay', async () => {
  const inUse = heldBy('update-schema', 8);
  const e = engines([inUse, inUse, inUse, unreachable(), null]);
  const { slot, r, retries } = runner(e.spawn, { retryDelaysMs: [40, 400], heldLookMs: 60 });
  await assert.rejects(r.restart(settings));
  for (let i = 0; i < 300 && !slot.current(); i++) await sleep(10);
  assert.ok(slot.current(), 'the engine runs after the fifth start');
  assert.deepEqual(retries.map((x) => x.err.code), ['REPLICA_IN_USE', 'REPLICA_IN_USE', 'REPLICA_IN_USE', 'REPLICA_UNREACHABLE']);
  // The planned looks: held, 40 ms then 60 apart (not the delays' 400); the unreachable replica after them
  // is its first try, 40 ms (before 2026-12-07 the looks counted as tries: 400, and its message said "try 5").
  const gaps = retries.slice(1).map((x, i) => x.at - retries[i]!.at);
  assert.ok(gaps[0]! >= 60 && gaps[0]! < 300 && gaps[1]! >= 60 && gaps[1]! < 300, `held: looks ~60 ms apart: ${JSON.stringify(gaps)}`);
  assert.ok(gaps[2]! >= 40 && gaps[2]! < 300, `the unreachable replica after the looks: the first delay, 40 ms: ${JSON.stringify(gaps)}`);
  assert.match(retries[3]!.shown, /again by itself at \d\d:\d\d:\d\d UTC \(try 2\)$/, `the unreachable replica is said as its first try: ${retries[3]!.shown}`);
  assert.doesNotMatch(retries[2]!.shown, /\(try/, `a look is not said as a try: ${retries[2]!.shown}`);
  assert.equal(e.starts(), 5);
  await r.stop();
});

test('an engine child that dies is started again by itself; one stopped on purpose is not', async () => {
  const e = engines([]);
  const { slot, r, retries } = runner(e.spawn);
  await r.restart(settings);
  e.children[0]!.kill();
  await sleep(5);
  assert.equal(slot.current(), null);
  assert.match(r.lastError()?.message ?? '', /the engine process exited unexpectedly \(code 1\); Tenant Mirror starts the engine again by itself at/);
  for (let i = 0; i < 100 && !slot.current(); i++) await sleep(10);
  assert.ok(slot.current(), 'started again');
  assert.equal(e.starts(), 2);
  assert.equal(retries[0]?.err.code, 'ENGINE_STOPPED');
  await r.stop();
  await sleep(200);
  assert.equal(e.starts(), 2, 'a stop is not a death');
  assert.equal(slot.current(), null);
});

test('a child that dies soon after each start goes on with the longer delays (no crash loop every 5 s); one that ran steadily starts them over', async () => {
  const e = engines([]);
  const slot = createEngineSlot();
  const waits: number[] = [];
  const r = createEngineRunner({ slot, spawn: e.spawn, retryDelaysMs: [40, 250], steadyMs: 600, onRetry: (_err, at) => waits.push(at - Date.now()) });
  const running = async (n: number): Promise<void> => {
    for (let i = 0; i < 200 && !(slot.current() && e.starts() === n); i++) await sleep(10);
    assert.equal(e.starts(), n);
    assert.ok(slot.current(), `child ${n} runs`);
  };
  await r.restart(settings);
  e.children[0]!.kill();
  await running(2);
  e.children[1]!.kill(); // died 0 ms after its start: the next delay
  await running(3);
  await sleep(800); // ran longer than steadyMs (a child that died "at once" above has 600 ms of margin on a loaded machine)
  e.children[2]!.kill();
  await running(4);
  await r.stop();
  assert.equal(waits.length, 3);
  assert.ok(waits[0]! <= 40 && waits[0]! > 20, `first wait ${waits[0]}`);
  assert.ok(waits[1]! > 200, `a child that died at once waits the second delay: ${waits[1]}`);
  assert.ok(waits[2]! <= 40, `a child that ran steadily starts the delays over: ${waits[2]}`);
});
