/**
 * The product's command line as a child process in tests: output collected (stdout + stderr), exit code
 * and signal, and kill -9 that reports whether the process was still running when it was killed.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface CliExit { code: number | null; signal: NodeJS.Signals | null }

export interface CliChild {
  child: ChildProcess;
  output(): string;
  /** Resolves when the process has exited. */
  exit: Promise<CliExit>;
  running(): boolean;
  /** SIGKILL; resolves with how it exited (signal SIGKILL when it was still running). */
  kill9(): Promise<CliExit>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<CliExit>;
}

export function spawnCli(cliPath: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): CliChild {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exit = new Promise<CliExit>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    child, exit, running,
    output: () => out,
    async kill9() { if (running()) child.kill('SIGKILL'); return exit; },
    async stop(graceMs = 15_000) {
      if (running()) child.kill('SIGTERM');
      const t = setTimeout(() => { if (running()) child.kill('SIGKILL'); }, graceMs);
      try { return await exit; } finally { clearTimeout(t); }
    },
  };
}
