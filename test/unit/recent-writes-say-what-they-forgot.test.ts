/**
 * The ring of recent writes (main/engine/apply/recent-writes.ts) either gives back every row written by
 * events at or after a time, or says that it cannot: a row it forgot, or rows written before it began.
 * Rows written again later, and deletes, are not lost when their old slot is reused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recentWrites } from '../../main/engine/apply/recent-writes.ts';

/** A row's primary-key values, as the ring keeps them. */
const keys = (id: number) => ({ id: BigInt(id) });

test('within the ring nothing is lost; a forgotten row of a table is told for that table and that time only', () => {
  const r = recentWrites({}, 3);
  r.note('a', '1', keys(1), 100);
  r.note('b', '1', keys(1), 200);
  r.note('a', '2', keys(2), 300);
  assert.equal(r.lostSince('a', 0), false);
  r.note('b', '2', keys(2), 400); // slot of a:1 (ts 100) reused
  assert.equal(r.lostSince('a', 100), true);
  assert.equal(r.lostSince('a', 101), false, 'nothing newer than 100 was forgotten');
  assert.equal(r.lostSince('b', 0), false);
  assert.deepEqual(r.since('a', 0), [keys(2)]);
});

test('a row written again keeps its newest write; a forgotten delete loses nothing', () => {
  const r = recentWrites({}, 2);
  r.note('a', '1', keys(1), 100);
  r.note('a', '1', keys(1), 200); // the same key again: its first slot now points at an older write
  r.note('a', '2', null, 300); // reuses the first slot: a:1 still has its newest write
  assert.equal(r.lostSince('a', 0), false);
  assert.deepEqual(r.since('a', 150), [keys(1)]);
  r.note('b', '1', keys(1), 400); // forgets a:1 (ts 200)
  r.note('b', '2', keys(2), 500); // forgets the delete of a:2
  assert.equal(r.lostSince('a', 200), true);
  assert.equal(r.lostSince('a', 201), false, 'a forgotten delete is not a lost row');
});

test('rows written before the book began are unknown up to the newest stored timestamp', () => {
  const r = recentWrites({}, 10);
  r.writtenBefore(700);
  r.writtenBefore(650);
  assert.equal(r.lostSince('any', 700), true);
  assert.equal(r.lostSince('any', 701), false);
});
