/**
 * A replica that begins reading `<ctx>-notifications` at its end (provisioned, or its position purged)
 * learns from the notifications before it whether the connector's incremental snapshots are paused
 * (snapshot/scan-pause.ts, pauseFromHistory). Found on the stack: a replica provisioned during a pause
 * said its resync "stalled: restart the tenant's connector" and sent its signal again every
 * `resyncStallSeconds`, each queuing one more whole scan.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pauseAfter, pauseFromHistory } from '../../main/engine/snapshot/scan-pause.ts';
import type { Notification } from '../../main/engine/source/notifications.ts';

const note = (type: string, timestamp: number, aggregateType = 'Incremental Snapshot'): Notification =>
  ({ id: `n${timestamp}`, type, aggregateType, timestamp, data: {} }) as Notification;

describe('the pause of incremental snapshots, from the notifications before a position', () => {
  it('a PAUSED with nothing after it: paused since its timestamp', () => {
    assert.deepEqual(pauseFromHistory([note('STARTED', 1), note('IN_PROGRESS', 2), note('PAUSED', 3)]), { at: 3 });
  });
  it('ended by RESUMED, or by a scan that moves (STARTED, IN_PROGRESS, TABLE_SCAN_COMPLETED)', () => {
    for (const t of ['RESUMED', 'STARTED', 'IN_PROGRESS', 'TABLE_SCAN_COMPLETED']) {
      assert.equal(pauseFromHistory([note('PAUSED', 3), note(t, 4)]), null, t);
    }
  });
  it('paused again after a resume: the last pause counts', () => {
    assert.deepEqual(pauseFromHistory([note('PAUSED', 3), note('RESUMED', 4), note('PAUSED', 9)]), { at: 9 });
  });
  it('COMPLETED, ABORTED and the initial snapshot\'s notifications change nothing', () => {
    assert.deepEqual(pauseFromHistory([note('PAUSED', 3), note('COMPLETED', 4), note('ABORTED', 5), note('IN_PROGRESS', 6, 'Initial Snapshot')]), { at: 3 });
  });
  it('a pause known before (stored) is ended by a RESUMED among the notifications skipped, and kept when none ends it', () => {
    assert.equal(pauseFromHistory([note('RESUMED', 8)], { at: 2 }), null);
    assert.deepEqual(pauseFromHistory([note('COMPLETED', 8)], { at: 2 }), { at: 2 });
  });
  it('one notification at a time: unchanged is the same record (nothing to store)', () => {
    const p = { at: 2 };
    assert.equal(pauseAfter(p, note('COMPLETED', 5)), p);
    assert.equal(pauseAfter(null, note('IN_PROGRESS', 5)), null);
  });
});
