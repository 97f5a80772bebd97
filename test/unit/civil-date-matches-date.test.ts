/**
 * DATE and DATETIME values are rendered by arithmetic (main/engine/decode/logical/civil-date.ts), not
 * through a Date object per value. The text must be exactly what the Date path gives: checked on every
 * day of years 0000–9999 and a few beyond, and on timestamps at every unit (ms, µs, ns) and precision,
 * at day edges, negative (before 1970) and random.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIRST_CIVIL_DAY, LAST_CIVIL_DAY } from '../../main/engine/decode/logical/civil-date.ts';
import { daysToDate } from '../../main/engine/decode/logical/temporal-date.ts';
import { formatTimestamp } from '../../main/engine/decode/logical/temporal-timestamp.ts';
import { fraction } from '../../main/engine/decode/logical/types.ts';

/** The Date path, as it was. */
const dateRef = (days: number): string => new Date(days * 86_400_000).toISOString().slice(0, 10);
function timestampRef(units: bigint, unitDigits: number, precision: number): string {
  const per = 10n ** BigInt(unitDigits);
  let s = units / per;
  let sub = units % per;
  if (sub < 0n) { sub += per; s -= 1n; }
  const iso = new Date(Number(s) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction(sub, unitDigits, precision)}`;
}

test('every day of years 0000-9999, and the days just outside, read as the Date path reads them', () => {
  assert.equal(dateRef(FIRST_CIVIL_DAY), '0000-01-01');
  assert.equal(dateRef(LAST_CIVIL_DAY), '9999-12-31');
  let n = 0;
  for (let d = FIRST_CIVIL_DAY - 400; d <= LAST_CIVIL_DAY + 400; d++) {
    const got = daysToDate(d);
    if (got !== dateRef(d)) assert.equal(got, dateRef(d), `day ${d}`);
    n++;
  }
  assert.ok(n > 3_650_000);
});

test('timestamps at every unit and precision, day edges, before 1970 and random, read as the Date path reads them', () => {
  let seed = 11;
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const secsList: number[] = [0, -1, 1, 86_399, 86_400, -86_400, -86_401, 951_782_400 /* 2000-02-29 */, 253_402_300_799, -62_167_219_200, 253_402_300_800, -62_167_219_201];
  for (let i = 0; i < 20_000; i++) secsList.push(Math.floor((rnd() * 2 - 1) * 3e11) % 253_402_300_800);
  for (const secs of secsList) {
    for (const unitDigits of [3, 6, 9]) {
      const per = 10n ** BigInt(unitDigits);
      const sub = BigInt(Math.floor(rnd() * Number(per)));
      const units = BigInt(secs) * per + sub;
      for (const precision of [0, 3, 6, 7]) {
        const want = timestampRef(units, unitDigits, precision);
        const asNumber = Number.isSafeInteger(Number(units)) ? formatTimestamp(Number(units), unitDigits, precision) : want;
        const got = formatTimestamp(units, unitDigits, precision);
        if (got !== want || asNumber !== want) assert.deepEqual([got, asNumber], [want, want], `units ${units} / 10^${unitDigits}, precision ${precision}`);
      }
    }
  }
});
