/**
 * What a KafkaJS error means for the engine and the commands: whether waiting may cure it. Read from the
 * error's structure, never its message: KafkaJS marks the errors it retries `retriable`, wraps the last one
 * in KafkaJSNumberOfRetriesExceeded (itself not retriable) as its `cause` when its retry budget runs out,
 * and carries the socket's error code (Node's and OpenSSL's) on a KafkaJSConnectionError.
 */

/** A KafkaJS error (its class name starts with "KafkaJS"), as thrown by the driver. */
export function isKafkaJsError(err: unknown): boolean {
  const e = err as { name?: unknown } | null;
  return Boolean(e && typeof e.name === 'string' && e.name.startsWith('KafkaJS'));
}

/** TLS refused, as Node and OpenSSL code it: a certificate untrusted, expired or for another host; a handshake that failed. */
const TLS_REFUSED = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$|INVALID_CA$|INVALID_PURPOSE$|PATH_LENGTH_EXCEEDED$)/;

/**
 * Not retriable by KafkaJS's mark, yet what a broker slow, restarting or down gives: the retry budget spent,
 * a wait or a lock timed out, no group coordinator found (each thrown once KafkaJS's own retries ran out).
 */
const GAVE_UP_WAITING = new Set(['KafkaJSNumberOfRetriesExceeded', 'KafkaJSTimeout', 'KafkaJSLockTimeout', 'KafkaJSGroupCoordinatorNotFound']);

interface ErrorShape { name?: unknown; code?: unknown; retriable?: unknown; cause?: unknown }

/** The error and the causes under it, outermost first (at most 8 deep). */
function causes(err: unknown): ErrorShape[] {
  const out: ErrorShape[] = [];
  for (let e = err; e && typeof e === 'object' && out.length < 8 && !out.includes(e as ErrorShape); e = (e as ErrorShape).cause) out.push(e as ErrorShape);
  return out;
}

/**
 * A KafkaJS error that waiting may cure: a broker down or restarting, a leader moving, a request timed out —
 * one KafkaJS retries, or gave up waiting on. Not credentials or TLS refused (a wrong SASL password, an
 * untrusted certificate): only a person cures those, also when KafkaJS marks them retriable.
 */
export function isTransientKafkaError(err: unknown): boolean {
  if (!isKafkaJsError(err)) return false;
  const chain = causes(err);
  if (chain.some((e) => e.name === 'KafkaJSSASLAuthenticationError' || (typeof e.code === 'string' && TLS_REFUSED.test(e.code)))) return false;
  return chain.some((e) => isKafkaJsError(e) && (e.retriable === true || GAVE_UP_WAITING.has(e.name as string)));
}
