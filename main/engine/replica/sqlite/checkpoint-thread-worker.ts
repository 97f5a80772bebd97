/**
 * The SQLite checkpoint thread's entry (checkpoint-thread.ts starts it): its own connection to the replica
 * file copies committed WAL frames into the database file (`PRAGMA wal_checkpoint(PASSIVE)`) after the
 * apply thread's commits, at most every `intervalMs`, so the apply thread's commits no longer stop for
 * them. PASSIVE never takes the write lock and never waits: a checkpoint that meets a writer copies what it
 * can and the next one goes on. The thread writes no rows and reads no table.
 *
 * Shared words (Int32Array over `shared`): [0] commits told by the apply thread, [1] stop (1 = close the
 * connection and exit).
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointThreadData, FromCheckpoint } from './checkpoint-thread.ts';

const port = parentPort!;
const d = workerData as CheckpointThreadData;
const words = new Int32Array(d.shared);
const send = (m: FromCheckpoint): void => port.postMessage(m);

function run(): void {
  let db: Database.Database;
  try {
    db = new Database(d.file, { timeout: 0, fileMustExist: true });
    // The apply thread's connection set WAL; a file not in WAL mode is left alone.
    const mode = String(db.pragma('journal_mode', { simple: true }));
    if (mode !== 'wal') { db.close(); send({ t: 'failed', message: `journal_mode is ${mode}, not wal` }); return; }
  } catch (e) {
    send({ t: 'failed', message: (e as Error).message });
    return;
  }
  send({ t: 'ready' });
  let done = 0;
  try {
    for (;;) {
      // Sleeps until a commit is told (or stop); then at most one checkpoint per interval.
      Atomics.wait(words, 0, done);
      if (Atomics.load(words, 1) === 1) break;
      done = Atomics.load(words, 0);
      db.pragma('wal_checkpoint(PASSIVE)');
      Atomics.wait(words, 1, 0, d.intervalMs);
      if (Atomics.load(words, 1) === 1) break;
    }
  } catch (e) {
    send({ t: 'failed', message: (e as Error).message });
  } finally {
    db.close();
  }
}

run();
