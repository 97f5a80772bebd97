import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../main/no-timeout-negative-warning.ts';

test('a negative timeout (what kafkajs schedules) warns no more; other warnings still do', async () => {
  const seen: string[] = [];
  const on = (w: Error): void => { seen.push(w.name); };
  process.on('warning', on);
  try {
    clearTimeout(setTimeout(() => {}, -1));
    process.emitWarning('still shown', 'SomeOtherWarning');
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', on);
  }
  assert.deepEqual(seen, ['SomeOtherWarning']);
});
