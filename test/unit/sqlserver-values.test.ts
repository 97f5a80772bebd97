import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ColumnType } from '../../main/engine/schema/table-model.ts';
import { normaliseDecimal, readValue, StageValueError, stageValue } from '../../main/engine/replica/sqlserver/values.ts';

const ts = (precision: number): ColumnType => ({ kind: 'timestamp', precision });

describe('SQL Server value staging', () => {
  it('keeps the 100 ns digits of a datetime2(7) (text, not a JS Date)', () => {
    assert.equal(stageValue(ts(7), '2024-02-29 23:59:59.9999999'), '2024-02-29 23:59:59.9999999');
    assert.equal(stageValue(ts(7), '1900-01-01T00:00:00.0000001'), '1900-01-01 00:00:00.0000001');
  });

  it('truncates nanosecond digits 8-9 (SQL Server holds 100 ns)', () => {
    assert.equal(stageValue(ts(7), '2024-02-29 12:00:00.123456789'), '2024-02-29 12:00:00.1234567');
  });

  it('passes timestamps without a fraction and microsecond ones unchanged', () => {
    assert.equal(stageValue(ts(0), '2024-02-29 12:00:00'), '2024-02-29 12:00:00');
    assert.equal(stageValue(ts(6), '0001-01-01 00:00:00.000001'), '0001-01-01 00:00:00.000001');
    assert.equal(stageValue(ts(7), '9999-12-31 23:59:59.9999999'), '9999-12-31 23:59:59.9999999');
  });

  it('stages time(7) and date as text', () => {
    assert.equal(stageValue({ kind: 'time', precision: 7 }, '23:59:59.9999999'), '23:59:59.9999999');
    assert.equal(stageValue({ kind: 'time', precision: 3 }, '08:00:00'), '08:00:00');
    assert.equal(stageValue({ kind: 'date' }, '0001-01-01'), '0001-01-01');
  });

  it('stages timestamptz as ISO 8601 with a numeric offset, keeping the offset', () => {
    const t: ColumnType = { kind: 'timestamptz', precision: 7 };
    assert.equal(stageValue(t, '2024-02-29T12:34:56.1234567+02:00'), '2024-02-29T12:34:56.1234567+02:00');
    assert.equal(stageValue(t, '2024-02-29T12:34:56Z'), '2024-02-29T12:34:56+00:00');
    assert.equal(stageValue(t, '2024-02-29 12:34:56.123456789-0530'), '2024-02-29T12:34:56.1234567-05:30');
    assert.equal(stageValue(t, '2024-02-29T12:34:56.5+01'), '2024-02-29T12:34:56.5+01:00');
  });

  it('keeps decimal(38,10) exact as text', () => {
    const d: ColumnType = { kind: 'decimal', precision: 38, scale: 10 };
    assert.equal(stageValue(d, '1234567890123456789012345678.0123456789'), '1234567890123456789012345678.0123456789');
    assert.equal(stageValue(d, '-0.0000000001'), '-0.0000000001');
    assert.equal(stageValue(d, '+12.50'), '12.5');
  });

  it('expands exponent notation without losing digits', () => {
    assert.equal(normaliseDecimal('1.5E+3'), '1500');
    assert.equal(normaliseDecimal('-12345e-8'), '-0.00012345');
    assert.equal(normaliseDecimal('0.000e5'), '0');
    assert.equal(normaliseDecimal('-0.0'), '0');
    assert.equal(normaliseDecimal('.5'), '0.5');
    assert.equal(normaliseDecimal(12.25), '12.25');
    assert.throws(() => normaliseDecimal('12,5'), StageValueError);
    assert.throws(() => normaliseDecimal('.'), StageValueError);
  });

  it('stages bigints beyond 2^53 as exact text', () => {
    const t: ColumnType = { kind: 'int', bits: 64 };
    assert.equal(stageValue(t, 9007199254740993n), '9007199254740993');
    assert.equal(stageValue(t, -9223372036854775808n), '-9223372036854775808');
    assert.equal(stageValue(t, '9223372036854775807'), '9223372036854775807');
    assert.equal(stageValue(t, 42), '42');
    assert.throws(() => stageValue(t, 2 ** 60), StageValueError); // an unsafe JS number is already wrong
  });

  it('stages small ints as numbers and range-checks them', () => {
    assert.equal(stageValue({ kind: 'int', bits: 8 }, -128), -128);
    assert.equal(stageValue({ kind: 'int', bits: 16 }, 32767), 32767);
    assert.equal(stageValue({ kind: 'int', bits: 32 }, 5n), 5);
    assert.throws(() => stageValue({ kind: 'int', bits: 16 }, 40000), /out of range/);
    assert.throws(() => stageValue({ kind: 'int', bits: 32 }, 1.5), /not an integer/);
  });

  it('passes Buffers through for bytes', () => {
    const b = Buffer.from([0, 1, 2, 255]);
    assert.equal(stageValue({ kind: 'bytes', length: null, fixed: false }, b), b);
    assert.deepEqual(stageValue({ kind: 'bytes', length: 8, fixed: true }, Buffer.alloc(8)), Buffer.alloc(8));
    assert.throws(() => stageValue({ kind: 'bytes', length: null, fixed: false }, 'AAEC'), /Buffer/);
  });

  it('stages booleans', () => {
    const t: ColumnType = { kind: 'bool' };
    assert.equal(stageValue(t, true), true);
    assert.equal(stageValue(t, false), false);
    assert.equal(stageValue(t, 1), true);
    assert.equal(stageValue(t, 'false'), false);
    assert.throws(() => stageValue(t, 2), StageValueError);
  });

  it('passes unicode strings unchanged (staged as nvarchar)', () => {
    const s = 'Zoë 名前 😀 \u0000 end';
    assert.equal(stageValue({ kind: 'string', length: null, fixed: false }, s), s);
    assert.equal(stageValue({ kind: 'json' }, '{"a":"ü"}'), '{"a":"ü"}');
  });

  it('normalises uuids', () => {
    assert.equal(stageValue({ kind: 'uuid' }, '{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}'), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    assert.throws(() => stageValue({ kind: 'uuid' }, 'nope'), StageValueError);
  });

  it('refuses NaN and infinities for float (SQL Server cannot store them)', () => {
    assert.throws(() => stageValue({ kind: 'float', bits: 64 }, Number.NaN), /NaN and infinities/);
    assert.throws(() => stageValue({ kind: 'float', bits: 64 }, Infinity), StageValueError);
    assert.equal(stageValue({ kind: 'float', bits: 64 }, 1.7976931348623157e308), 1.7976931348623157e308);
  });

  it('passes null through for every kind', () => {
    assert.equal(stageValue(ts(7), null), null);
    assert.equal(stageValue({ kind: 'int', bits: 64 }, null), null);
  });

  it('rejects malformed temporal text with the value in the message', () => {
    assert.throws(() => stageValue(ts(7), '29/02/2024 12:00'), /not a timestamp.*29\/02\/2024/);
    assert.throws(() => stageValue({ kind: 'date' }, '2024-2-29'), /not a date/);
  });
});

describe('SQL Server values read back', () => {
  it('int64 text -> bigint', () => assert.equal(readValue({ kind: 'int', bits: 64 }, '9007199254740993'), 9007199254740993n));
  it('decimal keeps its scale', () => assert.equal(readValue({ kind: 'decimal', precision: 38, scale: 10 }, '-0.0000000001'), '-0.0000000001'));
  it('datetime2(7) text keeps 7 digits', () => assert.equal(readValue(ts(7), '2024-02-29 23:59:59.9999999'), '2024-02-29 23:59:59.9999999'));
  it('a timestamp(9) column reads back padded to 9 digits', () => assert.equal(readValue(ts(9), '2024-02-29 12:00:00.1234567'), '2024-02-29 12:00:00.123456700'));
  it('datetimeoffset text -> canonical UTC', () => {
    assert.equal(readValue({ kind: 'timestamptz', precision: 7 }, '2024-02-29 12:34:56.1234567 +02:00'), '2024-02-29T10:34:56.1234567Z');
  });
  it('uniqueidentifier -> lower case', () => assert.equal(readValue({ kind: 'uuid' }, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'));
  it('bit -> boolean, null -> null', () => {
    assert.equal(readValue({ kind: 'bool' }, true), true);
    assert.equal(readValue({ kind: 'bool' }, null), null);
  });
});
