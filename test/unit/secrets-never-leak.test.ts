/**
 * Security: the Kafka SASL password and the replica password never appear in log output, in written
 * config files, in the support bundle's settings, or in the CLI's output — a sentinel secret is planted
 * and searched for everywhere. (At-rest encryption of the desktop store is covered by
 * settings-secrets-stay-encrypted.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createFileSettings } from '../../main/commands/file-settings.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { createLogger } from '../../main/engine/log.ts';
import { redactSecrets } from '../../preload/contract/settings-public.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';

const SASL = 'SaslSentinel-7f3a9c';
const REPLICA = 'ReplicaSentinel-2b8e41';
const leaks = (text: string): string[] => [SASL, REPLICA].filter((s) => text.includes(s));

const literal = () => settingsSchema.parse({
  tenant: { ctx: 'acme', brokers: ['127.0.0.1:1'], sasl: { mechanism: 'plain', username: 'svc', password: SASL } },
  replica: { kind: 'postgres', host: '127.0.0.1', port: 1, database: 'mirror', user: 'mirror', password: REPLICA },
});

describe('secrets never leak', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm-secrets-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the logger redacts them wherever they sit in the data, at every level', () => {
    const lines: string[] = [];
    const log = createLogger('debug', (l) => lines.push(l));
    const s = literal();
    for (const lv of ['error', 'warn', 'info', 'debug'] as const) {
      log[lv]('settings', { settings: s });
      log[lv]('tenant', { tenant: s.tenant, nested: [{ deeper: { sasl: s.tenant.sasl } }] });
      log[lv]('replica', { replica: s.replica, password: REPLICA, saslPassword: SASL, token: SASL, secret: REPLICA });
    }
    assert.ok(lines.length >= 12);
    assert.deepEqual(leaks(lines.join('\n')), [], 'no sentinel in the log lines');
    assert.ok(lines.some((l) => l.includes('svc')), 'non-secret fields are still logged');
  });

  it('the support bundle settings and settings:get hide them', () => {
    const pub = redactSecrets(literal());
    assert.deepEqual(leaks(JSON.stringify(pub)), []);
    assert.deepEqual(pub.tenant.sasl?.password, { stored: true });
  });

  it('a config file never receives them: literal passwords are refused (without echoing them), env refs are written', async () => {
    const file = join(dir, 'serve.json');
    const fs = createFileSettings(file);
    const err = await fs.save(literal() as never).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof MirrorError && err.code === 'CONFIG_INVALID', 'a literal password is refused');
    assert.deepEqual(leaks(`${err.message} ${JSON.stringify(err.toData())}`), [], 'the refusal does not echo the secret');
    const withEnv = { ...literal(), tenant: { ...literal().tenant, sasl: { mechanism: 'plain' as const, username: 'svc', password: { env: 'TM_SASL' } } }, replica: { ...literal().replica, password: { env: 'TM_REPLICA' } } };
    await fs.save(withEnv as never);
    assert.deepEqual(leaks(readFileSync(file, 'utf8')), []);
    assert.deepEqual(leaks(JSON.stringify(await fs.getPublic())), []);
  });

  it('the CLI (validate and sync at debug level, endpoints unreachable) prints no secret and writes none', async () => {
    const cfg = join(dir, 'cli.json');
    writeFileSync(cfg, JSON.stringify({
      tenant: { ctx: 'acme', brokers: ['127.0.0.1:1'], sasl: { mechanism: 'plain', username: 'svc', password: { env: 'TM_SASL' } } },
      replica: { kind: 'postgres', host: '127.0.0.1', port: 1, database: 'mirror', user: 'mirror', password: { env: 'TM_REPLICA' } },
      logLevel: 'debug',
    }));
    const run = (cmd: string) => new Promise<string>((resolve) => {
      // sync waits for an unreachable replica (until --timeout with --until-caught-up)
      const args = cmd === 'sync' ? [cmd, '--until-caught-up'] : [cmd];
      const child = spawn(process.execPath, [join(import.meta.dirname, '../../main/cli.ts'), ...args, '-c', cfg, '--log-level', 'debug', '--timeout', '5'], {
        env: { ...process.env, TM_SASL: SASL, TM_REPLICA: REPLICA }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', () => { clearTimeout(timer); resolve(out); });
    });
    const outputs = [await run('validate'), await run('sync'), await run('info')];
    for (const o of outputs) assert.deepEqual(leaks(o), [], `no secret in CLI output:\n${o.slice(0, 2000)}`);
    assert.ok(outputs.join('').length > 0, 'the CLI said something');
    for (const f of readdirSync(dir)) assert.deepEqual(leaks(readFileSync(join(dir, f), 'utf8')), [], `no secret in ${f}`);
  });
});
