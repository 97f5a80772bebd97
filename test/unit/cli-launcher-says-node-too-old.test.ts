/**
 * `bin/tenant-mirror` under a Node older than 24 (the system Node here): a clear error naming the Node it
 * found and how to get Node 24, exit 2 — not Node's ERR_UNKNOWN_FILE_EXTENSION at the first TypeScript
 * import. Under this process's Node (24) the same launcher runs the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../bin/tenant-mirror', import.meta.url));
const systemNode = '/usr/bin/node';
const systemMajor = existsSync(systemNode) ? spawnSync(systemNode, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout.trim() : '';
const skip = !systemMajor ? `no ${systemNode}` : Number(systemMajor) >= 24 ? 'the system Node is 24 or newer' : false;

test('under the system Node (older than 24): NODE_TOO_OLD, the version found and the way to Node 24, exit 2', { skip }, () => {
  const r = spawnSync(systemNode, [cli, 'info', '-c', '/nonexistent.json'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^error \[NODE_TOO_OLD\]: tenant-mirror needs Node\.js 24, this is v\d+\./);
  assert.ok(r.stderr.includes(systemNode), 'names the node that ran it');
  assert.ok(r.stderr.includes('npm run check') && r.stderr.includes('.cache/tenant-mirror/node24'), 'says how to get Node 24');
  assert.doesNotMatch(r.stderr, /ERR_UNKNOWN_FILE_EXTENSION/);
});

test('under Node 24 the launcher runs the CLI', () => {
  const r = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^tenant-mirror \S+ \(node 24\./);
});
