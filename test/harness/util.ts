/**
 * Shared helpers for the test stack harness: free ports, temp dirs, polling, and child-process
 * management (JVMs and mariadbd) with SIGTERM → SIGKILL stop and cleanup on process exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const stackCache: string = process.env.STACK_CACHE ?? join(repoRoot, '.cache/stack');
export const stackLib: string = join(stackCache, 'lib');
export const stackPlugins: string = join(stackCache, 'plugins');

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A free TCP port on 127.0.0.1 (bind to port 0 and release it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(process.env.STACK_TMP ?? tmpdir(), `${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Random tenant context id: `t` + 8 hex chars (valid as topic, connector and database name part). */
export function randomCtx(): string {
  return `t${randomHex(4)}`;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  what?: string;
}

/** Thrown inside a waitFor callback to stop polling at once (e.g. a connector task FAILED). */
export class FatalWaitError extends Error {}

/** Polls `fn` until it returns a value other than undefined/false; throws after the timeout with the last error. */
export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      if (e instanceof FatalWaitError) throw e;
      lastErr = e;
    }
    if (Date.now() > deadline) {
      const why = lastErr instanceof Error ? `: ${lastErr.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}${why}`);
    }
    await sleep(intervalMs);
  }
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: never leave JVMs/mariadbd behind when the owning Node process exits.
  process.on('exit', () => {
    for (const c of liveChildren) {
      try { c.kill('SIGKILL'); } catch { /* already gone */ }
    }
  });
}

export interface ManagedProcessOptions {
  cmd: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout+stderr go to this file (appended). */
  logFile: string;
  name: string;
  /** Signal stop() sends first (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
  /** Run as this user (when we are root; PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
}

/** A child process whose output goes to a log file; stop() sends SIGTERM then SIGKILL. */
export class ManagedProcess {
  readonly opts: ManagedProcessOptions;
  child: ChildProcess | null = null;
  exitCode: number | null = null;
  exitSignal: string | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(opts: ManagedProcessOptions) {
    this.opts = opts;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.exitCode === null && this.exitSignal === null;
  }

  start(): void {
    installExitHook();
    const fd = openSync(this.opts.logFile, 'a');
    const child = spawn(this.opts.cmd, this.opts.args, {
      cwd: this.opts.cwd ?? repoRoot,
      env: this.opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
      ...(this.opts.uid !== undefined ? { uid: this.opts.uid, gid: this.opts.gid ?? this.opts.uid } : {}),
    });
    closeSync(fd);
    this.child = child;
    this.exitCode = null;
    this.exitSignal = null;
    liveChildren.add(child);
    this.exited = new Promise<void>((res) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        liveChildren.delete(child);
        res();
      });
      child.once('error', () => {
        this.exitCode = -1;
        liveChildren.delete(child);
        res();
      });
    });
  }

  /** Throws if the process has exited (used inside readiness polls to fail fast). */
  assertAlive(): void {
    if (this.child && !this.running) {
      throw new Error(`${this.opts.name} exited (code ${this.exitCode}, signal ${this.exitSignal}); see ${this.opts.logFile}`);
    }
  }

  async stop(timeoutMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(this.opts.stopSignal ?? 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((r) => { timer = setTimeout(() => r(true), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGKILL');
    await this.exited;
  }
}

/** Runs a command to completion; rejects with its output on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {}): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? repoRoot, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', rej);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) res(stdout);
      else rej(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString('utf8')}${stdout}`));
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Resident set size of a process in MB (from /proc), or null. */
export async function rssMb(pid: number | undefined): Promise<number | null> {
  if (!pid) return null;
  try {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m?.[1] ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** `key=value` lines for a Java properties file (values are written verbatim). */
export function toProperties(props: Record<string, string | number | boolean>): string {
  return Object.entries(props).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n';
}

/** Common JVM flags: small heap, serial GC (2-core machine), headless. */
export function jvmArgs(heapMb: number, log4jFile: string): string[] {
  return [
    `-Xms${Math.min(128, heapMb)}m`, `-Xmx${heapMb}m`, '-XX:+UseSerialGC', '-XX:MaxMetaspaceSize=256m',
    '-Xss512k', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true', '-Dfile.encoding=UTF-8',
    `-Dlog4j.configuration=file:${log4jFile}`,
  ];
}

export function log4jProperties(logFile: string, extra = ''): string {
  return [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${logFile}`,
    'log4j.appender.file.Append=true',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.org.apache.kafka.clients=WARN',
    'log4j.logger.org.reflections=ERROR',
    extra,
  ].join('\n') + '\n';
}
