/**
 * A private PostgreSQL instance for the replica databases, from the installed server binaries
 * (/usr/lib/postgresql/<newest>/bin, or $PG_BIN): its own cluster (initdb) in a temp dir, a free TCP
 * port on 127.0.0.1 and its socket in that dir. Trust authentication is what initdb writes for local
 * connections only (its socket and the loopback addresses); nothing else listens. Never touches a
 * system cluster.
 *
 * PostgreSQL refuses to run as root: as root, the cluster belongs to and runs as the `postgres`
 * system user (or `nobody`), and its dir is a separate temp dir that user owns.
 */
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ManagedProcess, freePort, makeTempDir, removeDir, rssMb, run, waitFor } from './util.ts';

export const POSTGRES_USER = 'postgres';

export interface PostgresServerInfo {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** The bin dir of the newest installed PostgreSQL server (initdb + postgres), or an error saying what to install. */
export function postgresBinDir(): string {
  if (process.env['PG_BIN']) return process.env['PG_BIN'];
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const v = majors.find((m) => existsSync(join(base, m, 'bin', 'initdb')) && existsSync(join(base, m, 'bin', 'postgres')));
  if (!v) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql, or set PG_BIN)');
  return join(base, v, 'bin');
}

/** uid/gid to run the server as: ourselves, or (as root) the postgres system user, else nobody. */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const lines = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':'));
  const row = lines.find((f) => f[0] === 'postgres') ?? lines.find((f) => f[0] === 'nobody');
  if (!row) throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL');
  return { uid: Number(row[2]), gid: Number(row[3]) };
}

export class PostgresServer {
  readonly dir: string;
  readonly port: number;
  readonly host = '127.0.0.1';
  readonly process: ManagedProcess;
  private readonly as: { uid: number; gid: number } | null;

  constructor(dir: string, port: number, as: { uid: number; gid: number } | null) {
    this.dir = dir;
    this.port = port;
    this.as = as;
    this.process = new ManagedProcess({
      name: 'postgres', cmd: join(postgresBinDir(), 'postgres'), cwd: dir, logFile: join(dir, 'postgres.out'),
      args: [
        '-D', this.datadir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
        // A throw-away test instance: no crash safety needed, so no flushes.
        '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200',
      ],
      // SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to disconnect).
      stopSignal: 'SIGINT',
      ...(as ?? {}),
    });
  }

  get datadir(): string {
    return join(this.dir, 'data');
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  info(): PostgresServerInfo {
    return { host: this.host, port: this.port, user: POSTGRES_USER, password: '' };
  }

  async start(timeoutMs = 60_000): Promise<void> {
    if (!existsSync(this.datadir)) {
      await run(join(postgresBinDir(), 'initdb'), ['-D', this.datadir, '-U', POSTGRES_USER, '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'],
        { cwd: this.dir, ...(this.as ?? {}) });
    }
    this.process.start();
    await waitFor(async () => {
      this.process.assertAlive();
      const c = new pg.Client({ ...this.info(), database: 'postgres' });
      try {
        await c.connect();
        await c.query('SELECT 1');
        return true;
      } catch {
        return false;
      } finally {
        await c.end().catch(() => {});
      }
    }, { timeoutMs, intervalMs: 100, what: `postgres on port ${this.port}` });
  }

  async stop(opts: { removeData?: boolean } = {}): Promise<void> {
    await this.process.stop(30_000);
    if (opts.removeData ?? true) removeDir(this.dir);
  }

  /** Stops the server for real (fast shutdown, or kill -9 with `hard`) and starts it again on the same port. */
  async restart(opts: { hard?: boolean } = {}): Promise<void> {
    if (opts.hard) await this.process.kill();
    else await this.process.stop(30_000);
    await this.start();
  }

  async rssMb(): Promise<number | null> {
    return rssMb(this.pid);
  }
}

export async function startPostgres(opts: { port?: number } = {}): Promise<PostgresServer> {
  const as = serverUser();
  // Its own temp dir (not under the stack's, which only root may enter), owned by the server's user.
  const dir = makeTempDir('mirror-postgres');
  mkdirSync(dir, { recursive: true });
  if (as) chownSync(dir, as.uid, as.gid);
  const server = new PostgresServer(dir, opts.port ?? await freePort(), as);
  try {
    await server.start();
  } catch (e) {
    await server.stop().catch(() => {});
    throw e;
  }
  return server;
}
