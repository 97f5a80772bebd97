import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendSample, sparklinePoints } from '../../renderer/src/lib/sparkline.ts';

const box = { width: 100, height: 20, pad: 0 };

test('sparkline: an empty series draws nothing', () => {
  assert.equal(sparklinePoints([], box), '');
  assert.equal(sparklinePoints([null, null], box), '');
});

test('sparkline: x spreads evenly, y runs from 0 at the bottom to the maximum at the top', () => {
  assert.equal(sparklinePoints([0, 5, 10], box), '0,20 50,10 100,0');
});

test('sparkline: padding insets every point', () => {
  assert.equal(sparklinePoints([0, 10], { width: 100, height: 20, pad: 2 }), '2,18 98,2');
});

test('sparkline: one value draws a flat line across the box', () => {
  assert.equal(sparklinePoints([3], box), '0,0 100,0');
});

test('sparkline: all-zero lag sits on the baseline', () => {
  assert.equal(sparklinePoints([0, 0, 0], box), '0,20 50,20 100,20');
});

test('sparkline: missing and negative samples are skipped but keep their x slot', () => {
  assert.equal(sparklinePoints([4, null, -1, 2, Number.NaN], box), '0,0 75,10');
});

test('sparkline: coordinates are rounded to two decimals', () => {
  assert.equal(sparklinePoints([1, 2, 3], { width: 10, height: 3, pad: 0 }), '0,2 5,1 10,0');
  assert.equal(sparklinePoints([1, 3], { width: 10, height: 7, pad: 0 }), '0,4.67 10,0');
});

test('appendSample keeps the newest samples up to the limit and does not mutate', () => {
  const a = [1, 2, 3];
  assert.deepEqual(appendSample(a, 4, 3), [2, 3, 4]);
  assert.deepEqual(appendSample(a, 4, 10), [1, 2, 3, 4]);
  assert.deepEqual(a, [1, 2, 3]);
});
