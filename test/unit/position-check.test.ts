/** The batch position check: an offset row's `next` against what this process committed there. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertPositionHeld } from '../../main/engine/replica/position-check.ts';
import { heldPositions } from '../../main/engine/state/position.ts';

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

describe('the position guards of a state write', () => {
  const ctx = { topics: { cdc: 'acme-cdc' }, nextOffsets: new Map([[0, 42n], [1, 7n], [2, 0n]]) } as unknown as Parameters<typeof heldPositions>[0];
  const row = (rid: string) => ({ id: rid, kind: 'offset' as const, value: '{}' });
  const cases: Array<{ name: string; rows: string[]; remove: string[]; guarded: Array<[string, string]> }> = [
    { name: 'a table row: every committed partition', rows: ['table:crm.contact'], remove: [], guarded: [['offset:acme-cdc:0', '42'], ['offset:acme-cdc:1', '7'], ['offset:acme-cdc:2', '0']] },
    { name: 'a gap moves partition 1 with its record: 1 is not guarded', rows: ['gap:acme-cdc:1:3', 'offset:acme-cdc:1'], remove: [], guarded: [['offset:acme-cdc:0', '42'], ['offset:acme-cdc:2', '0']] },
    { name: 'an offset row removed: not guarded', rows: [], remove: ['offset:acme-cdc:2'], guarded: [['offset:acme-cdc:0', '42'], ['offset:acme-cdc:1', '7']] },
    { name: 'another topic\'s offset row changes nothing', rows: ['offset:acme-notifications:0'], remove: [], guarded: [['offset:acme-cdc:0', '42'], ['offset:acme-cdc:1', '7'], ['offset:acme-cdc:2', '0']] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(heldPositions(ctx, c.rows.map(row), c.remove).map((g) => [g.id, g.next]), c.guarded);
    });
  }
  it('nothing committed yet (a new replica): no guard', () => {
    assert.deepEqual(heldPositions({ ...ctx, nextOffsets: new Map() } as typeof ctx, [row('table:x')]), []);
  });
});
