/**
 * Folder main/engine/config/: settings the engine resolves when used (secrets from environment variables).
 *
 * Resolves a secret setting (`"literal"` or `{ env: "VAR" }`) at the moment it is needed.
 */
import { MirrorError } from '../errors.ts';
import type { Secret } from '../../../preload/contract/settings.ts';

/** The error for a `{ env: "VAR" }` secret whose variable is not set: names the key and the variable. */
export function missingSecretEnv(what: string, env: string): MirrorError {
  const fix = `set the environment variable ${env} to the password before starting (e.g. export ${env}=…), or name another variable in "${what.split('.').pop() ?? what}": { "env": "…" }`;
  return new MirrorError('SECRET_ENV_MISSING', `${what} is read from the environment variable ${env}, which is not set: ${fix}`, { detail: { key: what, env, fix } });
}

export function resolveSecret(s: Secret | undefined, what: string): string | undefined {
  if (s === undefined) return undefined;
  if (typeof s === 'string') return s;
  const v = process.env[s.env];
  if (v === undefined) throw missingSecretEnv(what, s.env);
  return v;
}
