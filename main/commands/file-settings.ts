/**
 * Settings for `serve`: a JSON file (the CLI's format). It cannot hold passwords in clear, so a
 * literal password may be used to test a connection but is refused on save, and a file holding one is
 * refused on load: give `{ "env": "VAR" }`.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import { settingsSchema, tenantSchema, replicaSchema, describeSettingsIssues, withoutRetiredSettings } from '../../preload/contract/settings.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { redactSecrets } from '../../preload/contract/settings-public.ts';
import type { SettingsWithSecretInputs } from '../../preload/contract/settings-public.ts';
import { MirrorError } from '../engine/errors.ts';
import { refuseClearSecrets } from './config-file.ts';
import { mapSecrets, secretAt } from '../app/settings/secret-paths.ts';
import type { SecretPath } from '../app/settings/secret-paths.ts';
import type { SettingsService } from '../ipc/handlers.ts';

export interface FileSettings extends SettingsService {
  load(): Promise<Settings | null>;
}

const isStored = (v: unknown): boolean => typeof v === 'object' && v !== null && (v as { stored?: unknown }).stored === true;

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } }, v: unknown, what: string): T {
  const r = schema.safeParse(v);
  if (!r.success) throw new MirrorError('CONFIG_INVALID', `${what}: ${describeSettingsIssues(r.error).join('; ')}`);
  return r.data;
}

export function createFileSettings(file: string): FileSettings {
  const read = async (): Promise<Settings | null> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new MirrorError('CONFIG_INVALID', `${file} is not valid JSON`, { cause: err });
    }
    refuseClearSecrets(json, file);
    return parse(settingsSchema, withoutRetiredSettings(json), file);
  };
  /** `{stored:true}` here means "the secret in the file": an `{env}` reference. */
  const keep = async <T>(value: T, prefix: string | null): Promise<T> => {
    const current = await read();
    const fn = async (secret: unknown, path: SecretPath): Promise<unknown> => {
      if (!isStored(secret)) return secret;
      const kept = current ? secretAt(current, path) : undefined;
      if (kept === undefined) throw new MirrorError('CONFIG_INVALID', `no password is configured for ${path}`, { detail: { key: path } });
      return kept;
    };
    if (prefix === null) return mapSecrets(value, fn);
    return ((await mapSecrets({ [prefix]: value }, fn)) as Record<string, unknown>)[prefix] as T;
  };
  return {
    load: read,
    async getPublic() {
      const s = await read();
      return s ? redactSecrets(s) : null;
    },
    async save(input: SettingsWithSecretInputs) {
      const merged = await keep(input, null);
      await mapSecrets(merged, async (secret, path) => {
        if (typeof secret === 'string') {
          throw new MirrorError('CONFIG_INVALID', `serve mode cannot store the password for ${path}: give it as { "env": "VAR" }`, { detail: { key: path } });
        }
        return secret;
      });
      const settings = parse(settingsSchema, merged, 'settings');
      const tmp = `${file}.tmp-${process.pid}`;
      await writeFile(tmp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
      await rename(tmp, file);
      return settings;
    },
    resolveTenant: async (t) => parse(tenantSchema, await keep(t, 'tenant'), 'tenant'),
    resolveReplica: async (r) => parse(replicaSchema, await keep(r, 'replica'), 'replica'),
  };
}
