/** The CLI's JSON config file: validated with the one settings schema; a bad key is named. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeSettingsIssues, settingsSchema } from '../../preload/contract/settings.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { MirrorError } from '../engine/errors.ts';

export const DEFAULT_CONFIG = 'tenant-mirror.json';

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
  const r = settingsSchema.safeParse(json);
  if (!r.success) throw new MirrorError('CONFIG_INVALID', `${path}:\n  ${describeSettingsIssues(r.error).join('\n  ')}`, { detail: { file: path } });
  return { settings: r.data, path };
}
