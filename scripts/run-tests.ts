/**
 * `npm test`: the unit, renderer (Svelte components in Vitest browser mode on Debian's Chromium),
 * integration and e2e tiers. The node:test tiers run in one run sharing one real stack (Kafka +
 * Connect/Debezium + MariaDB source + a private PostgreSQL) started here and described to the test processes
 * through MIRROR_STACK. `npm test -- unit` runs the unit tier only (no stack); `npm test -- renderer`
 * the component tests only.
 */
import '../main/no-timeout-negative-warning.ts';
import { spawn } from 'node:child_process';
import { startStack, describeStack, stopStack } from '../test/harness/stack.ts';

const tiers = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const want = tiers.length ? tiers : ['unit', 'renderer', 'integration', 'e2e'];
const globs = want.filter((t) => t !== 'renderer').map((t) => `test/${t}/**/*.test.ts`);
const needsStack = globs.some((g) => !g.startsWith('test/unit/'));

const run = (args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> => new Promise<number>((resolve) => {
  const child = spawn(process.execPath, args, { stdio: 'inherit', env });
  child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
});

let failed = 0;
if (want.includes('renderer')) {
  process.stdout.write('renderer component tests (Vitest browser mode, Chromium)…\n');
  failed |= await run(['node_modules/vitest/vitest.mjs', 'run', '-c', 'renderer/vitest.config.ts']);
}

const started = Date.now();
let stack: Awaited<ReturnType<typeof startStack>> | null = null;
const env = { ...process.env };
if (needsStack && !process.env.MIRROR_STACK) {
  process.stdout.write('starting the test stack (Kafka, Kafka Connect + Debezium, MariaDB source, PostgreSQL for replicas)…\n');
  stack = await startStack();
  env.MIRROR_STACK = describeStack(stack);
  // The PostgreSQL suites that take no stack (replica-postgres, one-writer-postgres) read libpq's variables.
  Object.assign(env, { PGHOST: stack.postgres.host, PGPORT: String(stack.postgres.port), PGUSER: stack.postgres.user });
  process.stdout.write(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

const stop = async () => { if (stack) { const s = stack; stack = null; await stopStack(s).catch(() => undefined); } };
process.on('SIGINT', () => { void stop().then(() => process.exit(130)); });

// The test files use kafkajs too: their processes load the same warning filter as every entry point.
const quiet = `--import=${new URL('../main/no-timeout-negative-warning.ts', import.meta.url).href}`;
// Not --test-force-exit: with it, replica-sqlite.test.ts ended after its first describe block and 26 tests
// never ran, silently (CI at 98a3716, 2026-12-02). A test that opens a timer or a socket closes it in its own clean-up.
if (globs.length) failed |= await run([quiet, '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`, '--test-timeout=600000', ...globs], env);
await stop();
const code = failed ? 1 : 0;
process.stdout.write(`tests finished in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
process.exit(code);
