/**
 * The SQLite checkpoint thread's entry (checkpoint-thread.ts starts it): its own connection to the replica
 * file, running a PASSIVE WAL checkpoint after the apply thread's commits (several asked for at once run
 * once). PASSIVE takes no lock a writer waits for: the apply thread goes on writing while pages are copied
 * back and the files synced.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointData, FromCheckpoint, ToCheckpoint } from './checkpoint-thread.ts';

const port = parentPort!;
const d = workerData as CheckpointData;
const send = (m: FromCheckpoint): void => port.postMessage(m);

let db: Database.Database | null = null;
let scheduled = false;
let runs = 0;

function checkpoint(): void {
  scheduled = false;
  if (!db) return;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    runs++;
  } catch (err) {
    send({ t: 'failed', message: (err as Error).message });
    db.close();
    db = null;
  }
}

try {
  db = new Database(d.file, { timeout: d.busyTimeoutMs, fileMustExist: true });
  send({ t: 'ready' });
} catch (err) {
  send({ t: 'failed', message: (err as Error).message });
}

port.on('message', (m: ToCheckpoint) => {
  if (m.t === 'checkpoint') {
    if (!scheduled) { scheduled = true; setImmediate(checkpoint); }
  } else {
    db?.close();
    db = null;
    send({ t: 'stopped', runs });
    port.close();
  }
});
