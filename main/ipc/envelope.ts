/**
 * The envelope every contract call goes through, whatever the transport (Electron IPC, WebSocket):
 * known name → authorised caller → payload parsed with the contract's zod schema → handler →
 * `Result`. It never throws: every failure becomes coded error data.
 */
import { describeSettingsIssues } from '../../preload/contract/settings.ts';
import { isRequestName, requestSchemas } from '../../preload/contract/api.ts';
import type { RequestName, Result } from '../../preload/contract/api.ts';
import type { ErrorData } from '../../preload/contract/errors.ts';
import { MirrorError } from '../engine/errors.ts';
import type { Handlers } from './handlers.ts';

export interface EnvelopeOptions<C> {
  handlers: Handlers;
  /** Returns false to refuse the call with FORBIDDEN. */
  authorize: (caller: C, name: RequestName) => boolean;
  /** Called with unexpected (non-MirrorError) failures; must not log payloads (they may hold secrets). */
  onInternalError?: (name: string, err: unknown) => void;
}

export type Envelope<C> = (name: unknown, caller: C, payload: unknown) => Promise<Result<unknown>>;

const fail = (error: ErrorData): Result<never> => ({ ok: false, error });

export function createEnvelope<C>(opts: EnvelopeOptions<C>): Envelope<C> {
  return async (name, caller, payload) => {
    if (!isRequestName(name)) {
      return fail({ code: 'BAD_REQUEST', message: `unknown request ${JSON.stringify(String(name)).slice(0, 80)}`, retriable: false });
    }
    let authorised = false;
    try {
      authorised = opts.authorize(caller, name);
    } catch {
      authorised = false;
    }
    if (!authorised) return fail({ code: 'FORBIDDEN', message: `caller may not call ${name}`, retriable: false });

    const parsed = requestSchemas[name].safeParse(payload);
    if (!parsed.success) {
      const issues = describeSettingsIssues(parsed.error);
      return fail({ code: 'BAD_REQUEST', message: `${name}: ${issues.join('; ')}`, retriable: false, detail: { request: name } });
    }
    try {
      const handler = opts.handlers[name] as (input: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data) };
    } catch (err) {
      if (!(err instanceof MirrorError)) opts.onInternalError?.(name, err);
      return fail(MirrorError.from(err).toData());
    }
  };
}
