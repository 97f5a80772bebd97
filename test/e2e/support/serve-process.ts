/** Runs the real `tenant-mirror serve` command as a child process and reads the page URL it prints. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';

const CLI = path.resolve(import.meta.dirname, '../../../main/cli.ts');

export interface ServeProcess {
  pageUrl: string;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** `env`: extra environment for the serve process (e.g. the variable a `{ "env": … }` password names). */
export function startServeProcess(opts: { config: string; staticDir: string; timeoutMs?: number; env?: Record<string, string> }): Promise<ServeProcess> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve', '--config', opts.config, '--static', opts.staticDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { void stop(); reject(new Error(`serve did not print its URL in time:\n${out}`)); }, opts.timeoutMs ?? 60_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ pageUrl: m[1]!, output: () => out, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => { out += c.toString(); if (process.env['MIRROR_TEST_LOG']) process.stderr.write(c); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited (${code}) before printing its URL:\n${out}`)); });
  });
}
