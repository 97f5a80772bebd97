/**
 * The one "try again" schedule (engine/retry-schedule.ts) shared by the engine runner, `sync` at start and
 * the commands waiting on a running engine: the n-th wait is the n-th delay, the last from then on; only a
 * failure waiting may cure is tried again, never past `until`, never once stopped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { delayBefore, RETRY_DELAYS_MS, retryOnSchedule } from '../../main/engine/retry-schedule.ts';

class Down extends Error {}

/** An attempt failing with `Down` `n` times, then returning 'up'. */
function failing(n: number, err: () => Error = () => new Down('down')) {
  let calls = 0;
  return { attempt: async () => { if (calls++ < n) throw err(); return 'up'; }, calls: () => calls };
}

test('delayBefore: 5 s, 15 s, 30 s, then every 60 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 50].map((n) => delayBefore(n)), [5000, 15000, 30000, 60000, 60000, 60000]);
  assert.deepEqual(RETRY_DELAYS_MS, [5000, 15000, 30000, 60000]);
  assert.equal(delayBefore(7, [100]), 100);
});

test('tried again after each delay until it succeeds; told each wait with its time and count', async () => {
  const f = failing(3);
  const told: Array<{ wait: number; failed: number }> = [];
  const t0 = Date.now();
  const r = await retryOnSchedule(f.attempt, { delays: [20, 40], cured: (e) => e instanceof Down, onWait: (_e, at, failed) => told.push({ wait: at - Date.now(), failed }) });
  assert.equal(r, 'up');
  assert.equal(f.calls(), 4);
  assert.deepEqual(told.map((t) => t.failed), [1, 2, 3]);
  assert.ok(told[0]!.wait <= 20 && told[1]!.wait > 20 && told[2]!.wait > 20, JSON.stringify(told));
  assert.ok(Date.now() - t0 >= 20 + 40 + 40 - 5);
});

test('a failure waiting cannot cure is thrown at once; so is one whose next try would be past until, or once stopped', async () => {
  const other = failing(1, () => new Error('refused: wrong password'));
  await assert.rejects(retryOnSchedule(other.attempt, { delays: [10], cured: (e) => e instanceof Down }), /wrong password/);
  assert.equal(other.calls(), 1);

  const late = failing(5);
  const t0 = Date.now();
  await assert.rejects(retryOnSchedule(late.attempt, { delays: [30], until: Date.now() + 80, cured: (e) => e instanceof Down }), Down);
  assert.equal(late.calls(), 3, 'tries at 0, 30 and 60 ms; the next (90 ms) is past until');
  assert.ok(Date.now() - t0 < 80);

  let stopped = false;
  const s = failing(5);
  const p = retryOnSchedule(s.attempt, { delays: [30], cured: (e) => e instanceof Down, stopped: () => stopped });
  setTimeout(() => { stopped = true; }, 15); // during the first wait: the second failure is thrown
  await assert.rejects(p, Down);
  assert.equal(s.calls(), 2);
});

test('waitAfter: a failure with a wait of its own waits that long and does not move the schedule on', async () => {
  class Held extends Error {}
  let calls = 0;
  // Held three times (a command holds the replica), then down twice, then up.
  const attempt = async (): Promise<string> => { calls++; if (calls <= 3) throw new Held('held'); if (calls <= 5) throw new Down('down'); return 'up'; };
  const told: Array<{ kind: string; wait: number; failed: number }> = [];
  const r = await retryOnSchedule(attempt, {
    delays: [40, 200], cured: () => true, waitAfter: (e) => (e instanceof Held ? 5 : undefined),
    onWait: (e, at, failed) => told.push({ kind: e instanceof Held ? 'held' : 'down', wait: at - Date.now(), failed }),
  });
  assert.equal(r, 'up');
  assert.deepEqual(told.map((t) => `${t.kind}:${t.failed}`), ['held:0', 'held:0', 'held:0', 'down:1', 'down:2']);
  assert.ok(told.slice(0, 3).every((t) => t.wait <= 5), JSON.stringify(told));
  assert.ok(told[3]!.wait > 5 && told[3]!.wait <= 40, `the first Down waits the schedule's first delay: ${JSON.stringify(told)}`);
  assert.ok(told[4]!.wait > 40, JSON.stringify(told));
});
