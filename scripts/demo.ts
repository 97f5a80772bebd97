/**
 * `npm run demo [-- --rows N] [--rate OPS_PER_S] [--port P]`
 * The product on its embedded default, on this machine: starts the local stack (Kafka + Kafka Connect
 * with the Debezium MariaDB connector + a seeded CRM source), provisions a SQLite replica from the
 * tenant's initial snapshot, then runs `tenant-mirror serve` (engine + UI) while a live workload
 * changes the source. Prints the UI address and a line of progress every few seconds; Ctrl+C stops all.
 */
import '../main/no-timeout-negative-warning.ts';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { build } from 'vite';
import { EXIT, createLogger, provision } from '../main/commands/cli-commands.ts';
import { startServe } from '../main/commands/serve.ts';
import { parseServeArgs } from '../main/commands/serve-args.ts';
import { settingsSchema } from '../preload/contract/settings.ts';
import { startStack } from '../test/harness/stack.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { rows: { type: 'string', default: '2000' }, rate: { type: 'string', default: '20' }, port: { type: 'string', default: '0' } },
});
const dir = path.join(ROOT, '.tenant-mirror', 'demo');
const replicaFile = path.join(dir, 'replica.db');
const configFile = path.join(dir, 'tenant-mirror.json');
const staticDir = path.join(ROOT, 'out', 'renderer');
const say = (line: string): void => { process.stdout.write(`${line}\n`); };

if (!existsSync(path.join(staticDir, 'index.html'))) {
  say('building the UI (out/renderer)…');
  await build({ configFile: path.join(ROOT, 'renderer/vite.config.ts'), logLevel: 'warn', build: { outDir: staticDir, emptyOutDir: true } });
}

say('starting the local stack (Kafka, Kafka Connect + Debezium, MariaDB source)…');
const stack = await startStack();
let stopping = false;
let serve: Awaited<ReturnType<typeof startServe>> | null = null;
let workload: Promise<unknown> | null = null;
let progress: NodeJS.Timeout | null = null;
const shutdown = async (code: number): Promise<never> => {
  if (!stopping) {
    stopping = true;
    say('\nstopping…');
    if (progress) clearInterval(progress);
    await serve?.close().catch(() => undefined);
    await workload?.catch(() => undefined);
    await stack.stop().catch(() => undefined);
  }
  process.exit(code);
};
process.on('SIGINT', () => void shutdown(EXIT.interrupted));
process.on('SIGTERM', () => void shutdown(0));

try {
  const tenant = await stack.createTenant({ seedRows: Number(values.rows) });
  say(`tenant ${tenant.ctx}: ${values.rows} seed rows over its CRM tables in MariaDB database ${tenant.database}, topics ${Object.values(tenant.topics).join(', ')}`);

  mkdirSync(dir, { recursive: true });
  for (const f of [replicaFile, `${replicaFile}-wal`, `${replicaFile}-shm`]) rmSync(f, { force: true });
  const config = { tenant: { ctx: tenant.ctx, brokers: stack.brokers }, replica: { kind: 'sqlite', file: replicaFile }, logLevel: 'warn' };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const settings = settingsSchema.parse(config);

  say(`provisioning the SQLite replica ${path.relative(ROOT, replicaFile)} (initial snapshot)…`);
  const code = await provision(settings, { out: say, json: false }, createLogger('warn'), 600_000);
  if (code !== EXIT.ok) await shutdown(code);

  const opts = parseServeArgs(['--config', configFile, '--port', values.port, '--static', staticDir], { staticDir });
  serve = await startServe(opts, { log: (line) => { if (!/\[engine (debug|info)\]/.test(line)) process.stderr.write(`${line}\n`); } });
  say(`\nTenant Mirror UI: ${serve.server.pageUrl}`);
  say(`same config from the command line: node main/cli.ts info -c ${path.relative(ROOT, configFile)}\n`);

  const rate = Number(values.rate);
  // The workload runs in 5 s slices so that Ctrl+C stops it within one.
  workload = (async () => { while (!stopping) await tenant.source.workload({ ratePerSec: rate, durationMs: 5000 }); })();
  say(`a live workload now changes the source at ${rate} ops/s; Ctrl+C to stop`);
  const tables = await tenant.source.tables();
  progress = setInterval(() => {
    void (async () => {
      const src = await Promise.all(tables.map((t) => tenant.source.count(t)));
      const db = new Database(replicaFile, { readonly: true, fileMustExist: true });
      try {
        // SQLite has no schemas: with no tablePrefix a replica table has the source table's bare name.
        const have = new Set((db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((r) => r.name));
        const rep = tables.map((t) => (have.has(t) ? (db.prepare(`SELECT count(*) AS n FROM "${t.replaceAll('"', '""')}"`).get() as { n: number }).n : 0));
        const s = src.reduce((a, b) => a + b, 0);
        const r = rep.reduce((a, b) => a + b, 0);
        say(`${new Date().toISOString().slice(11, 19)}  source rows ${s} · replica rows ${r}${s === r ? ' (in step)' : ''}`);
      } finally { db.close(); }
    })().catch((err: unknown) => say(`progress check failed: ${String(err)}`));
  }, 5000);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  await shutdown(1);
}
