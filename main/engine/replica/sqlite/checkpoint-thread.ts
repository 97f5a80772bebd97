/**
 * WAL checkpoints off the apply thread. With SQLite's automatic checkpoint (every 1,000 WAL pages) the
 * committing thread copies the WAL back into the database file and waits for both files to be synced:
 * about a third of the commit time, half of it waiting on the disk (a 200k-row load in 5,000-row
 * transactions: commits 1.5 s with it, 0.45–0.6 s without). A worker thread with its own connection runs
 * the checkpoints instead (checkpoint-worker.ts), asked after each commit; the apply thread's own
 * automatic checkpoint stays as a safety net at SAFETY_NET_PAGES, in case the thread falls behind.
 * A thread that cannot start, fails or exits gives the checkpoints back to the apply thread (SQLite's
 * default), with a warning: nothing else depends on it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface CheckpointData { file: string; busyTimeoutMs: number }
export type ToCheckpoint = { t: 'checkpoint' } | { t: 'stop' };
export type FromCheckpoint = { t: 'ready' } | { t: 'failed'; message: string } | { t: 'stopped'; runs: number };

/** The apply thread's own automatic checkpoint while the thread runs (pages of 4 KiB: 64 MiB of WAL). */
export const SAFETY_NET_PAGES = 16_384;
/** SQLite's default, given back when the thread is not there. */
export const DEFAULT_PAGES = 1_000;

/** The worker's file: beside this module (sources, tests) or in the desktop build's out/main. */
export function checkpointEntry(): URL | null {
  for (const rel of ['./checkpoint-worker.ts', './checkpoint-worker.js', '../checkpoint-worker.js']) {
    const u = new URL(rel, import.meta.url);
    if (u.protocol === 'file:' && existsSync(fileURLToPath(u))) return u;
  }
  return null;
}

export class CheckpointThread {
  private readonly worker: Worker;
  private live = true;
  private stopped: Promise<number> | null = null;

  private constructor(worker: Worker) { this.worker = worker; }

  /**
   * Started and connected, or null (the reason goes to `lost`). `lost` is also called, once, if the
   * thread fails or exits later: the caller then checkpoints itself again.
   */
  static async start(entry: URL | null, data: CheckpointData, lost: (reason: string) => void): Promise<CheckpointThread | null> {
    if (!entry) { lost('its file was not found'); return null; }
    let worker: Worker;
    try { worker = new Worker(entry, { workerData: data, name: 'sqlite-checkpoint' }); } catch (err) { lost((err as Error).message); return null; }
    const t = new CheckpointThread(worker);
    const ready = await new Promise<string | null>((resolve) => {
      worker.on('message', (m: FromCheckpoint) => {
        if (m.t === 'ready') resolve(null);
        else if (m.t === 'failed') { resolve(m.message); t.lose(m.message, lost); }
      });
      worker.on('error', (err) => { resolve(err.message); t.lose(err.message, lost); });
      worker.on('exit', (code) => { resolve(`it exited (code ${code})`); t.lose(`it exited (code ${code})`, lost); });
    });
    if (ready !== null) { t.live = false; await worker.terminate(); return null; }
    return t;
  }

  private lose(reason: string, lost: (reason: string) => void): void {
    if (!this.live || this.stopped) return;
    this.live = false;
    lost(reason);
  }

  /** Whether checkpoints are the thread's (false once it failed or stopped). */
  get running(): boolean { return this.live && this.stopped === null; }

  /** After a commit: a checkpoint soon (one for several commits asked at once). */
  poke(): void {
    if (this.running) this.worker.postMessage({ t: 'checkpoint' } satisfies ToCheckpoint);
  }

  /** Closes the thread's connection and ends it; resolves with the checkpoints it ran. */
  stop(): Promise<number> {
    this.stopped ??= (async () => {
      if (!this.live) { await this.worker.terminate(); return 0; }
      const runs = await new Promise<number>((resolve) => {
        this.worker.on('message', (m: FromCheckpoint) => { if (m.t === 'stopped') resolve(m.runs); });
        this.worker.once('exit', () => resolve(0));
        this.worker.postMessage({ t: 'stop' } satisfies ToCheckpoint);
      });
      this.live = false;
      await this.worker.terminate();
      return runs;
    })();
    return this.stopped;
  }
}
