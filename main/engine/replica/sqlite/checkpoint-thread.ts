/**
 * WAL checkpoints of the SQLite replica on a thread of their own (checkpoint-thread-worker.ts). With one
 * connection, every ~1,000 pages a commit also copies the WAL into the database file before it returns:
 * measured on a 200k-row, 31-column load, 5–8 µs of the apply thread per row, about a tenth of its time.
 * With the thread running, the apply thread's connection checkpoints only past `fallbackPages` (a thread
 * that falls behind or dies cannot let the WAL grow without bound), and the file's `journal_size_limit`
 * trims the WAL after it is reset. A thread that cannot start, fails or exits puts the apply thread's
 * connection back to SQLite's default (checkpoint every 1,000 pages): slower, never different rows.
 *
 * The thread's connection must be closed before the apply thread opens the file again (a file replaced
 * under the engine, reopenIfReplaced): the last connection to close a database unlinks `<file>-wal` by
 * name, and that name may by then be the new file's WAL. stop() waits for the thread to exit.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface CheckpointThreadData {
  file: string;
  shared: SharedArrayBuffer;
  /** Least time between two checkpoints. */
  intervalMs: number;
}

export type FromCheckpoint = { t: 'ready' } | { t: 'failed'; message: string };

/** SQLite's own default: the writer checkpoints when the WAL reaches this many pages. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
/** The writer's own checkpoints while the thread runs: only past ~64 MiB of WAL (4 KiB pages). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 16_384;
const INTERVAL_MS = 100;
const STOP_WAIT_MS = 10_000;

export interface CheckpointThread {
  /** A commit happened (cheap: one atomic add and a wake-up). */
  committed(): void;
  /** Closes the thread's connection and waits for the thread to exit. */
  stop(): Promise<void>;
}

export interface CheckpointThreadHooks {
  /** The thread is gone (failed or exited): the writer must checkpoint by itself again. */
  onLost(reason: string): void;
}

/** The thread's entry: beside this file when run from source, in the bundle's folder when built. */
export function checkpointThreadEntry(): URL | null {
  for (const rel of ['./checkpoint-thread-worker.ts', './checkpoint-thread-worker.js', '../checkpoint-thread-worker.js']) {
    const u = new URL(rel, import.meta.url);
    if (u.protocol === 'file:' && existsSync(fileURLToPath(u))) return u;
  }
  return null;
}

/** Starts the thread; the reason it cannot run otherwise. */
export async function startCheckpointThread(file: string, hooks: CheckpointThreadHooks, entry = checkpointThreadEntry()): Promise<CheckpointThread | string> {
  if (!entry) return 'the checkpoint thread\'s file is not found';
  const shared = new SharedArrayBuffer(8);
  const words = new Int32Array(shared);
  const data: CheckpointThreadData = { file, shared, intervalMs: INTERVAL_MS };
  const worker = new Worker(entry, { workerData: data, name: 'sqlite-checkpoint' });
  let stopping = false;
  let live = false;
  let lost = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const lose = (reason: string): void => {
    if (!live || lost || stopping) return;
    lost = true;
    hooks.onLost(reason);
  };
  const started = await new Promise<string | null>((resolve) => {
    worker.on('message', (m: FromCheckpoint) => {
      if (m.t === 'ready') resolve(null);
      else { resolve(m.message); lose(`the checkpoint thread failed: ${m.message}`); }
    });
    worker.on('error', (err) => { resolve(err.message); lose(`the checkpoint thread failed: ${err.message}`); });
    worker.on('exit', (code) => { resolve(`exited (code ${code})`); lose(`the checkpoint thread exited (code ${code})`); });
  });
  if (started !== null) {
    stopping = true;
    await worker.terminate();
    return started;
  }
  live = true;
  return {
    committed: () => {
      Atomics.add(words, 0, 1);
      Atomics.notify(words, 0);
    },
    stop: async () => {
      stopping = true;
      Atomics.store(words, 1, 1);
      Atomics.add(words, 0, 1);
      Atomics.notify(words, 0);
      Atomics.notify(words, 1);
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), STOP_WAIT_MS); })]);
      clearTimeout(timer);
      if (late) await worker.terminate();
    },
  };
}
