/** Reading a driver error out of what a replica call threw. */
import { MirrorError } from '../errors.ts';

/** Error message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Follows `.cause` links to the first error carrying a driver code (`code` string or SQLSTATE). */
export function driverError(err: unknown): (Error & { code?: string }) | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    if (typeof (e as { code?: unknown }).code === 'string' && !(e instanceof MirrorError)) return e as Error & { code?: string };
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
