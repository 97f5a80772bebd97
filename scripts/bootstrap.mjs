#!/usr/bin/env node
/**
 * Folder scripts/: bootstrap (npm test, npm run demo), the demo, the test runner, npm start, the icon maker.
 *
 * The README's commands start here: `npm test` and `npm run demo` call
 * `node scripts/bootstrap.mjs <target> [args…]`, which brings a fresh machine to what the target needs,
 * each step only when needed and announced with its duration, then runs the target under Node 24.
 * Plain JavaScript on purpose: it runs on whatever Node the machine has (≥ 18).
 *
 *   1. system packages (Java, Maven, MariaDB server, PostgreSQL server, Chromium) the target needs:
 *      apt-get installs them as root, otherwise the one command to run is printed and we stop;
 *   2. Node 24: the running Node if it is 24, else npm's `node@24` package in $NODE24_DIR
 *      (default ~/.cache/tenant-mirror/node24), installed there when missing;
 *   3. `npm ci` when node_modules is missing or older than package-lock.json;
 *   4. the stack's jars (test/harness/java/fetch-jars.sh) when the target starts the stack.
 *
 * Targets: `test [tiers…]` → scripts/run-tests.ts · `demo [options]` → scripts/demo.ts ·
 * `check` → typecheck, lint, svelte-check, build (out/) · `setup` → everything `test` needs, runs nothing.
 * TM_BOOTSTRAP_DRY_RUN=1 announces the steps that are needed without doing them (the unit test uses it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = 0; // performance.now() counts from this process's start
const dryRun = process.env.TM_BOOTSTRAP_DRY_RUN === '1';
const home = homedir();
const node24Dir = process.env.NODE24_DIR || path.join(home, '.cache', 'tenant-mirror', 'node24');
const tilde = (p) => (p.startsWith(`${home}/`) ? `~${p.slice(home.length)}` : p);
const secs = (from) => `${((performance.now() - from) / 1000).toFixed(from === started ? 2 : 1)} s`;
const say = (line) => process.stdout.write(`[bootstrap] ${line}\n`);
const fail = (line) => { process.stderr.write(`[bootstrap] ${line}\n`); process.exit(1); };

// The system CA bundle (it holds the registry proxy's CA on our machines) for npm and Node, if not set.
if (!process.env.NODE_EXTRA_CA_CERTS && existsSync('/etc/ssl/certs/ca-certificates.crt')) {
  process.env.NODE_EXTRA_CA_CERTS = '/etc/ssl/certs/ca-certificates.crt';
}

const isExec = (file) => { try { accessSync(file, constants.X_OK); return statSync(file).isFile(); } catch { return false; } };
const onPath = (cmd) => (process.env.PATH || '').split(path.delimiter).some((d) => d && isExec(path.join(d, cmd)));
/** PostgreSQL server binaries (initdb, postgres) as Debian installs them (test/harness/postgres.ts starts them). */
function postgresBinDir() {
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const v = majors.find((m) => isExec(path.join(base, m, 'bin', 'initdb')) && isExec(path.join(base, m, 'bin', 'postgres')));
  return v ? path.join(base, v, 'bin') : null;
}

const SYSTEM = {
  java: { pkg: 'openjdk-17-jre-headless', present: () => onPath('java') },
  maven: { pkg: 'maven', present: () => onPath('mvn') },
  mariadb: { pkg: 'mariadb-server', present: () => onPath('mariadbd') && onPath('mariadb-install-db') },
  postgresql: { pkg: 'postgresql', present: () => postgresBinDir() !== null },
  chromium: { pkg: 'chromium', present: () => isExec(process.env.CHROMIUM_PATH || '/usr/bin/chromium') },
};
const STACK = ['java', 'maven', 'mariadb', 'postgresql'];

/** What a target needs besides Node 24 and node_modules, and what it runs afterwards. */
function plan(target, args) {
  if (target === 'test' || target === 'setup') {
    const tiers = target === 'test' ? args.filter((a) => !a.startsWith('-')) : [];
    const all = tiers.length === 0;
    const stack = all || tiers.some((t) => t === 'integration' || t === 'e2e');
    const browser = all || tiers.some((t) => t === 'renderer' || t === 'e2e');
    return { system: [...(stack ? STACK : []), ...(browser ? ['chromium'] : [])], jars: stack, run: target === 'test' ? [['scripts/run-tests.ts', ...args]] : [] };
  }
  if (target === 'demo') return { system: STACK, jars: true, run: [['scripts/demo.ts', ...args]] };
  if (target === 'check') return { system: [], jars: false, run: ['typecheck', 'lint', 'check:renderer', 'build'].map((s) => ['npm', 'run', s]) };
  return fail(`unknown target "${target}" (test | demo | check | setup)`);
}

