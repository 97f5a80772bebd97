/**
 * Value rules of the decoder (docs/values.md): BIGINT UNSIGNED sent as a signed long is read back
 * unsigned (propagated source type, or the schema history's word), precise mode is exact, BIT(n) bytes
 * come in the source's order, MySQL TIME is a duration (±838 h, negative). Field schemas are spelled as
 * the Debezium MariaDB connector writes them (test/fixtures/mariadb: `__debezium.source.column.*`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EnvelopeDecoder, type ChangeEvent } from '../../main/engine/decode/envelope.ts';
import { decodeText } from '../harness/decode-text.ts';
import type { ConnectField } from '../../main/engine/decode/connect-schema.ts';
import { buildStructDecoder } from '../../main/engine/decode/struct-decoder.ts';
import { bitsToBigEndian } from '../../main/engine/decode/logical/text-like.ts';
import { isUnsignedBigint, unsignedFromSigned64 } from '../../main/engine/decode/unsigned-bigint.ts';
import { historyToChanges } from '../../main/engine/schema/from-history.ts';
import { planSchemaChange } from '../../main/engine/schema/compat.ts';
import { tableHash } from '../../main/engine/schema/table-hash.ts';
import type { TableDef } from '../../main/engine/schema/table-model.ts';

const src = (type: string, length?: number, name = 'c'): Record<string, string> => ({
  '__debezium.source.column.type': type,
  ...(length === undefined ? {} : { '__debezium.source.column.length': String(length) }),
  '__debezium.source.column.name': name,
});
const row = (fields: ConnectField[]): ConnectField => ({ type: 'struct', fields });

test('BIGINT UNSIGNED as a signed long (mode long) with the propagated source type: exact decimal(20,0)', () => {
  const d = buildStructDecoder(row([{ type: 'int64', optional: true, field: 'u', parameters: src('BIGINT UNSIGNED', 20, 'u') }]), 'mariadb');
  assert.deepEqual(d.columns[0]!.type, { kind: 'decimal', precision: 20, scale: 0 });
  assert.equal(d.decode({ u: 0 }).u, '0');
  assert.equal(d.decode({ u: 9223372036854775807n }).u, '9223372036854775807');
  assert.equal(d.decode({ u: -9223372036854775808n }).u, '9223372036854775808'); // 2^63
  assert.equal(d.decode({ u: -1 }).u, '18446744073709551615'); // 2^64 − 1
  assert.equal(d.decode({ u: -2 }).u, '18446744073709551614');
});

test('signed BIGINT stays signed; INT UNSIGNED (int64 in long mode) never wraps', () => {
  const d = buildStructDecoder(row([
    { type: 'int64', optional: true, field: 's', parameters: src('BIGINT', 20, 's') },
    { type: 'int64', optional: true, field: 'i', parameters: src('INT UNSIGNED', 10, 'i') },
  ]), 'mariadb');
  assert.equal(d.decode({ s: -1, i: 4294967295 }).s, -1n);
  assert.equal(d.decode({ s: -1, i: 4294967295 }).i, 4294967295n);
});

test('BIGINT UNSIGNED in precise mode (a Connect Decimal, scale 0) is exact', () => {
  const d = buildStructDecoder(row([{
    type: 'bytes', optional: true, field: 'u', name: 'org.apache.kafka.connect.data.Decimal', version: 1,
    parameters: { scale: '0', 'connect.decimal.precision': '20', ...src('BIGINT UNSIGNED', 20, 'u') },
  }]), 'mariadb');
  const b64 = (n: bigint): string => { let h = n.toString(16); if (h.length % 2) h = '0' + h; if (parseInt(h[0]!, 16) >= 8) h = '00' + h; return Buffer.from(h, 'hex').toString('base64'); };
  assert.equal(d.decode({ u: b64(18446744073709551615n) }).u, '18446744073709551615');
  assert.equal(d.decode({ u: b64(9223372036854775808n) }).u, '9223372036854775808');
  assert.equal(d.decode({ u: 'AA==' }).u, '0');
});

test('without a propagated type, the schema history\'s BIGINT UNSIGNED makes the decoder read it unsigned, with the history\'s definition', () => {
  const [ch] = historyToChanges([{ type: 'CREATE', id: '"crm_x"."t"', table: { primaryKeyColumnNames: ['id'], columns: [
    { name: 'id', typeName: 'INT', length: 11, position: 1, optional: false },
    { name: 'u', typeName: 'BIGINT UNSIGNED', length: 20, position: 2, optional: true },
  ] } }], 'mariadb');
  const fields: ConnectField[] = [{ type: 'int32', optional: false, field: 'id' }, { type: 'int64', optional: true, field: 'u' }];
  const plain = buildStructDecoder(row(fields), 'mariadb');
  assert.equal(plain.decode({ id: 1, u: -1 }).u, -1n, 'with nothing known, the long is the long');
  const hinted = buildStructDecoder(row(fields), 'mariadb', new Set(['u']));
  assert.equal(hinted.decode({ id: 1, u: -1 }).u, '18446744073709551615');
  const def: TableDef = { schema: 'crm_x', name: 't', columns: hinted.columns, primaryKey: ['id'] };
  assert.equal(tableHash(def), tableHash(ch!.def!), 'the event definition is the history\'s');
});

test('EnvelopeDecoder: hints from the history apply to the next events (cached schemas are dropped)', () => {
  const fields: ConnectField[] = [{ type: 'int32', optional: false, field: 'id' }, { type: 'int64', optional: true, field: 'u' }];
  const key = JSON.stringify({ schema: { type: 'struct', name: 'p.crm_x.t.Key', optional: false, fields: [fields[0]] }, payload: { id: 1 } });
  const value = JSON.stringify({
    schema: { type: 'struct', name: 'p.crm_x.t.Envelope', optional: false, fields: [
      { type: 'struct', optional: true, field: 'before', name: 'p.crm_x.t.Value', fields },
      { type: 'struct', optional: true, field: 'after', name: 'p.crm_x.t.Value', fields },
      { type: 'struct', optional: false, field: 'source', fields: [] },
      { type: 'string', optional: false, field: 'op' }] },
    payload: { before: null, after: { id: 1, u: -1 }, source: { connector: 'mariadb', db: 'crm_x', table: 't' }, op: 'c' },
  });
  const dec = new EnvelopeDecoder();
  assert.equal((decodeText(dec, key, value) as ChangeEvent).after!.u, -1n);
  assert.equal(dec.setUnsignedBigints(new Map([['crm_x.t', new Set(['u'])]])), true);
  assert.equal(dec.setUnsignedBigints(new Map([['crm_x.t', new Set(['u'])]])), false, 'the same hints change nothing');
  assert.equal((decodeText(dec, key, value) as ChangeEvent).after!.u, '18446744073709551615');
  assert.equal((dec.decodeBuffers(Buffer.from(key), Buffer.from(value)) as ChangeEvent).after!.u, '18446744073709551615');
});

test('unsigned helpers', () => {
  assert.ok(isUnsignedBigint('BIGINT UNSIGNED'));
  assert.ok(isUnsignedBigint('bigint(20) unsigned zerofill'));
  assert.ok(isUnsignedBigint('BIGINT UNSIGNED(20)'));
  assert.ok(isUnsignedBigint('SERIAL'));
  assert.ok(!isUnsignedBigint('BIGINT'));
  assert.ok(!isUnsignedBigint('INT UNSIGNED'));
  assert.equal(unsignedFromSigned64(-1n), 18446744073709551615n);
  assert.throws(() => unsignedFromSigned64(1n << 64n), RangeError);
});

test('BIT(n > 1): Debezium\'s little-endian bytes are written in the source\'s (big-endian) order', () => {
  const d = buildStructDecoder(row([
    { type: 'bytes', optional: true, field: 'b16', name: 'io.debezium.data.Bits', version: 1, parameters: { length: '16', ...src('BIT', 16, 'b16') } },
    { type: 'bytes', optional: true, field: 'b64', name: 'io.debezium.data.Bits', version: 1, parameters: { length: '64', ...src('BIT', 64, 'b64') } },
    { type: 'bytes', optional: true, field: 'b12', name: 'io.debezium.data.Bits', version: 1, parameters: { length: '12' } },
    { type: 'boolean', optional: true, field: 'b1', parameters: src('BIT', 1, 'b1') },
  ]), 'mariadb');
  const b = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');
  const r = d.decode({ b16: b('0201'), b64: b('efcdab8967452301'), b12: b('01'), b1: true });
  assert.equal((r.b16 as Buffer).toString('hex'), '0102');
  assert.equal((r.b64 as Buffer).toString('hex'), '0123456789abcdef');
  assert.equal((r.b12 as Buffer).toString('hex'), '0001', 'short payloads are left-padded to ceil(n/8) bytes');
  assert.equal(r.b1, true);
  assert.deepEqual(d.columns[0]!.type, { kind: 'bytes', length: 2, fixed: true });
  assert.equal(bitsToBigEndian(Buffer.from('0180', 'hex'), 16).toString('hex'), '8001');
});

test('MySQL TIME is a duration: ±838:59:59, negative, 1 µs (MicroTime, with and without the source type)', () => {
  const micro = (field: string, params?: Record<string, string>): ConnectField =>
    ({ type: 'int64', optional: true, field, name: 'io.debezium.time.MicroTime', version: 1, ...(params ? { parameters: params } : {}) });
  const d = buildStructDecoder(row([micro('t0', src('TIME', 0, 't0')), micro('t6', src('TIME', 6, 't6')), micro('tn')]), 'mariadb');
  assert.deepEqual(d.columns.map((c) => c.type), [{ kind: 'duration', precision: 0 }, { kind: 'duration', precision: 6 }, { kind: 'duration', precision: 6 }]);
  const h = 3_600_000_000n;
  const max = 838n * h + 59n * 60_000_000n + 59_000_000n;
  assert.equal(d.decode({ t0: max }).t0, '838:59:59');
  assert.equal(d.decode({ t0: -max }).t0, '-838:59:59');
  assert.equal(d.decode({ t0: -h }).t0, '-01:00:00');
  assert.equal(d.decode({ t6: 1 }).t6, '00:00:00.000001');
  assert.equal(d.decode({ t6: -1 }).t6, '-00:00:00.000001');
  assert.equal(d.decode({ tn: -h - 500_000n }).tn, '-01:00:00.500000');
  // Other connectors' TIME stays a time of day.
  const ss = buildStructDecoder(row([micro('t', src('TIME', 6, 't'))]), 'sqlserver');
  assert.deepEqual(ss.columns[0]!.type, { kind: 'time', precision: 6 });
});

test('MySQL TIME from the schema history is a duration too; a replica time column widens to it in place', () => {
  const [ch] = historyToChanges([{ type: 'CREATE', id: '"crm_x"."t"', table: { primaryKeyColumnNames: ['id'], columns: [
    { name: 'id', typeName: 'INT', position: 1, optional: false },
    { name: 't', typeName: 'TIME', length: 6, position: 2, optional: true },
  ] } }], 'mariadb');
  const t = ch!.def!.columns[1]!;
  assert.deepEqual(t.type, { kind: 'duration', precision: 6 });
  const old: TableDef = { ...ch!.def!, columns: [ch!.def!.columns[0]!, { ...t, type: { kind: 'time', precision: 6 } }] };
  const plan = planSchemaChange(old, ch!.def!);
  assert.equal(plan.kind, 'alter');
  assert.deepEqual(plan.kind === 'alter' ? plan.plan.widenColumns.map((c) => c.name) : [], ['t']);
  assert.equal(planSchemaChange(ch!.def!, old).kind, 'recreate', 'a duration never narrows back to a time of day');
});
