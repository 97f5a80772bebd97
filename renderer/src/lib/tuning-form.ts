/**
 * The Settings page's tuning keys as typed (strings and booleans) and their validation with the one
 * settings schema: each key's value is checked by that key's own schema, so the page and the config
 * file accept exactly the same values. Pure: unit-tested.
 */
import { retryOrderIssue, settingsSchema, TUNING_KEYS } from '../../../preload/contract/settings.ts';
import type { Settings, TuningKey } from '../../../preload/contract/settings.ts';
import type { FieldErrors, Parsed } from './wizard-form.ts';

export type TuningForm = Record<TuningKey, string | boolean>;
export type TuningValues = Pick<Settings, TuningKey>;

export const TUNING_ORDER = Object.keys(TUNING_KEYS) as TuningKey[];

const shape = settingsSchema.shape;

/** The form from stored values (defaults where a key is not set). */
export function tuningForm(stored: Partial<Record<TuningKey, unknown>> | null): TuningForm {
  const out = {} as TuningForm;
  for (const key of TUNING_ORDER) {
    const v = stored?.[key] ?? shape[key].parse(undefined);
    out[key] = typeof v === 'boolean' ? v : String(v);
  }
  return out;
}

/** The values a key may take when its schema is a list of words (logLevel, fetchThread), else null. */
export function choicesOf(key: TuningKey): readonly string[] | null {
  const inner = (shape[key] as unknown as { unwrap?: () => { options?: readonly string[] } }).unwrap?.();
  return inner?.options ?? null;
}

/** What kind of control a key needs, read from its schema. */
export function controlOf(key: TuningKey): 'boolean' | 'number' | 'choice' {
  if (choicesOf(key)) return 'choice';
  return typeof shape[key].parse(undefined) === 'boolean' ? 'boolean' : 'number';
}

export function tuningFromForm(f: TuningForm): Parsed<TuningValues> {
  const errors: FieldErrors = {};
  const value: Record<string, unknown> = {};
  for (const key of TUNING_ORDER) {
    const raw = f[key];
    const control = controlOf(key);
    const input = control === 'number' ? (String(raw).trim() === '' ? Number.NaN : Number(String(raw).trim())) : raw;
    if (control === 'number' && !Number.isFinite(input)) { errors[key] = 'enter a number'; continue; }
    const r = shape[key].safeParse(input);
    if (r.success) value[key] = r.data;
    else errors[key] = numberMessage(r.error.issues[0]) ?? r.error.issues[0]?.message ?? 'not a valid value';
  }
  if (value['retryInitialMs'] !== undefined && value['retryMaxMs'] !== undefined) {
    const retry = retryOrderIssue(value as Pick<Settings, 'retryInitialMs' | 'retryMaxMs'>);
    if (retry) errors['retryMaxMs'] = retry;
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value: value as TuningValues };
}

/** zod's number issues in words a person can act on. */
function numberMessage(issue: { code: string; minimum?: unknown; maximum?: unknown; expected?: unknown } | undefined): string | null {
  if (!issue) return null;
  if (issue.code === 'too_small') return `must be at least ${String(issue.minimum)}`;
  if (issue.code === 'too_big') return `must be at most ${String(issue.maximum)}`;
  if (issue.code === 'invalid_type' && issue.expected === 'int') return 'must be a whole number';
  return null;
}
