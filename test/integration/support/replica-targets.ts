/**
 * The replica databases the engine scenarios run against, each with the dialect-specific means to back
 * up / restore the replica and to make replica writes fail for a while.
 */
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import Database from 'better-sqlite3';
import type { ReplicaSettings } from '../../../preload/contract/settings.ts';
import type { Stack } from '../../harness/stack.ts';

/** A fault lasts `ms`, then for as long as `until` is false, at most `ms` × 4 in all. */
const faultGoesOn = (start: number, ms: number, until?: () => boolean): boolean => {
  const spent = Date.now() - start;
  return spent < ms || (until !== undefined && !until() && spent < ms * 4);
};

async function holdFault(ms: number, until?: () => boolean): Promise<void> {
  const start = Date.now();
  while (faultGoesOn(start, ms, until)) await new Promise((r) => setTimeout(r, 100));
}

export interface ReplicaTarget {
  replica: ReplicaSettings;
  /** Copy of the replica taken now (the engine must be stopped). */
  backup(): Promise<() => Promise<void>>;
  /**
   * Makes every replica write fail (or block) for `ms`, and after that for as long as `until` is false
   * (at most `ms` × 4 in all), then lets them through again.
   */
  failWritesFor(ms: number, until?: () => boolean): Promise<void>;
  /**
   * As an earlier mirror whose `_ReplicationState` was dropped (the engine must be stopped), with plain SQL:
   * a row the source never had added to the replica table of source table `table` (a copy of one of its
   * rows, key column `key` + 1,000,000), then `_ReplicationState` dropped. With `narrow`, that column is
   * first given a type that loses digits (SQLite REAL, PostgreSQL numeric(18,0)): a legacy table whose
   * columns differ from the source's.
   */
  leaveTablesWithoutState(table: string, key: string, narrow?: string): Promise<void>;
  cleanup(): Promise<void>;
}

const qi = (n: string): string => `"${n.replace(/"/g, '""')}"`;
/** INSERT … SELECT of one row of `target` with its key `key` moved up by 1,000,000. */
const strayRow = (target: string, cols: string[], key: string): string =>
  `INSERT INTO ${target} (${cols.map(qi).join(', ')}) SELECT ${cols.map((c) => (c === key ? `${qi(c)} + 1000000` : qi(c))).join(', ')} FROM ${target} LIMIT 1`;