/** Runs a command to completion with inherited output; stops the bootstrap when it fails. */
function mustRun(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`})`);
}

let stepsRun = 0;
function step(what, fn) {
  stepsRun++;
  say(`${what}…`);
  if (dryRun) return;
  const t = performance.now();
  fn();
  say(`  done in ${secs(t)}`);
}

/** 2. The Node 24 binary to run the target with. */
function ensureNode24() {
  if (process.versions.node.split('.')[0] === '24') return process.execPath;
  const bin = path.join(node24Dir, 'node_modules', 'node', 'bin', 'node');
  if (!isExec(bin)) {
    step(`installing Node 24 (npm's node@24 package) into ${tilde(node24Dir)} (this Node is v${process.versions.node})`, () => {
      mustRun('npm', ['install', '--prefix', node24Dir, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', 'node@24']);
    });
  }
  return bin;
}

/** 1. System packages: installed as root, otherwise the command is printed and we stop. */
function ensureSystem(names) {
  const missing = names.filter((n) => !SYSTEM[n].present());
  if (!missing.length) return;
  const pkgs = missing.map((n) => SYSTEM[n].pkg);
  const install = `apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    fail(`missing system packages (${missing.join(', ')}); install them with this command, then run the same npm command again:\n\n    sudo sh -c 'apt-get update && ${install}'\n`);
  }
  step(`apt-get install ${pkgs.join(' ')} (missing: ${missing.join(', ')})`, () => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    mustRun('apt-get', ['update', '-qq'], env);
    mustRun('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], env);
  });
}

/** 3. npm packages from the lockfile. npm ci writes node_modules/.package-lock.json last. */
function ensureNodeModules(env) {
  const stamp = path.join(ROOT, 'node_modules', '.package-lock.json');
  // An interrupted or failed npm ci can leave the stamp without the packages: check each dependency too.
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const missing = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).find((n) => !existsSync(path.join(ROOT, 'node_modules', n, 'package.json')));
  const why = !existsSync(stamp) ? 'node_modules missing'
    : missing ? `node_modules incomplete (${missing} missing)`
    : statSync(stamp).mtimeMs < statSync(path.join(ROOT, 'package-lock.json')).mtimeMs ? 'node_modules older than package-lock.json' : null;
  if (why) step(`npm ci (${why})`, () => mustRun('npm', ['ci', '--no-audit', '--no-fund'], env));
}

/** 4. Kafka, Connect and Debezium jars from Maven Central into .cache/stack. */
function ensureJars() {
  const script = path.join(ROOT, 'test', 'harness', 'java', 'fetch-jars.sh');
  if (spawnSync('bash', [script, '--check'], { cwd: ROOT }).status === 0) return;
  step('fetching the stack\'s jars from Maven Central into .cache/stack (test/harness/java/fetch-jars.sh)', () => mustRun('bash', [script]));
}

const [target = 'test', ...args] = process.argv.slice(2);
const want = plan(target, args);
ensureSystem(want.system); // first: without root it stops here, before any download
const node = ensureNode24();
const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH || ''}` };
ensureNodeModules(env);
if (want.jars) ensureJars();
const have = [`Node ${node === process.execPath ? `v${process.versions.node}` : `24 (${tilde(node)})`}`, 'node_modules', ...(want.jars ? ['stack jars'] : []), ...want.system];
say(`${dryRun ? 'dry run, ' : ''}${stepsRun ? 'set-up done' : 'all in place, checked'} in ${secs(started)}: ${have.join(', ')}`);

if (dryRun) {
  for (const cmd of want.run) say(`would run: ${cmd[0] === 'npm' ? cmd.join(' ') : `node ${cmd.join(' ')}`} under ${node}`);
  process.exit(0);
}

/** Runs one command under Node 24; Ctrl+C reaches it from the terminal, SIGTERM/SIGHUP are passed on. */
function runUnderNode24(cmd) {
  const [file, ...rest] = cmd[0] === 'npm' ? cmd : [node, ...cmd];
  return new Promise((resolve) => {
    const child = spawn(file, rest, { cwd: ROOT, stdio: 'inherit', env });
    const pass = (sig) => child.kill(sig);
    process.on('SIGINT', () => {}).on('SIGTERM', pass).on('SIGHUP', pass);
    child.on('exit', (code, sig) => {
      process.off('SIGTERM', pass).off('SIGHUP', pass);
      resolve(code ?? (sig === 'SIGINT' ? 130 : 1));
    });
  });
}

let code = 0;
for (const cmd of want.run) code = (await runUnderNode24(cmd)) || code;
process.exit(code);
