/** One writer per replica on a real SQLite file (a second connection plays the second process). */
import { existsSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSqliteReplica } from '../../main/engine/replica/sqlite/index.ts';
import { describeOneWriter } from './one-writer-behaviour.ts';

describeOneWriter('sqlite', async () => {
  const file = join(tmpdir(), `tm-lease-${randomBytes(4).toString('hex')}.db`);
  return {
    open: () => createSqliteReplica({ file, tablePrefix: '' }),
    async scalar(sql) {
      const db = new Database(file, { readonly: true });
      try { return db.prepare(sql).pluck().get(); } finally { db.close(); }
    },
    async cleanup() {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) rmSync(f);
    },
  };
});