/** ReplicaTarget.leaveTablesWithoutState on the SQLite file `file`; returns the replica table's name. */
export function leaveSqliteWithoutState(file: string, table: string, key: string, narrow?: string): string {
  const db = new Database(file);
  try {
    const found = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name LIKE ?`).get(`%${table}`) as { name: string; sql: string };
    const name = found.name;
    if (narrow) {
      // SQLite cannot change a column's type: the table is built again with the column declared REAL.
      const ddl = found.sql.replace(new RegExp(`(${qi(narrow)}\\s+)\\w+`), '$1REAL');
      if (ddl === found.sql) throw new Error(`column ${narrow} not found in ${found.sql}`);
      db.exec(`ALTER TABLE ${qi(name)} RENAME TO ${qi(`${name}_old`)}`);
      db.exec(ddl);
      db.exec(`INSERT INTO ${qi(name)} SELECT * FROM ${qi(`${name}_old`)}; DROP TABLE ${qi(`${name}_old`)}`);
    }
    const cols = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as Array<{ name: string }>).map((c) => c.name);
    db.prepare(strayRow(qi(name), cols, key)).run();
    db.exec('DROP TABLE "_ReplicationState"');
    return name;
  } finally { db.close(); }
}

export type TargetFactory = (stack: Stack, name: string) => Promise<ReplicaTarget>;

export const sqliteTarget: TargetFactory = async (_stack, name) => {
  const file = join(tmpdir(), `tm-${name}-${process.pid}.db`);
  const files = (f: string) => [f, `${f}-wal`, `${f}-shm`];
  return {
    replica: { kind: 'sqlite', file },
    async backup() {
      const copy = `${file}.bak`;
      const db = new Database(file);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      copyFileSync(file, copy);
      return async () => {
        for (const f of files(file)) if (existsSync(f)) rmSync(f);
        copyFileSync(copy, file);
      };
    },
    async leaveTablesWithoutState(table, key, narrow) { leaveSqliteWithoutState(file, table, key, narrow); },
    async failWritesFor(ms, until) {
      // A second connection holds the write lock: the engine's writes fail with SQLITE_BUSY after its busy
      // timeout (5 s): a write begun more than `ms` − 5 s into the fault would only wait (CI 2026-12-03:
      // events ~3 s late, no failure in 8 s), so the lock is held until `until` says the fault took.
      const db = new Database(file, { timeout: 1000 });
      db.exec('BEGIN IMMEDIATE');
      await holdFault(ms, until);
      db.exec('ROLLBACK');
      db.close();
    },
    async cleanup() {
      for (const f of [...files(file), `${file}.bak`]) if (existsSync(f)) rmSync(f);
    },
  };
};

export const postgresTarget: TargetFactory = async (stack) => {
  const db = await stack.createPostgresDatabase();
  const base = { host: db.host, port: db.port, user: db.user, password: db.password };
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ ...base, database: 'postgres' });
    await c.connect();
    try { return await fn(c); } finally { await c.end(); }
  };
  return {
    replica: { kind: 'postgres', host: db.host, port: db.port, database: db.name, user: db.user, ssl: false, ...(db.password ? { password: db.password } : {}) },
    async backup() {
      const copy = `${db.name}_bak`;
      await admin(async (c) => {
        // A running engine reconnects at once: the copy is retried until no session is in the way (55006).
        for (let attempt = 1; ; attempt++) {
          await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [db.name]);
          try {
            await c.query(`CREATE DATABASE "${copy}" TEMPLATE "${db.name}"`);
            return;
          } catch (err) {
            if ((err as { code?: string }).code !== '55006' || attempt >= 50) throw err;
          }
        }
      });
      return async () => admin(async (c) => {
        await c.query(`DROP DATABASE "${db.name}" WITH (FORCE)`);
        await c.query(`CREATE DATABASE "${db.name}" TEMPLATE "${copy}"`);
        await c.query(`DROP DATABASE "${copy}" WITH (FORCE)`);
      });
    },
    async leaveTablesWithoutState(table, key, narrow) {
      const c = new pg.Client({ ...base, database: db.name });
      await c.connect();
      try {
        const found = (await c.query(`SELECT table_schema AS s FROM information_schema.tables WHERE table_name = $1 AND table_type = 'BASE TABLE'`, [table])).rows as Array<{ s: string }>;
        if (found.length !== 1) throw new Error(`one replica table ${table} expected, found ${found.length}`);
        if (narrow) await c.query(`ALTER TABLE ${qi(found[0]!.s)}.${qi(table)} ALTER COLUMN ${qi(narrow)} TYPE numeric(18,0)`);
        const cols = ((await c.query(`SELECT column_name AS n FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, [found[0]!.s, table])).rows as Array<{ n: string }>).map((r) => r.n);
        await c.query(strayRow(`${qi(found[0]!.s)}.${qi(table)}`, cols, key));
        const state = (await c.query(`SELECT table_schema AS s FROM information_schema.tables WHERE table_name = '_ReplicationState'`)).rows as Array<{ s: string }>;
        for (const x of state) await c.query(`DROP TABLE ${qi(x.s)}."_ReplicationState"`);
      } finally { await c.end(); }
    },
    async failWritesFor(ms, until) {
      // The replica "goes away": the database refuses new connections and every session on it is
      // terminated, again and again. (Killing sessions alone could miss every write: a pool drops an idle
      // killed client and a fast batch fits between two kills — a quiet CI run saw no failure at all.)
      await admin(async (c) => {
        await c.query(`ALTER DATABASE "${db.name}" WITH ALLOW_CONNECTIONS false`);
        try {
          const start = Date.now();
          while (faultGoesOn(start, ms, until)) {
            await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [db.name]);
            await new Promise((r) => setTimeout(r, 200));
          }
        } finally {
          await c.query(`ALTER DATABASE "${db.name}" WITH ALLOW_CONNECTIONS true`);
        }
      });
    },
    async cleanup() {
      await db.drop().catch(() => undefined);
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${db.name}_bak" WITH (FORCE)`)).catch(() => undefined);
    },
  };
};
