/**
 * Every SQL Server change event Debezium's own converters produce (test/fixtures/sqlserver, one file per
 * connector setting combination) decodes to exactly what the SQL Server row holds, and the SQL Server
 * replica dialect declares the source's own types and stages each value exactly. Expected values come from
 * the fixture's `source` text (derived from the inserted literals), never from the event.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvelopeDecoder } from '../../main/engine/decode/envelope.ts';
import { decodeText } from '../harness/decode-text.ts';
import type { ChangeEvent } from '../../main/engine/decode/envelope.ts';
import { columnTypeFor } from '../../main/engine/replica/sqlserver/types.ts';
import { stageValue } from '../../main/engine/replica/sqlserver/values.ts';
import { typeToString } from '../../main/engine/schema/table-model.ts';
import { expectedDecoded, isCorrupt, isoWithOffset, loadSqlServerFixtures, sqlServerColumns } from '../harness/sqlserver-fixtures.ts';

const fixtures = loadSqlServerFixtures();
const columns = sqlServerColumns();

test('there is a fixture per setting combination, each with every event and every column', () => {
  assert.equal(fixtures.length, 19);
  for (const fx of fixtures) {
    assert.deepEqual(fx.events.map((e) => e.name), ['r-max', 'c-min', 'c-nulls', 'c-unicode', 'u-unicode', 'd-min']);
    assert.equal(Object.keys(fx.source.max!).length, columns.length);
  }
});

for (const fx of fixtures) {
  test(`${fx.name}: every event decodes to the values the SQL Server row holds`, () => {
    const decoder = new EnvelopeDecoder();
    let cells = 0;
    for (const ev of fx.events) {
      const d = decodeText(decoder, ev.key, ev.value) as ChangeEvent;
      assert.equal(d.kind, 'change');
      assert.equal(d.op, ev.op);
      assert.equal(d.connector, 'sqlserver');
      assert.equal(d.collection, 'crm7.dbo.alltypes');
      assert.deepEqual(d.def.primaryKey, ['id']);
      const keyRow = fx.source[(ev.after ?? ev.before)!]!;
      assert.deepEqual(d.key, { id: Number(keyRow.id) });
      if (ev.op === 'd') { assert.equal(d.after, null); continue; }
      const row = fx.source[ev.after!]!;
      for (const col of columns) {
        const want = expectedDecoded(col, row[col.name]!, fx.connector);
        let got = d.after![col.name];
        // float32: the event carries the float's shortest decimal text; the same float32 is what counts.
        if (col.sqlType === 'real' && typeof got === 'number') got = Math.fround(got);
        if (isCorrupt(fx, ev.after!, col.name)) {
          // Debezium/the driver cannot carry this cell: the event is wrong, and so must the decoded value be.
          assert.notDeepEqual(got, want, `${ev.name} ${col.name} is listed as corrupted by the connector`);
          continue;
        }
        assert.deepEqual(got, want, `${fx.name} ${ev.name} ${col.name} (${col.sqlType}) source ${JSON.stringify(row[col.name])?.slice(0, 60)}`);
        cells++;
      }
    }
    assert.ok(cells > columns.length * 3);
  });
}

// The SQL Server replica of a SQL Server source: the same column types, every value staged exactly.
const SAME_TYPE: Record<string, string> = {
  tinyint: 'smallint', money: 'decimal(19,4)', smallmoney: 'decimal(10,4)', datetime: 'datetime2(3)', smalldatetime: 'datetime2(0)',
  'char(10)': 'nchar(10)', 'varchar(50)': 'nvarchar(50)', 'varchar(max)': 'nvarchar(max)', text: 'nvarchar(max)', ntext: 'nvarchar(max)',
  image: 'varbinary(max)', xml: 'nvarchar(max)', rowversion: 'binary(8)', 'numeric(38,38)': 'decimal(38,38)', 'numeric(9,2)': 'decimal(9,2)',
};

function padScale(s: string, scale: number): string {
  if (scale === 0) return s;
  const [i, f = ''] = s.split('.');
  return `${i}.${f.padEnd(scale, '0')}`;
}

for (const name of ['time-adaptive_decimal-precise_binary-bytes', 'time-connect_decimal-string_binary-bytes']) {
  test(`${name}: the SQL Server dialect declares the source types and stages every value exactly`, () => {
    const fx = fixtures.find((f) => f.name === name)!;
    const decoder = new EnvelopeDecoder();
    for (const ev of fx.events.filter((e) => e.op !== 'd')) {
      const d = decodeText(decoder, ev.key, ev.value) as ChangeEvent;
      const row = fx.source[ev.after!]!;
      for (const def of d.def.columns) {
        const col = columns.find((c) => c.name === def.name)!;
        assert.equal(columnTypeFor(def.type, def.name === 'id'), SAME_TYPE[col.sqlType] ?? col.sqlType, `${col.name}: ${typeToString(def.type)}`);
        const text = row[col.name]!;
        if (isCorrupt(fx, ev.after!, col.name)) continue;
        const staged = stageValue(def.type, d.after![col.name]!);
        if (text === null) { assert.equal(staged, null); continue; }
        const want = expectedDecoded(col, text, fx.connector);
        switch (def.type.kind) {
          case 'decimal': assert.equal(padScale(String(staged), def.type.scale), text, col.name); break;
          case 'int': assert.equal(String(staged), text, col.name); break;
          case 'uuid': assert.equal(staged, text.toLowerCase(), col.name); break; // SQL Server stores the GUID, prints it upper-case
          case 'timestamptz': assert.equal(staged, isoWithOffset(text), col.name); break; // style 127 keeps the offset
          case 'float': assert.equal(def.type.bits === 32 ? Math.fround(staged as number) : staged, want, col.name); break;
          default: assert.deepEqual(staged, want, col.name);
        }
      }
    }
  });
}
