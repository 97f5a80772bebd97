import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scrollToReveal, virtualWindow } from '../../renderer/src/lib/virtual-window.ts';

test('virtual window: at the top renders the visible rows plus overscan below', () => {
  assert.deepEqual(virtualWindow(0, 340, 34, 500, 5), { start: 0, end: 16, offset: 0, total: 17000 });
});

test('virtual window: in the middle renders overscan on both sides', () => {
  const w = virtualWindow(3400, 340, 34, 500, 5);
  assert.deepEqual(w, { start: 95, end: 116, offset: 95 * 34, total: 17000 });
});

test('virtual window: scrolling past the end clamps to the last rows', () => {
  const w = virtualWindow(1e9, 340, 34, 500, 5);
  assert.equal(w.end, 500);
  assert.ok(w.start <= 490 && w.start >= 480);
});

test('virtual window: empty and short lists', () => {
  assert.deepEqual(virtualWindow(0, 340, 34, 0), { start: 0, end: 0, offset: 0, total: 0 });
  assert.deepEqual(virtualWindow(0, 340, 34, 3, 5), { start: 0, end: 3, offset: 0, total: 102 });
});

test('scrollToReveal: scrolls up or down just enough, or not at all', () => {
  assert.equal(scrollToReveal(5, 340, 340, 34), 170);
  assert.equal(scrollToReveal(20, 0, 340, 34), 21 * 34 - 340);
  assert.equal(scrollToReveal(3, 0, 340, 34), null);
});
