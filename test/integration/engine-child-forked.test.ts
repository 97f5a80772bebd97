/** The engine child transport across a real process (child_process.fork), with a fake engine inside. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createEngineRunner } from '../../main/host/engine-runner.ts';
import { createEngineSlot } from '../../main/host/engine-slot.ts';
import { forkEngineChild } from '../../main/host/fork-child.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';

const entry = fileURLToPath(new URL('../doubles/fake-engine-child.ts', import.meta.url));
const settings = (ctx: string) => settingsSchema.parse({ tenant: { ctx, brokers: ['k:9092'] }, replica: { kind: 'sqlite', file: '/tmp/none.db' } });

test('the runner starts, restarts and stops forked engine children; events survive the swap', async () => {
  const slot = createEngineSlot();
  const exits: Array<[number | null, boolean]> = [];
  const runner = createEngineRunner({ slot, spawn: () => forkEngineChild({ entry }), onExit: (code, expected) => exits.push([code, expected]) });
  const states: string[] = [];
  slot.on('state-changed', (e) => states.push(e.state));

  await runner.restart(settings('first'));
  assert.equal(slot.status()?.ctx, 'first');
  await slot.current()?.pause();
  await runner.restart(settings('second'));
  assert.equal(slot.status()?.ctx, 'second');
  await slot.current()?.pause();
  assert.deepEqual(states, ['paused', 'paused']);

  await assert.rejects(runner.restart(settings('fail')), (e: unknown) => e instanceof MirrorError && /refused by the fake/.test(e.message));
  assert.equal(slot.current(), null);
  assert.match(runner.lastError()?.message ?? '', /refused by the fake/);
  await runner.stop();
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(exits.length >= 3 && exits.every(([, expected]) => expected), JSON.stringify(exits));
});

test('a child that dies is reported and cleared from the slot', async () => {
  const slot = createEngineSlot();
  const handles: Array<ReturnType<typeof forkEngineChild>> = [];
  const runner = createEngineRunner({ slot, spawn: () => { const h = forkEngineChild({ entry }); handles.push(h); return h; } });
  await runner.restart(settings('crashy'));
  handles[0]?.kill();
  await handles[0]?.exited;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(slot.current(), null);
  assert.equal(runner.lastError()?.code, 'ENGINE_STOPPED');
});
