/**
 * io.debezium.time.ZonedTimestamp → UTC keeps the year as written: years 0–99 are not 1900–1999 (Date.UTC's
 * rule), and a UTC instant past 9999 is written as a plain 5-digit year (not toISOString's '+010000').
 * Expected texts are worked out by hand from the offset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseZoned, zonedTimestamp } from '../../main/engine/decode/logical/temporal-zoned.ts';

const cases: Array<[string, number, string]> = [
  ['0001-01-01T00:00:00Z', 6, '0001-01-01T00:00:00.000000Z'],
  ['0099-06-15T12:00:00+02:00', 6, '0099-06-15T10:00:00.000000Z'],
  ['0001-01-01T00:00:00+14:00', 6, '0000-12-31T10:00:00.000000Z'],
  // What the SQL Server driver sends for 0001-01-01 00:00 -14:00 (read as a Julian date): two days earlier.
  ['0000-12-30T00:00:00-14:00', 6, '0000-12-30T14:00:00.000000Z'],
  ['0100-03-01T00:30:00+01:00', 3, '0100-02-28T23:30:00.000Z'],
  ['9999-12-31T23:59:59.9999999-14:00', 7, '10000-01-01T13:59:59.9999999Z'],
  ['9999-12-31T23:59:59+14:00', 0, '9999-12-31T09:59:59Z'],
  ['1970-01-01T00:00:00.5+00:30', 6, '1969-12-31T23:30:00.500000Z'],
  ['2024-03-31T01:30:00.0000001+05:45', 7, '2024-03-30T19:45:00.0000001Z'],
  ['2024-02-29T12:34:56.123456789Z', 9, '2024-02-29T12:34:56.123456789Z'],
];

for (const [text, precision, want] of cases) {
  test(`${text} at ${precision} digits is ${want}`, () => {
    assert.equal(normaliseZoned(text, precision), want);
  });
}

test('the logical type decodes a year-1 value of a UTC column without moving it to 1901', () => {
  assert.equal(zonedTimestamp.decode('0001-01-01T00:00:00Z', {} as never, { kind: 'timestamptz', precision: 6 }), '0001-01-01T00:00:00.000000Z');
});
