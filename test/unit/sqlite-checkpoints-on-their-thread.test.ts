/**
 * The SQLite replica's WAL checkpoints on a thread of their own (main/engine/replica/sqlite/checkpoint-thread.ts),
 * with a real worker and real files: the WAL stays small while the applying connection only checkpoints as a
 * safety net, every row is there, and a thread that does not start or goes away gives the checkpoints back
 * to the applying connection with a warning.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, test } from 'node:test';
import Database from 'better-sqlite3';
import { createSqliteReplica, type SqliteReplica } from '../../main/engine/replica/sqlite/index.ts';
import { DEFAULT_PAGES, SAFETY_NET_PAGES } from '../../main/engine/replica/sqlite/checkpoint-thread.ts';
import type { TableDef } from '../../main/engine/schema/table-model.ts';

const T: TableDef = {
  schema: 'crm', name: 'note', primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'int', bits: 32 }, nullable: false },
    { name: 'body', type: { kind: 'string', length: null, fixed: false }, nullable: false },
  ],
};
const UNITS = 40;
const ROWS = 500;
const BODY = 2_000;

let dir = '';
let replica: SqliteReplica | null = null;
afterEach(async () => { await replica?.close(); replica = null; rmSync(dir, { recursive: true, force: true }); });

async function open(checkpointThread: boolean | URL, warnings: string[]): Promise<{ r: SqliteReplica; file: string }> {
  dir = mkdtempSync(join(tmpdir(), 'tm-ckpt-'));
  const file = join(dir, 'replica.db');
  const r = createSqliteReplica({ file, tablePrefix: '', checkpointThread, onWarning: (m, d) => { warnings.push(`${m} (${String(d.reason)})`); } });
  replica = r;
  await r.connect();
  await r.ensureStateTable();
  await r.createTable(T);
  return { r, file };
}

/** ~40 MB of rows in UNITS transactions: 40 times SQLite's own checkpoint interval, under the safety net. */
async function load(r: SqliteReplica, from = 0): Promise<void> {
  for (let u = 0; u < UNITS; u++) {
    const upserts = Array.from({ length: ROWS }, (_, i) => ({ id: from + u * ROWS + i, body: `${u}-${i}-`.padEnd(BODY, 'x') }));
    await r.apply({ tables: [{ table: T, upserts, deletes: [], markSeen: false }], state: [] });
    // Between two transactions the engine decodes the next chunk (most of its time): the checkpoint runs then.
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Pages in the WAL since it last started over (read by a connection of the test's own, after the writes). */
const walPages = (file: string): number => {
  const db = new Database(file);
  try { return Number((db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]!.log); } finally { db.close(); }
};
const autocheckpoint = (r: SqliteReplica): number => Number(r.handle.pragma('wal_autocheckpoint', { simple: true }));
const rows = (file: string): number => {
  const db = new Database(file, { readonly: true });
  try { return Number((db.prepare('SELECT count(*) AS n FROM note').get() as { n: number }).n); } finally { db.close(); }
};

test('checkpoints run on their thread: the WAL stays small, every row is there, the WAL is gone after close', async () => {
  const warnings: string[] = [];
  const { r, file } = await open(true, warnings);
  assert.ok(r.checkpointThread?.running, 'the thread runs');
  assert.equal(autocheckpoint(r), SAFETY_NET_PAGES, 'the applying connection checkpoints only as a safety net');
  await load(r);
  const pages = walPages(file);
  // Without the thread's checkpoints the WAL would hold every page written since the table was made (~10,000).
  assert.ok(pages < 1_000, `the WAL started over after the thread's checkpoints: ${pages} pages in it`);
  assert.equal(rows(file), UNITS * ROWS);
  await r.close();
  replica = null;
  assert.equal(existsSync(`${file}-wal`), false, 'the last connection to close checkpointed the rest and removed the WAL');
  assert.equal(rows(file), UNITS * ROWS);
  assert.deepEqual(warnings, []);
});

test('a thread that cannot start: the applying connection checkpoints itself, with a warning', async () => {
  const warnings: string[] = [];
  const { r, file } = await open(new URL('file:///nonexistent/tenant-mirror/checkpoint-worker.js'), warnings);
  assert.equal(r.checkpointThread, null);
  assert.equal(autocheckpoint(r), DEFAULT_PAGES);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /checkpoint thread is not running/);
  await load(r);
  assert.equal(rows(file), UNITS * ROWS);
});

test('a thread that goes away while writing: checkpoints come back to the applying connection, nothing is lost', async () => {
  const warnings: string[] = [];
  const { r, file } = await open(true, warnings);
  await load(r);
  const t = r.checkpointThread!;
  await (t as unknown as { worker: Worker }).worker.terminate();
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(t.running, false);
  assert.equal(autocheckpoint(r), DEFAULT_PAGES, 'the applying connection checkpoints itself again');
  assert.equal(warnings.length, 1, warnings.join('\n'));
  await load(r, UNITS * ROWS);
  const pages = walPages(file);
  assert.ok(pages < DEFAULT_PAGES + 1_000, `SQLite's own checkpoints kept the WAL small: ${pages} pages in it`);
  assert.equal(rows(file), 2 * UNITS * ROWS);
});
