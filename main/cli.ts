/**
 * `tenant-mirror` — the command line on the same engine as the desktop app.
 * Exit codes: 0 ok · 1 failed · 2 usage or config error · 3 validation failed · 4 not provisioned ·
 * 5 stale or halted tables present (info) · 6 replica in use by another Tenant Mirror process · 130 interrupted.
 */
import './no-timeout-negative-warning.ts';
import { parseArgs } from 'node:util';
import { MirrorError } from './engine/errors.ts';
import { EXIT, createLogger, info, provision, reconnect, resetOffsets, resyncTables, sync, updateSchema, validate } from './commands/cli-commands.ts';
import { loadConfig } from './commands/config-file.ts';

const USAGE = `usage: tenant-mirror <command> [options]

commands:
  provision                         create _ReplicationState, store the tenant, load the initial snapshot
  validate                          check config, replica reachability and rights, Kafka topics and signal write
  sync [--until-caught-up]          replicate in the foreground (Ctrl+C stops cleanly)
  info | status [--json]            session, offsets, tables and their states
  reconnect                         re-check the Kafka credentials, keeping the session and offsets
  update-schema                     check for new / changed / dropped tables now
  resync-tables <schema.table>…     resnapshot the named tables (no empty-table window)
  reset-offsets                     recovery when the change topic was recreated or the replica comes from
                                    another environment: read on from the topic's end, resync every table
  serve [--port N] [--host H --token T]  the engine + the UI over a loopback WebSocket

options:
  -c, --config <file>   JSON config (default ./tenant-mirror.json or $TENANT_MIRROR_CONFIG)
  --json                machine-readable output
  --timeout <seconds>   for provision / resync-tables / sync --until-caught-up (default 3600)
  --log-level <level>   error | warn | info | debug

one writer per replica: while another Tenant Mirror process writes to the replica, sync and provision
exit with code 6 naming it; update-schema and resync-tables are handed to that process instead.

exit codes: 0 ok · 1 failed · 2 usage or config error · 3 validation failed · 4 not provisioned ·
  5 stale or halted tables (info) · 6 replica in use by another process · 130 interrupted`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') { process.stdout.write(USAGE + '\n'); return command ? EXIT.ok : EXIT.usage; }
  if (command === 'serve') { const { serveCommand } = await import('./commands/serve.ts'); return serveCommand(rest); }
  let values: { config?: string; json?: boolean; timeout?: string; 'log-level'?: string; 'until-caught-up'?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest, allowPositionals: true, strict: true,
      options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, timeout: { type: 'string' }, 'log-level': { type: 'string' }, 'until-caught-up': { type: 'boolean' } },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const io = { out: (l: string) => process.stdout.write(l + '\n'), json: values.json === true };
  try {
    const { settings } = loadConfig(values.config);
    const level = (values['log-level'] ?? settings.logLevel) as 'info';
    const log = createLogger(level);
    const timeoutMs = Number(values.timeout ?? 3600) * 1000;
    switch (command) {
      case 'provision': return await provision(settings, io, log, timeoutMs);
      case 'validate': return await validate(settings, io);
      case 'sync': return await sync(settings, io, log, { untilCaughtUp: values['until-caught-up'] === true, timeoutMs });
      case 'info': case 'status': return await info(settings, io);
      case 'reconnect': return await reconnect(settings, io);
      case 'update-schema': return await updateSchema(settings, io, log, values.timeout === undefined ? undefined : timeoutMs);
      case 'resync-tables': return await resyncTables(settings, positionals, io, log, timeoutMs);
      case 'reset-offsets': return await resetOffsets(settings, io, log, timeoutMs);
      default:
        process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`);
        return EXIT.usage;
    }
  } catch (err) {
    const e = MirrorError.from(err);
    process.stderr.write(`error [${e.code}]: ${e.message}\n`);
    if (e.code === 'CONFIG_INVALID' || e.code === 'BAD_REQUEST') return EXIT.usage;
    if (e.code === 'REPLICA_NOT_PROVISIONED') return EXIT.notProvisioned;
    if (e.code === 'REPLICA_IN_USE') return EXIT.inUse;
    return EXIT.failed;
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
