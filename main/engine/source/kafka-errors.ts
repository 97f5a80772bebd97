/**
 * What a KafkaJS error means for the engine and the commands: whether waiting may cure it. KafkaJS marks
 * some errors retriable, but its NumberOfRetriesExceeded (a broker not there for the whole retry budget)
 * is not, and its TLS and SASL failures can be: the rule is read from the error's class and message.
 */

/** A KafkaJS error (its class name starts with "KafkaJS"), as thrown by the driver. */
export function isKafkaJsError(err: unknown): boolean {
  const e = err as { name?: unknown } | null;
  return Boolean(e && typeof e.name === 'string' && e.name.startsWith('KafkaJS'));
}

/**
 * A KafkaJS error that waiting may cure: a broker down or restarting, a leader moving, a request timed out.
 * Not credentials or TLS refused (a wrong SASL password, an untrusted certificate): only a person cures those.
 */
export function isTransientKafkaError(err: unknown): boolean {
  if (!isKafkaJsError(err)) return false;
  const e = err as { retriable?: unknown; name: string; message?: unknown };
  const message = String(e.message);
  if (e.name === 'KafkaJSSASLAuthenticationError' || /sasl|authenticat|certificate|ssl routines|handshake/i.test(message)) return false;
  return e.retriable !== false || /connect|timeout|not available|leader/i.test(message);
}
