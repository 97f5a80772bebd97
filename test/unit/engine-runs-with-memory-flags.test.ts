/**
 * Every engine process runs with ENGINE_NODE_FLAGS: the CLI through its shebang, and the flag really
 * caps V8's young generation (the reserve that made the engine's RSS ~400 MB at default flags).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ENGINE_NODE_FLAGS } from '../../main/host/engine-flags.ts';

const newSpaceMb = (flags: readonly string[]): number => {
  // Allocate enough short-lived objects that the young generation grows to what it may.
  const script = `const keep=[];for(let i=0;i<3e6;i++){keep.push({i});if(keep.length>2e5)keep.length=0}
const s=require('node:v8').getHeapSpaceStatistics().find((x)=>x.space_name==='new_space');process.stdout.write(String(s.space_size/1048576))`;
  return Number(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }));
};

test('the CLI starts node with ENGINE_NODE_FLAGS (its shebang)', () => {
  const first = readFileSync(new URL('../../bin/tenant-mirror', import.meta.url), 'utf8').split('\n')[0]!;
  assert.equal(first, `#!/usr/bin/env -S node ${ENGINE_NODE_FLAGS.join(' ')}`);
});

test('the flags cap the young generation (default: larger)', () => {
  const capped = newSpaceMb(ENGINE_NODE_FLAGS);
  const free = newSpaceMb([]);
  assert.ok(capped <= 12, `new space with the flags: ${capped} MB`);
  assert.ok(free > capped, `new space without the flags (${free} MB) is not larger than with them (${capped} MB)`);
});
