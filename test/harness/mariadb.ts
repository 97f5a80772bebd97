/**
 * A private MariaDB 10.11 instance for the CDC source: own datadir (temp dir), free TCP port on
 * 127.0.0.1, own socket, binlog in ROW/FULL format (what Debezium needs). Never touches the system
 * instance on 3306. The first install-db result is cached as a template under .cache/stack so later
 * starts only copy a directory.
 *
 * Users: `root` (password below, all privileges, used by the harness) and `dbz` (the Debezium
 * connector user, only the grants Debezium documents: SELECT, RELOAD, SHOW DATABASES, REPLICATION
 * SLAVE, REPLICATION CLIENT, LOCK TABLES + INSERT/UPDATE/DELETE on each tenant's signal table).
 */
import { cpSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import {
  ManagedProcess, freePort, makeTempDir, removeDir, run, stackCache, waitFor, rssMb, randomHex,
} from './util.ts';

export const ROOT_PASSWORD = 'mirror-root';
export const DBZ_USER = 'dbz';
export const DBZ_PASSWORD = 'dbz-secret';

export interface MariaDbConnectionInfo {
  host: string;
  port: number;
  socket: string;
  user: string;
  password: string;
  dbzUser: string;
  dbzPassword: string;
}

export interface MariaDbOptions {
  dir?: string;
  port?: number;
  bufferPoolMb?: number;
  /**
   * The server's time zone as a zone name (e.g. `America/St_Johns`): mariadbd runs with TZ set to it and
   * `--default-time-zone=SYSTEM`. Default: UTC (`+00:00`).
   */
  timeZone?: string;
}

const templateDir = join(stackCache, 'mariadb-template-10.11');

async function ensureTemplate(): Promise<string> {
  if (existsSync(join(templateDir, '.complete'))) return templateDir;
  const tmp = `${templateDir}.tmp-${randomHex(4)}`;
  mkdirSync(tmp, { recursive: true });
  await run('mariadb-install-db', ['--no-defaults', `--datadir=${tmp}`, '--user=root', '--skip-test-db',
    '--auth-root-authentication-method=normal', '--skip-name-resolve']);
  writeFileSync(join(tmp, '.complete'), new Date().toISOString());
  try {
    renameSync(tmp, templateDir);
  } catch {
    removeDir(tmp); // another process won the race
  }
  return templateDir;
}

export class MariaDb {
  readonly dir: string;
  readonly port: number;
  readonly host = '127.0.0.1';
  readonly bufferPoolMb: number;
  readonly timeZone: string | null;
  readonly process: ManagedProcess;
  private ownsDir: boolean;
  private pool: mysql.Pool | null = null;

  constructor(dir: string, ownsDir: boolean, port: number, opts: MariaDbOptions) {
    this.dir = dir;
    this.ownsDir = ownsDir;
    this.port = port;
    this.bufferPoolMb = opts.bufferPoolMb ?? 256;
    this.timeZone = opts.timeZone ?? null;
    this.process = new ManagedProcess({
      name: 'mariadbd', cmd: 'mariadbd', args: this.serverArgs(), logFile: join(dir, 'mariadbd.out'),
      ...(this.timeZone ? { env: { ...process.env, TZ: this.timeZone } } : {}),
    });
  }

  get socket(): string {
    return join(this.dir, 'mysqld.sock');
  }

  get datadir(): string {
    return join(this.dir, 'data');
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  info(): MariaDbConnectionInfo {
    return { host: this.host, port: this.port, socket: this.socket, user: 'root', password: ROOT_PASSWORD, dbzUser: DBZ_USER, dbzPassword: DBZ_PASSWORD };
  }

  private serverArgs(): string[] {
    return [
      '--no-defaults', `--datadir=${join(this.dir, 'data')}`, `--socket=${join(this.dir, 'mysqld.sock')}`,
      `--port=${this.port}`, '--bind-address=127.0.0.1', '--user=root', `--pid-file=${join(this.dir, 'mysqld.pid')}`,
      `--log-error=${join(this.dir, 'error.log')}`, '--skip-name-resolve',
      `--log-bin=${join(this.dir, 'data', 'binlog')}`, '--binlog-format=ROW', '--binlog-row-image=FULL', '--server-id=1',
      '--binlog-expire-logs-seconds=86400', '--max-binlog-size=256M', '--sync-binlog=0',
      '--innodb-flush-log-at-trx-commit=2', `--innodb-buffer-pool-size=${this.bufferPoolMb}M`, '--innodb-log-file-size=256M',
      `--default-time-zone=${this.timeZone ? 'SYSTEM' : '+00:00'}`, '--lower-case-table-names=0', '--character-set-server=utf8mb4', '--collation-server=utf8mb4_unicode_ci',
      '--max-connections=500', '--max-allowed-packet=256M', '--performance-schema=OFF', '--skip-log-warnings=0',
    ];
  }

  async start(timeoutMs = 60_000): Promise<void> {
    if (!existsSync(join(this.dir, 'data'))) {
      const tpl = await ensureTemplate();
      cpSync(tpl, join(this.dir, 'data'), { recursive: true });
    }
    this.process.start();
    await this.waitReady(timeoutMs);
    await this.bootstrapUsers();
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    await waitFor(async () => {
      this.process.assertAlive();
      if (!existsSync(this.socket)) return false;
      // Fresh template: root has no password yet (socket); afterwards, the password is set.
      for (const password of [ROOT_PASSWORD, '']) {
        try {
          const c = await mysql.createConnection({ socketPath: this.socket, user: 'root', password });
          await c.end();
          return true;
        } catch { /* try next */ }
      }
      return false;
    }, { timeoutMs, intervalMs: 100, what: `mariadbd on port ${this.port}` });
  }

  private async bootstrapUsers(): Promise<void> {
    let c: mysql.Connection;
    try {
      c = await mysql.createConnection({ socketPath: this.socket, user: 'root', password: ROOT_PASSWORD });
    } catch {
      c = await mysql.createConnection({ socketPath: this.socket, user: 'root', password: '' });
    }
    try {
      // install-db also creates password-less root@127.0.0.1/::1/<hostname>, which would shadow root@'%'.
      const [extra] = await c.query(`SELECT Host AS host FROM mysql.user WHERE user = 'root' AND host NOT IN ('localhost', '%')`);
      for (const r of extra as Array<{ host: string }>) await c.query(`DROP USER 'root'@'${r.host}'`);
      for (const sql of [
        `ALTER USER 'root'@'localhost' IDENTIFIED BY '${ROOT_PASSWORD}'`,
        `CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '${ROOT_PASSWORD}'`,
        `GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION`,
        `CREATE USER IF NOT EXISTS '${DBZ_USER}'@'%' IDENTIFIED BY '${DBZ_PASSWORD}'`,
        `GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT, LOCK TABLES ON *.* TO '${DBZ_USER}'@'%'`,
      ]) await c.query(sql);
    } finally {
      await c.end();
    }
  }

  /** Shared connection pool (root, no default database). */
  getPool(): mysql.Pool {
    this.pool ??= createMariaPool(this.info());
    return this.pool;
  }

  async stop(opts: { removeData?: boolean } = {}): Promise<void> {
    await this.pool?.end().catch(() => {});
    this.pool = null;
    await this.process.stop(30_000);
    if (opts.removeData ?? this.ownsDir) removeDir(this.dir);
  }

  async restart(opts: { hard?: boolean } = {}): Promise<void> {
    await this.pool?.end().catch(() => {});
    this.pool = null;
    if (opts.hard) await this.process.kill();
    else await this.process.stop(30_000);
    this.process.start();
    await this.waitReady(60_000);
  }

  async rssMb(): Promise<number | null> {
    return rssMb(this.pid);
  }
}

/** mysql2 pool with the options the canonical reader relies on (see crm-schema.ts readRows). */
export function createMariaPool(info: MariaDbConnectionInfo, database?: string, connectionLimit = 8): mysql.Pool {
  return mysql.createPool({
    host: info.host, port: info.port, user: info.user, password: info.password,
    ...(database ? { database } : {}),
    connectionLimit, waitForConnections: true, multipleStatements: true,
    supportBigNumbers: true, bigNumberStrings: true, decimalNumbers: false, dateStrings: true, timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    // mysql2 sets CLIENT_FOUND_ROWS by default (affectedRows = matched rows); without it affectedRows of
    // an UPDATE counts changed rows only — exactly the rows that produce a binlog event.
    flags: ['-FOUND_ROWS'],
  });
}

export async function startMariaDb(opts: MariaDbOptions = {}): Promise<MariaDb> {
  const ownsDir = !opts.dir;
  const dir = opts.dir ?? makeTempDir('mirror-mariadb');
  mkdirSync(dir, { recursive: true });
  const port = opts.port ?? await freePort();
  const db = new MariaDb(dir, ownsDir, port, opts);
  try {
    await db.start();
  } catch (e) {
    await db.stop().catch(() => {});
    throw e;
  }
  return db;
}
