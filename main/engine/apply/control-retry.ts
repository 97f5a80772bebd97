/**
 * Control-path steps (CREATE/ALTER TABLE, seen sets, fences, signals, notification handling) are retried
 * like a batch write when the failure is transient (Kafka admin or producer hiccup, replica connection
 * lost): they are never turned into a poison event, and no snapshot marker or row is lost.
 */
import type { EngineContext } from '../context.ts';
import { sleep } from '../context.ts';
import { MirrorError } from '../errors.ts';
import { isKafkaJsError, isTransientKafkaError } from '../source/kafka-errors.ts';

/** What this module uses of the engine's state (a narrow view of EngineContext). */
export type RetryDeps = Pick<EngineContext, 'log' | 'replica' | 'setState' | 'settings' | 'stopping'>;

export function isTransient(ctx: RetryDeps, err: unknown): boolean {
  // Retrying cannot cure a replica that went back or a lost lease: the engine reads again (or stops) instead.
  if (err instanceof MirrorError && (err.code === 'REPLICA_WENT_BACK' || err.code === 'REPLICA_LEASE_LOST')) return false;
  if (err instanceof MirrorError) return err.retriable;
  if (isKafkaJsError(err)) return isTransientKafkaError(err);
  return ctx.replica.classifyError(err).action === 'retry';
}

export async function retrying<T>(ctx: RetryDeps, what: string, fn: () => Promise<T>): Promise<T> {
  let delay = ctx.settings.retryInitialMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const out = await fn();
      if (attempt > 0) { ctx.setState('streaming', `${what} recovered`); ctx.log.info('control step recovered', { what, attempts: attempt + 1 }); }
      return out;
    } catch (err) {
      if (ctx.stopping || !isTransient(ctx, err)) throw err;
      const message = `${what} failed: ${(err as Error).message ?? String(err)}; retrying`;
      ctx.setState('retrying', message);
      ctx.log.warn('control step failed; retrying', { what, attempt: attempt + 1, error: (err as Error).message });
      await sleep(delay);
      delay = Math.min(ctx.settings.retryMaxMs, delay * 2);
    }
  }
}
