/**
 * The command line's arguments, help and exit codes as data: per-command options (an option of another
 * command is a usage error), `--help` per command with its usage, options and exit codes, `--version`,
 * `status` as `info`, thresholds validated, errors mapped to the documented codes, and lag figures that
 * never go negative.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliUsageError, COMMANDS, DEFAULT_MAX_LAG_EVENTS, DEFAULT_MAX_LAG_SECONDS, commandHelp, generalHelp, parseCli } from '../../main/commands/cli-args.ts';
import { EXIT, EXIT_MEANINGS, exitCodeForError } from '../../main/commands/exit-codes.ts';
import { computeLag, lagVerdict } from '../../main/commands/lag.ts';
import { refuseClearSecrets, requireSecretEnv } from '../../main/commands/config-file.ts';
import { schemaResultText } from '../../main/commands/lease-handoff.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { parseTableStats, tableStatsRow } from '../../main/engine/state/table-stats.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';

const run = (argv: string[]) => {
  const p = parseCli(argv);
  assert.equal(p.kind, 'run');
  return p as Extract<typeof p, { kind: 'run' }>;
};

describe('CLI arguments', () => {
  it('info takes its thresholds, with defaults; status is info', () => {
    const d = run(['info', '-c', 'x.json']);
    assert.equal(d.command, 'info');
    assert.equal(d.options.config, 'x.json');
    assert.equal(d.options.maxLagEvents, DEFAULT_MAX_LAG_EVENTS);
    assert.equal(d.options.maxLagSeconds, DEFAULT_MAX_LAG_SECONDS);
    const s = run(['status', '--max-lag-events', '0', '--max-lag-seconds=2.5', '--json']);
    assert.equal(s.command, 'info');
    assert.deepEqual([s.options.maxLagEvents, s.options.maxLagSeconds, s.options.json], [0, 2.5, true]);
  });

  it('an option of another command, a bad number or a bad level is a usage error naming it', () => {
    assert.throws(() => parseCli(['info', '--until-caught-up']), (e: unknown) => e instanceof CliUsageError && /until-caught-up/.test(e.message) && /usage: tenant-mirror info/.test(e.usage));
    assert.throws(() => parseCli(['info', '--max-lag-events=-1']), /--max-lag-events must be a non-negative whole number/);
    assert.throws(() => parseCli(['info', '--max-lag-events', '1.5']), /whole number/);
    assert.throws(() => parseCli(['info', '--max-lag-seconds', 'soon']), /--max-lag-seconds/);
    assert.throws(() => parseCli(['sync', '--timeout', '0']), /--timeout must be a positive number/);
    assert.throws(() => parseCli(['sync', '--log-level', 'loud']), /--log-level must be one of error, warn, info, debug/);
    assert.throws(() => parseCli(['provision', 'extra']), /provision takes no arguments/);
    assert.throws(() => parseCli(['frobnicate']), (e: unknown) => e instanceof CliUsageError && /unknown command "frobnicate"/.test(e.message));
    assert.throws(() => parseCli(['resync-tables', '-c', 'x.json']), (e: unknown) => e instanceof CliUsageError && /resync-tables: name at least one table \(<schema\.table>…\)/.test(e.message) && /usage: tenant-mirror resync-tables/.test(e.usage));
  });

  it('sync --until-caught-up, timeouts in ms, resync-tables positionals, serve passes its argv on', () => {
    const s = run(['sync', '--until-caught-up', '--timeout', '90', '--log-level', 'warn']);
    assert.deepEqual([s.options.untilCaughtUp, s.options.timeoutMs, s.options.logLevel], [true, 90_000, 'warn']);
    assert.deepEqual(run(['resync-tables', 'crm.a', 'crm.b']).positionals, ['crm.a', 'crm.b']);
    assert.deepEqual(parseCli(['serve', '--port', '0', '--bogus']), { kind: 'serve', argv: ['--port', '0', '--bogus'] });
  });

  it('--help per command shows its usage, its options and its exit codes; --version', () => {
    for (const c of COMMANDS.filter((x) => x !== 'serve')) {
      const h = parseCli([c, '--help']);
      assert.equal(h.kind, 'help');
      const text = (h as { text: string }).text;
      assert.match(text, new RegExp(`usage: tenant-mirror ${c}`));
      assert.match(text, /--config <file>/);
      assert.match(text, /exit codes:\n\s+0 {2}ok/);
      assert.deepEqual(parseCli(['help', c]), h);
    }
    const info = commandHelp('info');
    assert.match(info, /--max-lag-events <n>/);
    assert.match(info, /\n\s+7 {2}`info`: lag above/);
    assert.match(info, /\n\s+5 {2}a table is stale or halted/);
    assert.doesNotMatch(commandHelp('validate'), /\n\s+7 {2}/, 'validate never exits 7');
    assert.match(commandHelp('sync'), /--until-caught-up/);
    assert.match(commandHelp('sync'), /Exit 6 when another sync, serve or desktop app writes the replica; a resync-tables, update-schema, provision or reset-offsets running with an engine of its own is waited for/);
    // The general help's one-writer paragraph says that sync waits for a command that ends by itself (until 2026-12-07 noon it said exit 6 only).
    assert.match(generalHelp(), /sync and provision\nexit with code 6 naming it; .*\n.*\n.*sync waits for it to end and then starts/);
    assert.deepEqual(parseCli(['--version']), { kind: 'version' });
    assert.equal(parseCli([]).kind, 'help');
    assert.equal((parseCli([]) as { code: number }).code, EXIT.usage);
    assert.equal((parseCli(['--help']) as { code: number }).code, EXIT.ok);
  });
});

describe('exit codes', () => {
  it('errors map to the documented codes', () => {
    assert.equal(exitCodeForError(new MirrorError('CONFIG_INVALID', 'x')), EXIT.usage);
    assert.equal(exitCodeForError(new MirrorError('SECRET_ENV_MISSING', 'x')), EXIT.usage);
    assert.equal(exitCodeForError(new MirrorError('REPLICA_NOT_PROVISIONED', 'x')), EXIT.notProvisioned);
    assert.equal(exitCodeForError(new MirrorError('REPLICA_IN_USE', 'x')), EXIT.inUse);
    assert.equal(exitCodeForError(new MirrorError('KAFKA_UNREACHABLE', 'x')), EXIT.failed);
    assert.equal(exitCodeForError(new Error('boom')), EXIT.failed);
  });

  it('the README lists every code with its meaning', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    for (const [code] of EXIT_MEANINGS) assert.match(readme, new RegExp(`\\n\\| ${code} \\| `), `README table row for exit code ${code}`);
  });
});

describe('lag from one set of numbers', () => {
  const now = 1_000_000;
  it('per partition: high − next, seconds from the first unapplied record, 0 / 0 when none waits', () => {
    const r = computeLag([
      { partition: 1, next: 40n, low: 0n, high: 40n },
      { partition: 0, next: 10n, low: 0n, high: 25n },
      { partition: 2, next: null, low: 5n, high: 9n },
    ], new Map([[0, now - 12_000], [2, now - 3_000]]), now);
    assert.deepEqual(r.partitions.map((p) => [p.partition, p.lagEvents, p.lagSeconds]), [[0, 15, 12], [1, 0, 0], [2, 4, 3]]);
    assert.equal(r.lagEvents, 19);
    assert.equal(r.lagSeconds, 12);
  });

  it('a stored offset above the high watermark counts 0 and says why; a purged range is named', () => {
    const r = computeLag([{ partition: 0, next: 50n, low: 0n, high: 20n }, { partition: 1, next: 3n, low: 10n, high: 12n }], new Map([[1, now]]), now);
    assert.equal(r.partitions[0]!.lagEvents, 0);
    assert.equal(r.partitions[0]!.lagSeconds, 0);
    assert.match(r.partitions[0]!.note!, /30 above the high watermark 20/);
    assert.equal(r.partitions[1]!.lagEvents, 2);
    assert.match(r.partitions[1]!.note!, /events 3–9 were purged/);
    assert.ok(r.lagEvents >= 0);
  });

  it('behind beyond a threshold, or unknown, is behind', () => {
    const lag = computeLag([{ partition: 0, next: 0n, low: 0n, high: 11n }], new Map([[0, now - 1000]]), now);
    assert.equal(lagVerdict(lag, { events: 10, seconds: 60 }).behind, true);
    assert.equal(lagVerdict(lag, { events: 11, seconds: 60 }).behind, false);
    assert.equal(lagVerdict(lag, { events: 100, seconds: 0.5 }).behind, true);
    assert.equal(lagVerdict(null, { events: 100, seconds: 100 }).behind, true);
    const unknown = computeLag([{ partition: 0, next: 0n, low: 0n, high: 1n }], new Map(), now);
    assert.equal(unknown.lagSeconds, null);
    assert.match(lagVerdict(unknown, { events: 100, seconds: 100 }).reasons.join(), /could not be read/);
  });
});

describe('passwords in a config file', () => {
  const base = { tenant: { ctx: 'acme', brokers: ['k:9092'], sasl: { mechanism: 'plain', username: 'u', password: { env: 'TM_TEST_SASL_UNSET_1' } } }, replica: { kind: 'postgres', host: 'h', port: 5432, database: 'd', user: 'u', password: 'hunter2-literal' } };
  it('a literal password is refused naming the key and the fix, never the value', () => {
    assert.throws(() => refuseClearSecrets(base, '/etc/tm.json'), (e: unknown) => {
      assert.ok(e instanceof MirrorError);
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.match(e.message, /replica\.password holds a password in clear text/);
      assert.match(e.message, /"password": \{ "env": "TM_REPLICA_PASSWORD" \}/);
      assert.doesNotMatch(e.message, /hunter2/);
      assert.equal(e.detail?.key, 'replica.password');
      return true;
    });
  });
  it('an env reference whose variable is not set names the variable', () => {
    const s = settingsSchema.parse({ ...base, replica: { ...base.replica, password: { env: 'TM_TEST_REPLICA_UNSET_2' } } });
    assert.throws(() => requireSecretEnv(s, {}), (e: unknown) => e instanceof MirrorError && e.code === 'SECRET_ENV_MISSING' && /TM_TEST_SASL_UNSET_1/.test(e.message) && /tenant\.sasl\.password/.test(e.message));
    assert.doesNotThrow(() => requireSecretEnv(s, { TM_TEST_SASL_UNSET_1: 'a', TM_TEST_REPLICA_UNSET_2: 'b' }));
  });
});

describe('reports built from what happened', () => {
  it('update-schema prints each applied change with what it did', () => {
    const text = schemaResultText({
      created: ['crm.extra'], altered: ['crm.contact'], recreated: [], dropped: [], snapshotsRequested: ['crm.extra'],
      changes: [
        { at: 1, table: 'crm.extra', change: 'created', detail: 'from the schema history, 5 columns' },
        { at: 2, table: 'crm.contact', change: 'altered', detail: 'added note' },
        { at: 3, table: 'crm.extra', change: 'snapshot requested', detail: null },
      ],
    });
    assert.match(text, /^created: crm\.extra$/m);
    assert.match(text, /^altered: crm\.contact$/m);
    assert.match(text, /^ {2}altered crm\.contact \(added note\)$/m);
    assert.doesNotMatch(text, /^ {2}snapshot requested/m);
    assert.match(schemaResultText({ created: [], altered: [], recreated: [], dropped: [], snapshotsRequested: [], changes: [] }), /nothing to change/);
  });

  it('table stats keep earlier figures for tables this run did not touch, and drop tables that are gone', () => {
    const prev = { at: 1, tables: { 'crm.a': { rows: 5, lastSourceTs: 10, lastAppliedAt: 11 }, 'crm.gone': { rows: 1, lastSourceTs: 1, lastAppliedAt: 1 } } };
    const counters = new Map([['crm.b', { eventsApplied: 3, lastSourceTs: 20, lastAppliedAt: 21, rows: 7, rowsAt: 22 }], ['crm.a', { eventsApplied: 0, lastSourceTs: null, lastAppliedAt: null, rows: 6, rowsAt: 5 }]]);
    const row = tableStatsRow(prev, counters, ['crm.a', 'crm.b'], 99);
    assert.deepEqual(parseTableStats(row.value), { at: 99, tables: { 'crm.a': { rows: 6, lastSourceTs: 10, lastAppliedAt: 11 }, 'crm.b': { rows: 7, lastSourceTs: 20, lastAppliedAt: 21 } } });
    assert.equal(parseTableStats('not json'), null);
  });
});
