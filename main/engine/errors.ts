/**
 * Errors carry a stable code, a `retriable` flag and a `cause`. They cross process and IPC
 * boundaries as data ({ code, message, retriable, detail }) and are rebuilt by code on the other side.
 */
import type { ErrorCode, ErrorData } from '../../preload/contract/errors.ts';

export type { ErrorCode, ErrorData };

export class MirrorError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly detail: ErrorData['detail'];

  constructor(code: ErrorCode, message: string, opts: { retriable?: boolean; cause?: unknown; detail?: ErrorData['detail'] } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MirrorError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.detail = opts.detail;
  }

  toData(): ErrorData {
    const d: ErrorData = { code: this.code, message: this.message, retriable: this.retriable };
    if (this.detail) d.detail = this.detail;
    return d;
  }

  static from(err: unknown, fallback: ErrorCode = 'INTERNAL'): MirrorError {
    if (err instanceof MirrorError) return err;
    const msg = err instanceof Error ? err.message : String(err);
    return new MirrorError(fallback, msg, { cause: err });
  }

  static fromData(d: ErrorData): MirrorError {
    return new MirrorError(d.code, d.message, { retriable: d.retriable, detail: d.detail });
  }
}
