/**
 * `tenant-mirror` — the command line on the same engine as the desktop app. Arguments, per-command help
 * and exit codes: commands/cli-args.ts and commands/exit-codes.ts (the table the README repeats).
 */
import './no-timeout-negative-warning.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MirrorError } from './engine/errors.ts';
import { createLogger, provision, reconnect, resetOffsets, resyncTables, sync, updateSchema, validate } from './commands/cli-commands.ts';
import { CliUsageError, parseCli } from './commands/cli-args.ts';
import type { ParsedCli } from './commands/cli-args.ts';
import { loadConfig } from './commands/config-file.ts';
import { EXIT, exitCodeForError } from './commands/exit-codes.ts';
import { info } from './commands/info.ts';
import { assertReplicaFileExists } from './engine/replica/replica-file.ts';

export const CLI_VERSION = (JSON.parse(readFileSync(join(import.meta.dirname, '../package.json'), 'utf8')) as { version: string }).version;

/** Commands that write to a replica `provision` made: none of them creates a SQLite file (replica-file.ts). */
const NEED_A_REPLICA: ReadonlySet<string> = new Set(['sync', 'update-schema', 'resync-tables', 'reset-offsets']);

export async function main(argv: string[]): Promise<number> {
  let parsed: ParsedCli;
  try { parsed = parseCli(argv); } catch (err) {
    if (!(err instanceof CliUsageError)) throw err;
    process.stderr.write(`error: ${err.message}\n\n${err.usage}\n`);
    return EXIT.usage;
  }
  if (parsed.kind === 'help') { (parsed.code === EXIT.ok ? process.stdout : process.stderr).write(`${parsed.text}\n`); return parsed.code; }
  if (parsed.kind === 'version') { process.stdout.write(`tenant-mirror ${CLI_VERSION} (node ${process.versions.node})\n`); return EXIT.ok; }
  if (parsed.kind === 'serve') { const { serveCommand } = await import('./commands/serve.ts'); return serveCommand(parsed.argv); }
  const { command, options: o, positionals } = parsed;
  const io = { out: (l: string) => process.stdout.write(l + '\n'), json: o.json, tty: process.stdout.isTTY === true };
  try {
    const { settings } = loadConfig(o.config);
    const log = createLogger(o.logLevel ?? settings.logLevel);
    const timeoutMs = o.timeoutMs ?? 3_600_000;
    if (NEED_A_REPLICA.has(command)) assertReplicaFileExists(settings);
    switch (command) {
      case 'provision': return await provision(settings, io, log, timeoutMs);
      case 'validate': return await validate(settings, io);
      case 'sync': return await sync(settings, io, log, { untilCaughtUp: o.untilCaughtUp, timeoutMs });
      case 'info': return await info(settings, io, log, { maxLagEvents: o.maxLagEvents, maxLagSeconds: o.maxLagSeconds });
      case 'reconnect': return await reconnect(settings, io);
      case 'update-schema': return await updateSchema(settings, io, log, o.timeoutMs);
      case 'resync-tables': return await resyncTables(settings, positionals, io, log, timeoutMs);
      case 'reset-offsets': return await resetOffsets(settings, io, log, timeoutMs);
    }
  } catch (err) {
    const e = MirrorError.from(err);
    process.stderr.write(`error [${e.code}]: ${e.message}\n`);
    return exitCodeForError(e);
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
