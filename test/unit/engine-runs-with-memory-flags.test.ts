/**
 * Every engine process runs with ENGINE_NODE_FLAGS: the CLI through its shebang, and the flag really
 * caps V8's young generation (the reserve that made the engine's RSS ~400 MB at default flags); the CLI
 * and forked children use Node's compile cache (main/host/compile-cache.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ENGINE_ENV, ENGINE_NODE_FLAGS, engineProcessEnv } from '../../main/host/engine-flags.ts';
import { compileCacheDir, withCompileCache } from '../../main/host/compile-cache.ts';

const newSpaceMb = (flags: readonly string[]): number => {
  // Allocate enough short-lived objects that the young generation grows to what it may.
  const script = `const keep=[];for(let i=0;i<3e6;i++){keep.push({i});if(keep.length>2e5)keep.length=0}
const s=require('node:v8').getHeapSpaceStatistics().find((x)=>x.space_name==='new_space');process.stdout.write(String(s.space_size/1048576))`;
  return Number(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }));
};

test('the CLI starts node with ENGINE_ENV and ENGINE_NODE_FLAGS (its shebang)', () => {
  const first = readFileSync(new URL('../../bin/tenant-mirror', import.meta.url), 'utf8').split('\n')[0]!;
  const vars = Object.entries(ENGINE_ENV).map(([k, v]) => `${k}=${v}`).join(' ');
  assert.equal(first, `#!/usr/bin/env -S ${vars} node ${ENGINE_NODE_FLAGS.join(' ')}`);
});

test('the flags cap the young generation (default: larger)', () => {
  const capped = newSpaceMb(ENGINE_NODE_FLAGS);
  const free = newSpaceMb([]);
  assert.ok(capped <= 12, `new space with the flags: ${capped} MB`);
  assert.ok(free > capped, `new space without the flags (${free} MB) is not larger than with them (${capped} MB)`);
});

test('the CLI turns on Node\'s compile cache before it imports TypeScript (the type stripper is never loaded from a warm cache)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tm-cc-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: tmp };
    delete env.NODE_COMPILE_CACHE;
    delete env.NODE_DISABLE_COMPILE_CACHE;
    const cli = fileURLToPath(new URL('../../bin/tenant-mirror', import.meta.url));
    execFileSync(process.execPath, [...ENGINE_NODE_FLAGS, cli, '--help'], { env, encoding: 'utf8' });
    const dir = join(tmp, 'tenant-mirror', 'compile-cache');
    assert.equal(compileCacheDir(env), dir, 'the CLI and forked children use the same directory');
    const files = readdirSync(dir, { recursive: true }).length;
    assert.ok(files > 1, `the cache under ${dir} holds ${files} entries`);
    // Warm: importing the engine no longer costs the stripper's memory (cold ~95 MB, warm ~64 MB RSS).
    const rss = (): number => Number(execFileSync(process.execPath, ['--input-type=module', '-e',
      `import m from 'node:module'; m.enableCompileCache(${JSON.stringify(dir)}); await import(${JSON.stringify(fileURLToPath(new URL('../../main/engine/engine.ts', import.meta.url)))}); process.stdout.write(String(process.memoryUsage().rss / 1048576))`], { env, encoding: 'utf8' }));
    const cold = rss(); // the engine's own files (the CLI's import above covers most of them)
    const warm = rss();
    assert.ok(warm < cold + 5, `warm ${warm.toFixed(0)} MB vs first ${cold.toFixed(0)} MB`);
    const stripped = Number(execFileSync(process.execPath, ['--input-type=module', '-e',
      `await import(${JSON.stringify(fileURLToPath(new URL('../../main/engine/engine.ts', import.meta.url)))}); process.stdout.write(String(process.memoryUsage().rss / 1048576))`], { env: { ...env, NODE_DISABLE_COMPILE_CACHE: '1' }, encoding: 'utf8' }));
    assert.ok(warm + 15 < stripped, `from the cache ${warm.toFixed(0)} MB RSS, stripped each time ${stripped.toFixed(0)} MB`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('forked engine children inherit the compile cache, and an explicit setting wins', () => {
  assert.equal(withCompileCache({ XDG_CACHE_HOME: '/c' }).NODE_COMPILE_CACHE, join('/c', 'tenant-mirror', 'compile-cache'));
  assert.ok(!withCompileCache({}).NODE_COMPILE_CACHE!.startsWith(tmpdir()), 'never a shared temp directory');
  assert.equal(withCompileCache({ NODE_COMPILE_CACHE: '/x' }).NODE_COMPILE_CACHE, '/x');
  assert.equal(withCompileCache({ NODE_DISABLE_COMPILE_CACHE: '1' }).NODE_COMPILE_CACHE, undefined);
  const env = engineProcessEnv({ PATH: '/bin' });
  assert.equal(env.MALLOC_ARENA_MAX, '2');
  assert.equal(env.PATH, '/bin');
  assert.ok(env.NODE_COMPILE_CACHE);
  assert.equal(engineProcessEnv({ MALLOC_ARENA_MAX: '8' }).MALLOC_ARENA_MAX, '8', 'a user\'s own setting wins');
});
