import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServeArgs, SERVE_USAGE, UsageError, wantsServeHelp } from '../../main/commands/serve-args.ts';
import { tokenMatches } from '../../main/ipc/ws-server.ts';

const d = { staticDir: '/app/out/renderer' };

test('defaults: 127.0.0.1, a free port, a fresh random token', () => {
  const a = parseServeArgs([], d);
  const b = parseServeArgs([], d);
  assert.equal(a.host, '127.0.0.1');
  assert.equal(a.port, 0);
  assert.equal(a.tokenGenerated, true);
  assert.ok(a.token.length >= 32);
  assert.notEqual(a.token, b.token);
  assert.equal(a.staticDir, '/app/out/renderer');
});

test('binding elsewhere needs --host and --token; short tokens are refused', () => {
  assert.throws(() => parseServeArgs(['--host', '0.0.0.0'], d), UsageError);
  assert.throws(() => parseServeArgs(['--host', '0.0.0.0', '--token', 'short'], d), UsageError);
  const o = parseServeArgs(['--host=0.0.0.0', '--token', 'a-long-enough-token-1234', '--port', '8080'], d);
  assert.deepEqual([o.host, o.port, o.token, o.tokenGenerated], ['0.0.0.0', 8080, 'a-long-enough-token-1234', false]);
  assert.equal(parseServeArgs(['--host', '::1'], d).tokenGenerated, true);
  assert.throws(() => parseServeArgs(['--port', '99999'], d), UsageError);
  assert.throws(() => parseServeArgs(['--bogus'], d), UsageError);
  assert.throws(() => parseServeArgs(['--token'], d), UsageError);
});

test('the options every command has: -c as --config, $TENANT_MIRROR_CONFIG as the default, -h / --help (before 2026-12-07: "unknown argument")', () => {
  assert.equal(parseServeArgs(['-c', '/etc/tm.json'], d).config, '/etc/tm.json');
  assert.equal(parseServeArgs([], { ...d, config: '/env/tm.json' }).config, '/env/tm.json');
  assert.equal(parseServeArgs(['--config', '/given.json'], { ...d, config: '/env/tm.json' }).config, '/given.json');
  assert.equal(parseServeArgs([], d).config, 'tenant-mirror.json');
  assert.ok(wantsServeHelp(['--help']) && wantsServeHelp(['--port', '1', '-h']) && !wantsServeHelp(['--port', '1']));
  assert.match(SERVE_USAGE, /-c, --config <file>.*\$TENANT_MIRROR_CONFIG/);
  assert.match(SERVE_USAGE, /-h, --help/);
});

test('token comparison is exact', () => {
  assert.equal(tokenMatches('abc', 'abc'), true);
  assert.equal(tokenMatches('abd', 'abc'), false);
  assert.equal(tokenMatches('', 'abc'), false);
  assert.equal(tokenMatches(null, 'abc'), false);
});
