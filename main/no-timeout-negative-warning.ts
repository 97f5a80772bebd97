/**
 * Imported first by every entry point (CLI, engine child, desktop main, demo, test runner, stack) and by the
 * fetch thread (a worker has a `process` of its own: a provision's output showed the warning, CI 2026-12-03).
 * kafkajs's request queue schedules its pending-request check with `setTimeout(fn, throttledUntil - now)`,
 * which is negative whenever the broker is not throttling us (kafkajs 2.2.4,
 * src/network/requestQueue/index.js `scheduleCheckPendingRequests`). Node clamps that to 1 ms — what
 * kafkajs means — but since Node 24 also prints a TimeoutNegativeWarning on every connection. Only that
 * warning type is dropped; every other warning is emitted as before.
 */
import process from 'node:process';

const emitWarning = process.emitWarning;
process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
  const first = rest[0];
  const type = typeof first === 'string' ? first : (first as { type?: string } | undefined)?.type ?? (warning instanceof Error ? warning.name : undefined);
  if (type === 'TimeoutNegativeWarning') return;
  (emitWarning as (...a: unknown[]) => void).call(this, warning, ...rest);
} as typeof process.emitWarning;
