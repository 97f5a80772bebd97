/** A small structured logger. Secrets never reach it: settings are redacted before logging. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export interface Logger {
  error(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  debug(msg: string, data?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const SECRET_KEYS = /pass(word)?|secret|token|sasl/i;

/** Deep copy with every secret-looking value replaced. */
export function redact<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => redact(x)) as T;
  if (v && typeof v === 'object' && !(v instanceof Buffer)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEYS.test(k) && (typeof x === 'string' || (x && typeof x === 'object' && !('username' in (x as object)))) ? '***' : redact(x);
    return out as T;
  }
  return v;
}

export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const emit = (lv: LogLevel) => (msg: string, data?: Record<string, unknown>) => {
    if (ORDER[lv] > ORDER[level]) return;
    const extra = data ? ' ' + JSON.stringify(redact(data), (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) : '';
    write(`${new Date().toISOString()} ${lv.toUpperCase()} ${msg}${extra}`);
  };
  return { error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug') };
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };
