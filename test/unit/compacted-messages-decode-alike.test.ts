/**
 * Read-ahead messages are kept without their schema part (main/engine/decode/compact.ts). A compacted
 * message must decode exactly as the record Kafka holds (every recorded MariaDB and SQL Server fixture,
 * cold and cached schemas, after the decoder's hints change), give back the record byte for byte (what a
 * poison event shows and keeps), and hold nothing of the fetch's buffer. Records that are not
 * `{"schema":…,"payload":…}` are left whole.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asFetched, recordedMariadb, recordedSqlserver } from '../doubles/recorded-records.ts';
import type { RecordedRecord } from '../doubles/recorded-records.ts';
import type { KafkaMessage } from 'kafkajs';
import { fullValue, SchemaInterner, schemaOf } from '../../main/engine/decode/compact.ts';
import { EnvelopeDecoder } from '../../main/engine/decode/envelope.ts';

type Rec = RecordedRecord;
const mariadb = recordedMariadb;
const sqlserver = recordedSqlserver;
const all = [...mariadb, ...sqlserver];

const fetched = (recs: Rec[]): { messages: KafkaMessage[]; fetch: ArrayBufferLike } => asFetched(recs);
/** A Debezium envelope for table d.t (id INT key, u BIGINT without its source type): `payload` as given. */
const rowSchema = '{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"int64","optional":true,"field":"u"}],"optional":true,"name":"x.d.t.Value","field":"%"}';
const envelopeSchema = `{"type":"struct","fields":[${rowSchema.replace('%', 'before')},${rowSchema.replace('%', 'after')},{"type":"struct","fields":[{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"db"},{"type":"string","optional":false,"field":"table"},{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"source","field":"source"},{"type":"string","optional":false,"field":"op"}],"optional":false,"name":"x.d.t.Envelope"}`;
const synthetic = (name: string, payload: string): Rec => ({
  name,
  key: '{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"x.d.t.Key"},"payload":{"id":1}}',
  value: `{"schema":${envelopeSchema},"payload":${payload}}`,
});
const attempt = <T>(fn: () => T): { ok: T } | { err: string } => { try { return { ok: fn() }; } catch (e) { return { err: (e as Error).message }; } };
const buf = (s: string | null): Buffer | null => (s === null ? null : Buffer.from(s));

describe('compacted read-ahead messages', () => {
  it('decode exactly as the records Kafka holds, every fixture, cold and cached schemas', () => {
    assert.ok(mariadb.length > 10 && sqlserver.length > 10, `${mariadb.length} MariaDB, ${sqlserver.length} SQL Server records`);
    const { messages } = fetched(all);
    new SchemaInterner().compact(messages);
    let compacted = 0;
    let changes = 0;
    const raw = new EnvelopeDecoder();
    const cold = new EnvelopeDecoder();
    for (let round = 0; round < 2; round++) {
      all.forEach((r, i) => {
        const m = messages[i]!;
        if (m.value && schemaOf(m.value)) compacted++;
        const want = attempt(() => raw.decodeBuffers(buf(r.key), buf(r.value)));
        assert.deepEqual(attempt(() => cold.decodeBuffers(m.key ?? null, m.value ?? null)), want, `${r.name} round ${round}`);
        if ('ok' in want && want.ok.kind === 'change') changes++;
      });
    }
    assert.ok(compacted > all.length, `${compacted / 2} of ${all.length} values compacted`);
    assert.ok(changes > 40, `${changes} change events compared`);
  });

  it('give back each record byte for byte, smaller, with nothing left in the fetch buffer', () => {
    const { messages, fetch } = fetched(all);
    new SchemaInterner().compact(messages);
    all.forEach((r, i) => {
      const m = messages[i]!;
      assert.equal(fullValue(m.value ?? null)?.toString('utf8') ?? null, r.value === null ? null : r.value, r.name);
      assert.equal(m.key?.toString('utf8') ?? null, r.key, r.name);
      const ref = m.value ? schemaOf(m.value) : undefined;
      if (r.value !== null && r.value.startsWith('{"schema":')) {
        assert.ok(ref, `${r.name}: compacted`);
        assert.equal(m.value!.length, Buffer.byteLength(r.value) - ref.bytes.length - '{"schema":,"payload":}'.length, `${r.name}: the payload alone is kept`);
      }
      for (const b of [m.key, m.value]) if (b) assert.notEqual(b.buffer, fetch, `${r.name}: still a slice of the fetch`);
      assert.equal(m.headers, undefined);
    });
  });

  it('decode with the hints of the moment: a compacted message read before a hint change decodes with the new one', () => {
    const r = synthetic('unsigned', '{"before":null,"after":{"id":1,"u":-1},"source":{"connector":"mariadb","db":"d","table":"t","ts_ms":0},"op":"c"}');
    const hints = new Map([['d.t', new Set(['u'])]]);
    const { messages } = fetched([r]);
    new SchemaInterner().compact(messages);
    const d = new EnvelopeDecoder();
    const before = d.decodeBuffers(messages[0]!.key ?? null, messages[0]!.value ?? null);
    assert.equal(d.setUnsignedBigints(hints), true);
    const after = d.decodeBuffers(messages[0]!.key ?? null, messages[0]!.value ?? null);
    const ref = new EnvelopeDecoder();
    ref.setUnsignedBigints(hints);
    assert.deepEqual(after, ref.decodeBuffers(buf(r.key), buf(r.value)));
    assert.equal(before.kind === 'change' ? before.after?.u : null, -1n);
    assert.equal(after.kind === 'change' ? after.after?.u : null, '18446744073709551615');
  });

  it('leave records that are not {"schema":…,"payload":…} whole, and fail a bad payload as the record would', () => {
    const recs: Rec[] = [
      { name: 'not an envelope', key: null, value: ' {"schema":{},"payload":{}}' },
      { name: 'payload mark inside a parameter', key: null, value: `{"schema":{"type":"struct","parameters":{"a":"b","payload":"c"}},"payload":{"op":"t"}}` },
      synthetic('bad payload', '{"op":"c",'),
      { name: 'null schema', key: synthetic('k', '').key, value: '{"schema":null,"payload":{"op":"c"}}' },
    ];
    const { messages } = fetched(recs);
    new SchemaInterner().compact(messages);
    assert.equal(schemaOf(messages[0]!.value!), undefined);
    assert.equal(messages[0]!.value!.toString(), recs[0]!.value);
    recs.forEach((r, i) => {
      const m = messages[i]!;
      assert.equal(fullValue(m.value ?? null)!.toString(), r.value, r.name);
      assert.deepEqual(attempt(() => new EnvelopeDecoder().decodeBuffers(m.key ?? null, m.value ?? null)), attempt(() => new EnvelopeDecoder().decodeBuffers(buf(r.key), buf(r.value))), r.name);
    });
    assert.match(JSON.stringify(attempt(() => new EnvelopeDecoder().decodeBuffers(messages[2]!.key ?? null, messages[2]!.value ?? null))), /malformed JSON payload/);
    for (const d of [new EnvelopeDecoder(), new EnvelopeDecoder()]) {
      // Twice on one decoder: the second time the schema part is known by its bytes.
      for (let i = 0; i < 2; i++) assert.match(JSON.stringify(attempt(() => d.decodeBuffers(messages[3]!.key ?? null, messages[3]!.value ?? null))), /no Connect schema/);
      assert.match(JSON.stringify(attempt(() => d.decodeBuffers(buf(recs[3]!.key), buf(recs[3]!.value)))), /no Connect schema/);
    }
  });
});
