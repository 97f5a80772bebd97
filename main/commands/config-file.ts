/**
 * The CLI's JSON config file: validated with the one settings schema; a bad key is named. A password in
 * clear is refused (a config file holds `{ "env": "VAR" }` only), and a named variable that is not set is
 * reported with its name before anything connects.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeSettingsIssues, settingsSchema, withoutRetiredSettings } from '../../preload/contract/settings.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { SECRET_PATHS, secretAt } from '../app/settings/secret-paths.ts';
import { missingSecretEnv } from '../engine/config/secrets.ts';
import { MirrorError } from '../engine/errors.ts';

export const DEFAULT_CONFIG = 'tenant-mirror.json';

const ENV_HINT: Record<string, string> = { 'tenant.sasl.password': 'TM_KAFKA_PASSWORD', 'replica.password': 'TM_REPLICA_PASSWORD' };

/**
 * Throws CONFIG_INVALID when a secret in a config file is a literal string: passwords never land on disk.
 * The message names the key and the fix, never the value.
 */
export function refuseClearSecrets(json: unknown, file: string): void {
  for (const path of SECRET_PATHS) {
    if (typeof secretAt(json, path) !== 'string') continue;
    const env = ENV_HINT[path] ?? 'TM_PASSWORD';
    const fix = `put the password in an environment variable and write "password": { "env": "${env}" } at ${path} (then export ${env}=… before running)`;
    throw new MirrorError('CONFIG_INVALID', `${file}: ${path} holds a password in clear text, which a config file may not: ${fix}`, { detail: { file, key: path, fix } });
  }
}

/** Throws SECRET_ENV_MISSING for the first `{ "env": "VAR" }` secret whose variable is not set. */
export function requireSecretEnv(settings: Settings, env: NodeJS.ProcessEnv = process.env): void {
  for (const path of SECRET_PATHS) {
    const s = secretAt(settings, path);
    if (typeof s === 'object' && s !== null && typeof (s as { env?: unknown }).env === 'string') {
      const name = (s as { env: string }).env;
      if (env[name] === undefined) throw missingSecretEnv(path, name);
    }
  }
}

export function loadConfig(file: string | undefined): { settings: Settings; path: string } {
  const path = resolve(file ?? process.env.TENANT_MIRROR_CONFIG ?? DEFAULT_CONFIG);
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (err) {
    throw new MirrorError('CONFIG_INVALID', `cannot read config ${path}: ${(err as Error).message}`, { detail: { file: path } });
  }
  let json: unknown;
  try { json = JSON.parse(text); } catch (err) {
    throw new MirrorError('CONFIG_INVALID', `${path} is not valid JSON: ${(err as Error).message}`, { detail: { file: path } });
  }
  const r = settingsSchema.safeParse(withoutRetiredSettings(json));
  if (!r.success) throw new MirrorError('CONFIG_INVALID', `${path}:\n  ${describeSettingsIssues(r.error).join('\n  ')}`, { detail: { file: path } });
  refuseClearSecrets(json, path);
  requireSecretEnv(r.data);
  return { settings: r.data, path };
}
