/**
 * The places a secret lives in settings (`tenant.sasl.password`, `replica.password`), and a walk that
 * maps each one. Used to seal secrets for disk, redact them for the renderer and resolve them for the
 * engine: one list, so a new secret field cannot be forgotten in one of those places.
 */
export type SecretPath = 'tenant.sasl.password' | 'replica.password';
export const SECRET_PATHS: readonly SecretPath[] = ['tenant.sasl.password', 'replica.password'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Calls `fn` for every present secret and returns a copy with the results in place. Never mutates. */
export async function mapSecrets<T>(settings: T, fn: (secret: unknown, path: SecretPath) => Promise<unknown>): Promise<T> {
  const out = structuredClone(settings) as unknown;
  for (const path of SECRET_PATHS) {
    const keys = path.split('.');
    let parent: unknown = out;
    for (const k of keys.slice(0, -1)) parent = isObj(parent) ? parent[k] : undefined;
    const leaf = keys[keys.length - 1] as string;
    if (isObj(parent) && parent[leaf] !== undefined) parent[leaf] = await fn(parent[leaf], path);
  }
  return out as T;
}

/** Reads the secret at a path, if any. */
export function secretAt(settings: unknown, path: SecretPath): unknown {
  let cur: unknown = settings;
  for (const k of path.split('.')) cur = isObj(cur) ? cur[k] : undefined;
  return cur;
}
