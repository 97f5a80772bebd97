/** The batch position check: an offset row's `next` against what this process committed there. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertPositionHeld } from '../../main/engine/replica/position-check.ts';

const id = 'offset:acme-cdc:0';
const wentBack = (e: unknown) => (e as { code?: string }).code === 'REPLICA_WENT_BACK';

describe('position check', () => {
  it('passes when the row holds what was committed (a string, or a number as older rows may hold)', () => {
    assertPositionHeld(JSON.stringify({ next: '42', at: 1 }), { id, next: '42' });
    assertPositionHeld(JSON.stringify({ next: 42 }), { id, next: '42' });
    assertPositionHeld(null, { id, next: null });
    assertPositionHeld(undefined, { id, next: null });
  });
  it('refuses an earlier, later, missing or unreadable row with REPLICA_WENT_BACK naming the row and both positions', () => {
    for (const [stored, expected] of [['{"next":"40"}', '42'], ['{"next":"43"}', '42'], [null, '42'], ['{"next":"7"}', null], ['not json', '42'], ['{"next":"4x"}', '42']] as const) {
      assert.throws(() => assertPositionHeld(stored, { id, next: expected }), (e: unknown) => {
        assert.ok(wentBack(e), String(e));
        assert.match((e as Error).message, new RegExp(`${id}.*${expected ?? 'nothing'}`));
        return true;
      }, `${stored} vs ${expected}`);
    }
  });
});
