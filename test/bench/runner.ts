/**
 * Parent side of child.ts: forks the measured process, follows its committed offsets per partition and
 * tells when given offsets are reached. Commit times feed the lag measurement (lag.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Settings } from '../../preload/contract/settings.ts';
import type { ChildMessage, ChildMode, MemoryAtPeak } from './child.ts';
import { Progress } from './progress.ts';
import { ENGINE_NODE_FLAGS, engineProcessEnv } from '../../main/host/engine-flags.ts';

const CHILD = join(import.meta.dirname, 'child.ts');

export interface ChildResult { peakRssMb: number; cpuMs: number; atPeak: MemoryAtPeak; counted: { records: number; parsed: number } | null }

export class BenchChild {
  readonly progress = new Progress();
  readonly label: string;
  private proc: ChildProcess | null = null;
  private done: Promise<ChildResult> | null = null;
  startedAt = 0;

  constructor(label: string) { this.label = label; }

  /** The forked process's pid while it runs. */
  get pid(): number | undefined { return this.proc?.pid; }

  /** Forks the child and resolves once the engine (or ceiling consumer) runs. */
  async start(mode: ChildMode, settings: Settings, execArgv: string[] = [], from?: Map<number, bigint>, fetchMb?: number): Promise<void> {
    this.startedAt = Date.now();
    // The engine runs with the product's V8 flags (main/host/engine-flags.ts); the ceilings with Node's defaults.
    const proc = fork(CHILD, [JSON.stringify({ mode, settings, ...(fetchMb ? { fetchMb } : {}), ...(from ? { from: Object.fromEntries([...from].map(([p, o]) => [p, o.toString()])) } : {}) })], { execArgv: [...process.execArgv, '--disable-warning=TimeoutNegativeWarning', ...(mode === 'engine' ? ENGINE_NODE_FLAGS : []), ...execArgv], env: mode === 'engine' ? engineProcessEnv(process.env) : process.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc = proc;
    let ready!: () => void;
    let failed!: (e: Error) => void;
    const readyP = new Promise<void>((res, rej) => { ready = res; failed = rej; });
    let counted: ChildResult['counted'] = null;
    this.done = new Promise<ChildResult>((res, rej) => {
      proc.on('message', (m: ChildMessage) => {
        if (m.t === 'commit') this.progress.commit(m.p, BigInt(m.next), m.at);
        else if (m.t === 'ready') ready();
        else if (m.t === 'error') { const e = new Error(`${this.label}: ${m.message}`); failed(e); rej(e); }
        else if (m.t === 'counted') counted = { records: m.records, parsed: m.parsed };
        else if (m.t === 'done') res({ peakRssMb: m.peakRssMb, cpuMs: m.cpuMs, atPeak: m.atPeak, counted });
      });
      proc.on('exit', (code) => { const e = new Error(`${this.label}: child exited with ${code}`); failed(e); rej(e); });
    });
    this.done.catch(() => undefined);
    await readyP;
  }

  /** Asks the child to stop its engine and report; kills it after 30 s. */
  async stop(): Promise<ChildResult | null> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return null;
    proc.send({ t: 'stop' });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    try { return await this.done!; } catch { return null; } finally { clearTimeout(timer); this.proc = null; }
  }
}
