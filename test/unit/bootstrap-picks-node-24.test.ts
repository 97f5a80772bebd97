/**
 * The README's commands bootstrap a fresh machine (scripts/bootstrap.mjs). Run under the system Node
 * (older than 24) in dry-run mode, so nothing is downloaded: on a fresh copy it must announce Node 24,
 * npm ci and the jars; in this checkout, where everything is in place, it must only check, fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const systemNode = '/usr/bin/node';
const systemMajor = existsSync(systemNode) ? spawnSync(systemNode, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout.trim() : '';
const skip = !systemMajor ? `no ${systemNode}` : systemMajor === '24' ? 'the system Node is already 24' : false;

/** Runs the bootstrap with the system Node first on PATH (a `node` that is not 24), in dry-run mode. */
function bootstrap(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): { out: string; ms: number; code: number | null } {
  const bin = mkdtempSync(path.join(tmpdir(), 'tm-boot-bin-'));
  symlinkSync(systemNode, path.join(bin, 'node'));
  const t = Date.now();
  const r = spawnSync(systemNode, [path.join(dir, 'scripts/bootstrap.mjs'), ...args], {
    cwd: dir, encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env['PATH']}`, TM_BOOTSTRAP_DRY_RUN: '1', ...env },
  });
  rmSync(bin, { recursive: true, force: true });
  return { out: r.stdout + r.stderr, ms: Date.now() - t, code: r.status };
}

test('on a fresh copy under the system Node: installs Node 24, runs npm ci, fetches the jars, then runs the tests under Node 24', { skip }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tm-fresh-'));
  try {
    for (const f of ['scripts/bootstrap.mjs', 'package.json', 'package-lock.json', 'test/harness/java/fetch-jars.sh']) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      copyFileSync(path.join(root, f), path.join(dir, f));
    }
    const env = { NODE24_DIR: path.join(dir, 'node24'), STACK_CACHE: path.join(dir, 'stack') };
    const all = bootstrap(dir, ['test'], env);
    assert.equal(all.code, 0, all.out);
    assert.match(all.out, new RegExp(`installing Node 24 \\(npm's node@24 package\\) into ${env.NODE24_DIR} \\(this Node is v${systemMajor}\\.`));
    assert.match(all.out, /npm ci \(node_modules missing\)/);
    assert.match(all.out, /fetching the stack's jars from Maven Central/);
    assert.match(all.out, new RegExp(`would run: node scripts/run-tests.ts under ${env.NODE24_DIR}/node_modules/node/bin/node`));

    const unit = bootstrap(dir, ['test', 'unit'], env);
    assert.doesNotMatch(unit.out, /jars/, 'the unit tier starts no stack');
    assert.match(unit.out, /would run: node scripts\/run-tests.ts unit under /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const cachedNode = path.join(process.env['NODE24_DIR'] ?? path.join(homedir(), '.cache/tenant-mirror/node24'), 'node_modules/node/bin/node');

test('in a set-up checkout a second run only checks, in well under 2 s, and picks the cached Node 24', { skip: skip || (!existsSync(cachedNode) && 'no cached Node 24') }, () => {
  const r = bootstrap(root, ['test', 'unit']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /all in place, checked in \d+\.\d\d s/);
  assert.doesNotMatch(r.out, /…/, 'no step announced');
  assert.ok(r.ms < 2000, `took ${r.ms} ms`);
  const node = /would run: node scripts\/run-tests.ts unit under (\S+)/.exec(r.out)?.[1];
  assert.equal(node, cachedNode);
  assert.match(spawnSync(node!, ['-v'], { encoding: 'utf8' }).stdout, /^v24\./);
});
