import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimSingleInstance, viewFromArgv } from '../../main/app/single-instance.ts';
import type { SingleInstanceApp } from '../../main/app/single-instance.ts';

function fakeApp(lock: boolean) {
  const calls: string[] = [];
  let handler: ((e: unknown, argv: string[]) => void) | null = null;
  const app: SingleInstanceApp = {
    requestSingleInstanceLock: () => { calls.push('lock'); return lock; },
    quit: () => { calls.push('quit'); },
    on: (_ev, l) => { handler = l; },
  };
  return { app, calls, secondLaunch: (argv: string[]) => handler?.({}, argv) };
}

test('the first instance keeps running and focuses its window when launched again', () => {
  const { app, calls, secondLaunch } = fakeApp(true);
  const focused: Array<string | null> = [];
  assert.equal(claimSingleInstance(app, (v) => focused.push(v)), true);
  secondLaunch(['/opt/tm/tenant-mirror']);
  secondLaunch(['/opt/tm/tenant-mirror', '--open=tables']);
  assert.deepEqual(focused, [null, 'tables']);
  assert.deepEqual(calls, ['lock']);
});

test('a second instance hands off and quits without touching anything', () => {
  const { app, calls } = fakeApp(false);
  let focused = false;
  assert.equal(claimSingleInstance(app, () => { focused = true; }), false);
  assert.deepEqual(calls, ['lock', 'quit']);
  assert.equal(focused, false);
});

test('--open takes only known views', () => {
  assert.equal(viewFromArgv(['--open=settings']), 'settings');
  assert.equal(viewFromArgv(['--open=../../etc']), null);
  assert.equal(viewFromArgv([]), null);
});
