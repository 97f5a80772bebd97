/** Resolves a secret setting (`"literal"` or `{ env: "VAR" }`) at the moment it is needed. */
import { MirrorError } from '../errors.ts';
import type { Secret } from '../../../preload/contract/settings.ts';

export function resolveSecret(s: Secret | undefined, what: string): string | undefined {
  if (s === undefined) return undefined;
  if (typeof s === 'string') return s;
  const v = process.env[s.env];
  if (v === undefined) throw new MirrorError('CONFIG_INVALID', `${what}: environment variable ${s.env} is not set`, { detail: { key: what } });
  return v;
}
