/**
 * Folder main/commands/: CLI commands and `serve`: arguments, config files, progress and reports.
 *
 * The command line's arguments: one spec per command (summary, options, exit codes), from which both
 * the parser and `--help` are made. Pure: parsing and help text are unit-tested.
 */
import { parseArgs } from 'node:util';
import { EXIT, exitCodesText } from './exit-codes.ts';
import type { ExitCode } from './exit-codes.ts';

export const COMMANDS = ['provision', 'validate', 'sync', 'info', 'reconnect', 'update-schema', 'resync-tables', 'reset-offsets', 'serve'] as const;
export type CommandName = (typeof COMMANDS)[number];
/** `status` is `info` under another name. */
const ALIASES: Record<string, CommandName> = { status: 'info' };

export const DEFAULT_MAX_LAG_EVENTS = 10_000;
export const DEFAULT_MAX_LAG_SECONDS = 300;
const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type CliLogLevel = (typeof LOG_LEVELS)[number];

interface OptionSpec { type: 'string' | 'boolean'; short?: string; arg?: string; help: string }

const COMMON: Record<string, OptionSpec> = {
  config: { type: 'string', short: 'c', arg: '<file>', help: 'JSON config (default ./tenant-mirror.json or $TENANT_MIRROR_CONFIG)' },
  'log-level': { type: 'string', arg: '<level>', help: 'error | warn | info | debug (default: the config\'s logLevel, info)' },
  json: { type: 'boolean', help: 'machine-readable output' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
};
const TIMEOUT: OptionSpec = { type: 'string', arg: '<seconds>', help: 'give up after this long (default 3600); Kafka or the replica not reachable meanwhile is waited for within it' };

interface CommandSpec { summary: string; args?: string; options: Record<string, OptionSpec>; exits: ExitCode[]; details?: string }

export const SPECS: Record<CommandName, CommandSpec> = {
  provision: {
    summary: 'create _ReplicationState, store the tenant, load the initial snapshot; waits until it is loaded',
    options: { timeout: TIMEOUT }, exits: [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.stale, EXIT.inUse, EXIT.interrupted],
    details: 'Ends with each table that is stale or halted and why (exit 5); the other tables are loaded.',
  },
  validate: {
    summary: 'check config, replica reachability and rights, Kafka topics and signal write (creates no replica file)',
    options: {}, exits: [EXIT.ok, EXIT.usage, EXIT.invalid],
  },
  sync: {
    summary: 'replicate in the foreground (Ctrl+C stops cleanly)',
    options: { 'until-caught-up': { type: 'boolean', help: 'stop once every partition is applied up to its high watermark' }, timeout: TIMEOUT },
    exits: [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.notProvisioned, EXIT.stale, EXIT.inUse, EXIT.interrupted],
    details: 'With --until-caught-up: exit 5 naming each table that is stale or halted when caught up. Exit 6 when another sync, serve or desktop app writes the replica; ' +
      'a resync-tables, update-schema, provision or reset-offsets running with an engine of its own is waited for (with --until-caught-up, within --timeout).',
  },
  info: {
    summary: 'state, lag (events and seconds, overall and per partition), tables, gaps; read-only (alias: status)',
    options: {
      'max-lag-events': { type: 'string', arg: '<n>', help: `exit 7 when more events than this wait to be applied (default ${DEFAULT_MAX_LAG_EVENTS})` },
      'max-lag-seconds': { type: 'string', arg: '<s>', help: `exit 7 when the oldest unapplied event waits longer than this (default ${DEFAULT_MAX_LAG_SECONDS})` },
    },
    exits: [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.notProvisioned, EXIT.stale, EXIT.behind],
    details: 'Lag per partition is the high watermark minus the stored next offset (never negative: a stored offset\n'
      + 'above the high watermark is shown as 0 and flagged); lag in seconds is the age of the first unapplied\n'
      + 'record (its Kafka timestamp), 0 when none waits. Both come from the same offsets.',
  },
  reconnect: {
    summary: 're-check the Kafka credentials, keeping the session and offsets',
    options: {}, exits: [EXIT.ok, EXIT.usage, EXIT.invalid],
  },
  'update-schema': {
    summary: 'apply new / changed / dropped tables now, and report what was created, altered, recreated, dropped',
    options: { timeout: { ...TIMEOUT, help: 'give up after this long (default 600); Kafka or the replica not reachable meanwhile is waited for within it' } }, exits: [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.notProvisioned],
  },
  'resync-tables': {
    summary: 'resnapshot the named tables (no empty-table window)', args: '<schema.table>…',
    options: { timeout: TIMEOUT }, exits: [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.notProvisioned, EXIT.stale],
  },
  'reset-offsets': {
    summary: 'read on from the change topic\'s end and resync every table (topic recreated, replica from elsewhere)',
    options: { timeout: TIMEOUT }, exits: [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.notProvisioned, EXIT.stale, EXIT.inUse],
  },
  serve: {
    summary: 'the engine + the UI over a loopback WebSocket (`serve --help` for its options)',
    options: {}, exits: [EXIT.ok, EXIT.failed, EXIT.usage],
  },
};

export interface CliOptions {
  config?: string;
  json: boolean;
  logLevel?: CliLogLevel;
  timeoutMs?: number;
  untilCaughtUp: boolean;
  maxLagEvents: number;
  maxLagSeconds: number;
}

export type ParsedCli =
  | { kind: 'help'; text: string; code: ExitCode }
  | { kind: 'version' }
  | { kind: 'serve'; argv: string[] }
  | { kind: 'run'; command: Exclude<CommandName, 'serve'>; options: CliOptions; positionals: string[] };

export class CliUsageError extends Error {
  readonly usage: string;
  constructor(message: string, usage: string) { super(message); this.name = 'CliUsageError'; this.usage = usage; }
}

const optionLine = (name: string, o: OptionSpec): string =>
  `  ${`${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`.padEnd(28)}${o.help}`;

export function generalHelp(): string {
  const cmds = COMMANDS.map((c) => `  ${`${c === 'info' ? 'info | status' : c}${SPECS[c].args ? ` ${SPECS[c].args}` : ''}`.padEnd(32)}${SPECS[c].summary}`);
  return `usage: tenant-mirror <command> [options]      tenant-mirror <command> --help      tenant-mirror --version

commands:
${cmds.join('\n')}

options of every command:
${Object.entries(COMMON).map(([n, o]) => optionLine(n, o)).join('\n')}

one writer per replica: while another Tenant Mirror process writes to the replica, sync and provision
exit with code 6 naming it; update-schema and resync-tables are handed to that process instead. While
the writer is a command that ends by itself (resync-tables, update-schema, provision, reset-offsets run
with no engine running), sync waits for it to end and then starts (--until-caught-up: within --timeout).

exit codes:
${exitCodesText()}`;
}

export function commandHelp(command: CommandName): string {
  const s = SPECS[command];
  const opts = { ...s.options, ...COMMON };
  const exits = exitCodesText().split('\n').filter((l) => s.exits.includes(Number(l.trim().split(/\s+/)[0]) as ExitCode));
  return `usage: tenant-mirror ${command === 'info' ? 'info | status' : command}${s.args ? ` ${s.args}` : ''} [options]

${s.summary}${s.details ? `\n${s.details}` : ''}

options:
${Object.entries(opts).map(([n, o]) => optionLine(n, o)).join('\n')}

exit codes:
${exits.join('\n')}`;
}

function number(name: string, v: string | undefined, usage: string, opts: { integer?: boolean; positive?: boolean }): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  const ok = v.trim() !== '' && Number.isFinite(n) && (opts.positive ? n > 0 : n >= 0) && (!opts.integer || Number.isInteger(n));
  if (!ok) throw new CliUsageError(`--${name} must be a ${opts.positive ? 'positive' : 'non-negative'} ${opts.integer ? 'whole number' : 'number'}, not "${v}"`, usage);
  return n;
}

/** argv (after the program name) → what to do. Throws CliUsageError (exit 2) with the command's usage. */
export function parseCli(argv: readonly string[]): ParsedCli {
  const [first, ...rest] = argv;
  if (first === undefined) return { kind: 'help', text: generalHelp(), code: EXIT.usage };
  if (first === '-h' || first === '--help' || first === 'help') {
    const about = rest[0] === undefined ? undefined : ALIASES[rest[0]] ?? rest[0];
    if (about !== undefined && (COMMANDS as readonly string[]).includes(about)) return { kind: 'help', text: commandHelp(about as CommandName), code: EXIT.ok };
    return { kind: 'help', text: generalHelp(), code: EXIT.ok };
  }
  if (first === '-V' || first === '--version' || first === 'version') return { kind: 'version' };
  const command = ALIASES[first] ?? first;
  if (!(COMMANDS as readonly string[]).includes(command)) throw new CliUsageError(`unknown command "${first}"`, generalHelp());
  const name = command as CommandName;
  if (name === 'serve') return { kind: 'serve', argv: rest };
  const usage = commandHelp(name);
  const specs = { ...SPECS[name].options, ...COMMON };
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...rest], allowPositionals: true, strict: true,
      options: Object.fromEntries(Object.entries(specs).map(([n, o]) => [n, o.short ? { type: o.type, short: o.short } : { type: o.type }])),
    }));
  } catch (err) {
    throw new CliUsageError(`${name}: ${(err as Error).message}`, usage);
  }
  if (values.help === true) return { kind: 'help', text: usage, code: EXIT.ok };
  if (positionals.length && !SPECS[name].args) throw new CliUsageError(`${name} takes no arguments (got ${positionals.map((p) => `"${p}"`).join(' ')})`, usage);
  // Said before anything is opened (until 2026-12-07 a missing config or replica was said first).
  if (!positionals.length && SPECS[name].args) throw new CliUsageError(`${name}: name at least one table (${SPECS[name].args})`, usage);
  const level = values['log-level'] as string | undefined;
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level)) throw new CliUsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${level}"`, usage);
  const timeout = number('timeout', values.timeout as string | undefined, usage, { positive: true });
  const options: CliOptions = {
    json: values.json === true,
    untilCaughtUp: values['until-caught-up'] === true,
    maxLagEvents: number('max-lag-events', values['max-lag-events'] as string | undefined, usage, { integer: true }) ?? DEFAULT_MAX_LAG_EVENTS,
    maxLagSeconds: number('max-lag-seconds', values['max-lag-seconds'] as string | undefined, usage, {}) ?? DEFAULT_MAX_LAG_SECONDS,
  };
  if (values.config !== undefined) options.config = values.config as string;
  if (level !== undefined) options.logLevel = level as CliLogLevel;
  if (timeout !== undefined) options.timeoutMs = timeout * 1000;
  return { kind: 'run', command: name, options, positionals };
}
