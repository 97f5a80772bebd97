/**
 * SQLite's checkpoint thread (main/engine/replica/sqlite/checkpoint-thread.ts): the WAL reaches the database
 * file without the apply thread's commits doing it, the rows read back equal through a connection of the
 * test's own, a replaced file is reopened without losing the new file's WAL, and a thread that is lost or
 * never starts puts the writer's own checkpoints back.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createSqliteReplica, type SqliteReplica } from '../../main/engine/replica/sqlite/index.ts';
import type { ApplyUnit } from '../../main/engine/replica/replica.ts';
import type { Row, TableDef } from '../../main/engine/schema/table-model.ts';
import type { Logger } from '../../main/engine/log.ts';

const T: TableDef = {
  schema: 'crm', name: 'note', primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'int', bits: 32 }, nullable: false },
    { name: 'body', type: { kind: 'string', length: null, fixed: false }, nullable: false },
  ],
};

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
function tempFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'tm-ckpt-'));
  dirs.push(d);
  return join(d, 'replica.db');
}

function body(id: number): string { return `${id}:`.padEnd(400, String.fromCharCode(97 + (id % 26))); }
function unit(from: number, to: number): ApplyUnit {
  const upserts: Row[] = [];
  for (let id = from; id < to; id++) upserts.push({ id, body: body(id) });
  return { tables: [{ table: T, upserts, deletes: [], markSeen: false }], state: [{ id: 'offset:t:0', kind: 'offset', value: String(to) }] };
}

/** The rows as a connection of the test's own reads them. */
function readBack(file: string): { id: number; body: string }[] {
  const db = new Database(file, { readonly: true });
  try { return db.prepare(`SELECT CAST(id AS INTEGER) AS id, CAST(body AS TEXT) AS body FROM note ORDER BY id`).all() as { id: number; body: string }[]; }
  finally { db.close(); }
}
function expected(ranges: [number, number][]): { id: number; body: string }[] {
  const out: { id: number; body: string }[] = [];
  for (const [a, b] of ranges) for (let id = a; id < b; id++) out.push({ id, body: body(id) });
  return out;
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (msg: string, data?: Record<string, unknown>): void => { lines.push(`${level} ${msg} ${JSON.stringify(data ?? {})}`); };
  return { log: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }, lines };
}

async function open(file: string, checkpointThread: boolean | URL, log?: Logger): Promise<SqliteReplica> {
  const r = createSqliteReplica({ file, tablePrefix: '', checkpointThread, ...(log ? { log } : {}) });
  await r.connect();
  await r.ensureStateTable();
  if (!await r.tableExists(T)) await r.createTable(T);
  return r;
}

const autocheckpoint = (r: SqliteReplica): number => Number(r.handle.pragma('wal_autocheckpoint', { simple: true }));

describe('SQLite checkpoint thread', () => {
  test('commits reach the database file through the thread while the writer checkpoints only past 16,384 pages; rows read back equal', async () => {
    const file = tempFile();
    const r = await open(file, true);
    try {
      assert.equal(autocheckpoint(r), 16_384);
      const before = statSync(file).size;
      // ~5 MB of rows: over SQLite's default 1,000 pages, far under the writer's 16,384.
      for (let i = 0; i < 24; i++) await r.apply(unit(i * 500, (i + 1) * 500));
      const walPages = Math.ceil(statSync(`${file}-wal`).size / 4096);
      assert.ok(walPages < 16_384, `the writer's own checkpoint cannot have run (${walPages} WAL pages)`);
      await until('the database file to hold the rows', () => statSync(file).size > before + 4_000_000);
      assert.deepEqual(readBack(file), expected([[0, 12_000]]));
    } finally {
      await r.close();
    }
    // After close (the thread's connection first, then the writer's), the rows are all in the file.
    assert.deepEqual(readBack(file), expected([[0, 12_000]]));
  });

  test('a file replaced under the running replica: reopened with the thread stopped first; the new file keeps its rows and later commits', async () => {
    const file = tempFile();
    const r = await open(file, true);
    try {
      await r.apply(unit(0, 2_000));
      const backup = `${file}.bak`;
      r.handle.prepare('VACUUM INTO ?').run(backup);
      await r.apply(unit(2_000, 4_000));
      // A restore as engine-scenarios.ts does it: the file and its -wal, -shm deleted, the copy put in its place.
      for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
      copyFileSync(backup, file);
      const state = await r.readState('offset');
      assert.deepEqual(state.map((s) => s.value), ['2000'], 'the restored file\'s position is read');
      await r.apply(unit(5_000, 9_000));
      await r.apply(unit(9_000, 9_500));
      assert.equal(autocheckpoint(r), 16_384, 'the reopened connection has its thread again');
    } finally {
      await r.close();
    }
    assert.deepEqual(readBack(file), expected([[0, 2_000], [5_000, 9_500]]));
  });

  test('a thread lost after it started puts the writer\'s checkpoints back to every 1,000 pages, said in the log; writes go on', async () => {
    const file = tempFile();
    const entry = join(file, '..', 'exits.mjs');
    writeFileSync(entry, `import { parentPort } from 'node:worker_threads';\nparentPort.postMessage({ t: 'ready' });\nsetTimeout(() => process.exit(3), 50);\n`);
    const { log, lines } = recorder();
    const r = await open(file, pathToFileURL(entry), log);
    try {
      await until('the writer to checkpoint by itself again', () => autocheckpoint(r) === 1000);
      assert.ok(lines.some((l) => /^warn SQLite checkpoints are back on the apply thread .*exited \(code 3\)/.test(l)), lines.join('\n'));
      await r.apply(unit(0, 3_000));
    } finally {
      await r.close();
    }
    assert.deepEqual(readBack(file), expected([[0, 3_000]]));
  });

  test('a thread that cannot start leaves the writer as it was (every 1,000 pages), said in the log', async () => {
    const file = tempFile();
    const entry = join(file, '..', 'throws.mjs');
    writeFileSync(entry, `throw new Error('no better-sqlite3 here');\n`);
    const { log, lines } = recorder();
    const r = await open(file, pathToFileURL(entry), log);
    try {
      assert.equal(autocheckpoint(r), 1000);
      assert.ok(lines.some((l) => /^info SQLite checkpoints stay on the apply thread .*no better-sqlite3 here/.test(l)), lines.join('\n'));
      await r.apply(unit(0, 100));
    } finally {
      await r.close();
    }
    assert.deepEqual(readBack(file), expected([[0, 100]]));
  });

  test('a replica opened without the thread (the CLI\'s tools) keeps SQLite\'s default', async () => {
    const file = tempFile();
    const r = await open(file, false);
    try { assert.equal(autocheckpoint(r), 1000); } finally { await r.close(); }
  });
});
