/**
 * The engine's pass over a fetch response's record batches (main/engine/source/record-batches.ts) gives
 * what kafkajs's own `decodeMessages` gives, record for record and field for field, or the same error:
 * over message sets written by kafkajs's own encoder from every recorded Debezium record, one record per
 * batch (as Kafka Connect's producer writes them) and many per batch, with headers (repeated keys, null
 * values, a key named like an Object method), null keys and tombstones, negative timestamp deltas, log
 * append time, transactional, control and compressed batches, offsets beyond 2^53, and a message set cut at
 * every byte of its last batch (as a fetch's byte limit cuts it). The plain batches are its own (none
 * handed to kafkajs); the others are handed over.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { recordedMariadb, recordedSqlserver } from '../doubles/recorded-records.ts';
import { fastDecodeMessages, handedOver, installRecordBatchDecoder, KAFKAJS_DECODE_MESSAGES, kafkajsDecoders } from '../../main/engine/source/record-batches.ts';
import type { KafkajsDecoders } from '../../main/engine/source/record-batches.ts';

const require = createRequire(import.meta.url);
const base = 'kafkajs/src/protocol/';
interface Enc { buffer: Buffer }
type AnyFn = (...a: never[]) => unknown;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: string | number): unknown };
const { RecordBatch } = require(`${base}recordBatch/v0/index.js`) as { RecordBatch: (o: Record<string, unknown>) => Promise<Enc> };
const Record = require(`${base}recordBatch/record/v0/index.js`) as (o: Record<string, unknown>) => Enc;
const { Types } = require(`${base}message/compression/index.js`) as { Types: { GZIP: number } };
const k = kafkajsDecoders();
const original = require(KAFKAJS_DECODE_MESSAGES) as (d: unknown) => Promise<unknown[]>;
const fast = fastDecodeMessages(k);

const recorded = [...recordedMariadb, ...recordedSqlserver];
const buf = (s: string | null): Buffer | null => (s === null ? null : Buffer.from(s));

interface BatchSpec { first: string | number; ts?: number; recs: Array<{ key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown>; tsDelta?: number }>; gzip?: boolean; transactional?: boolean; attributesOr?: number }

async function batch(s: BatchSpec): Promise<Buffer> {
  const ts = s.ts ?? 1_733_390_000_000;
  const records = s.recs.map((r, i) => Record({ offsetDelta: i, timestampDelta: r.tsDelta ?? i, key: r.key, value: r.value, headers: r.headers ?? {} }));
  const enc = await RecordBatch({
    firstOffset: Long.fromValue(s.first), firstTimestamp: ts, maxTimestamp: ts + 5_000, lastOffsetDelta: s.recs.length - 1,
    records, ...(s.gzip ? { compression: Types.GZIP } : {}), transactional: s.transactional ?? false,
    producerId: Long.fromValue(4242), producerEpoch: 3, firstSequence: 17, partitionLeaderEpoch: 9,
  });
  const out = Buffer.from(enc.buffer);
  if (s.attributesOr) out.writeInt16BE(out.readInt16BE(21) | s.attributesOr, 21); // attributes: after offset, length, epoch, magic, crc
  return out;
}

/** The decoder kafkajs's fetch response hands over: at the message set's size. */
const decoderOf = (set: Buffer, size = set.length): InstanceType<KafkajsDecoders['Decoder']> => {
  const head = Buffer.alloc(4);
  head.writeInt32BE(size);
  return new k.Decoder(Buffer.concat([head, set, Buffer.from([1, 2, 3])]));
};

async function outcome(fn: (d: never) => Promise<unknown[]>, set: Buffer, size?: number): Promise<{ ok: unknown[]; rest: number } | { err: string }> {
  const d = decoderOf(set, size);
  // Own fields, the headers included (the pass reads them when first asked for: an accessor).
  try { return { ok: (await fn(d as never)).map((r) => ({ ...(r as object), headers: (r as { headers: unknown }).headers })), rest: d.offset }; } catch (e) { return { err: `${(e as Error).name}: ${(e as Error).message}` }; }
}

async function same(set: Buffer, what: string, size?: number): Promise<unknown[]> {
  const want = await outcome(original as AnyFn as (d: never) => Promise<unknown[]>, set, size);
  const got = await outcome(fast as AnyFn as (d: never) => Promise<unknown[]>, set, size);
  assert.deepStrictEqual(got, want, what);
  return 'ok' in want ? want.ok : [];
}

describe('record batches decoded in one pass', () => {
  it('one recorded Debezium record per batch, as Connect writes them: kafkajs\'s records, none handed over', async () => {
    assert.ok(recorded.length > 30, `${recorded.length} recorded records`);
    const set = Buffer.concat(await Promise.all(recorded.map((r, i) => batch({ first: 1000 + i, recs: [{ key: buf(r.key), value: buf(r.value) }] }))));
    const before = handedOver.batches;
    const recs = await same(set, 'one per batch') as Array<{ offset: string; value: Buffer | null }>;
    assert.equal(handedOver.batches, before, 'every plain batch decoded by the pass');
    assert.equal(recs.length, recorded.length);
    assert.equal(recs[5]!.offset, '1005');
    assert.equal(recs[5]!.value?.toString(), recorded[5]!.value);
  });

  it('many records per batch, headers of every shape kafkajs writes, null keys, tombstones, timestamps before the batch\'s first', async () => {
    const headers: Array<Record<string, unknown>> = [
      {}, { a: Buffer.from('x') }, { a: [Buffer.from('1'), Buffer.from('2'), Buffer.from('3')] }, { n: Buffer.alloc(0) },
      { 'toString': Buffer.from('t'), 'é ü': Buffer.from([0, 255]) }, { b: [Buffer.from('p'), Buffer.from('q')] },
    ];
    const recs = recorded.slice(0, 40).map((r, i) => ({ key: i % 7 === 3 ? null : buf(r.key), value: i % 5 === 4 ? null : buf(r.value), headers: headers[i % headers.length], tsDelta: (i % 3) - 1 }));
    const set = Buffer.concat([await batch({ first: 0, recs: recs.slice(0, 13) }), await batch({ first: 13, recs: recs.slice(13) }), await batch({ first: 500, recs: [{ key: Buffer.alloc(0), value: Buffer.alloc(0) }] })]);
    const before = handedOver.batches;
    const out = await same(set, 'many per batch') as Array<{ headers: Record<string, unknown> }>;
    assert.equal(handedOver.batches, before);
    assert.equal(out.length, 41);
    assert.ok(Array.isArray(out[2]!.headers['a']) && Array.isArray(out[4]!.headers['toString']), 'repeated keys, and one named like an Object method, folded as kafkajs folds them');
    const raw = await fast(decoderOf(set) as never) as Array<{ headers: unknown }>;
    raw[1]!.headers = undefined;
    assert.equal(raw[1]!.headers, undefined, 'headers dropped stay dropped (decode/compact.ts)');
    assert.deepEqual(raw[2]!.headers, { a: [Buffer.from('1'), Buffer.from('2'), Buffer.from('3')] });
    assert.equal(raw[2]!.headers, raw[2]!.headers, 'read once');
  });

  it('log append time and transactional batches: the pass\'s; control, compressed and beyond-2^53 batches: kafkajs\'s', async () => {
    const recs = recorded.slice(0, 4).map((r) => ({ key: buf(r.key), value: buf(r.value) }));
    const before = handedOver.batches;
    await same(Buffer.concat([await batch({ first: 7, recs, attributesOr: 0x08 }), await batch({ first: 11, recs, transactional: true })]), 'log append time, transactional');
    assert.equal(handedOver.batches, before);
    await same(Buffer.concat([await batch({ first: 7, recs }), await batch({ first: 11, recs, attributesOr: 0x20 }), await batch({ first: 15, recs })]), 'a control batch between');
    await same(Buffer.concat([await batch({ first: 7, recs, gzip: true }), await batch({ first: 11, recs })]), 'gzip');
    await same(await batch({ first: '9007199254740990', recs }), 'offsets crossing 2^53');
    await same(await batch({ first: '9223372036854775000', recs }), 'offsets near 2^63');
    assert.equal(handedOver.batches, before + 4, 'the control, gzip and two large-offset batches handed over');
  });

  it('a message set cut at every byte of its last batch, a set of another format, an empty set', async () => {
    const recs = recorded.slice(0, 3).map((r) => ({ key: buf(r.key), value: buf(r.value) }));
    const whole = Buffer.concat([await batch({ first: 0, recs }), await batch({ first: 3, recs: recs.slice(0, 1) }), await batch({ first: 4, recs })]);
    const lastStart = whole.length - (await batch({ first: 4, recs })).length;
    for (let cut = lastStart - 1; cut <= whole.length; cut++) {
      const got = await same(whole.subarray(0, cut), `cut at ${cut} of ${whole.length}`);
      assert.equal(got.length, cut === whole.length ? 7 : cut >= lastStart ? 4 : 3, `records at cut ${cut}`);
    }
    await same(Buffer.alloc(0), 'empty', 0);
    await same(whole, 'a size larger than the bytes there', whole.length + 10);
    const legacy = Buffer.from(whole);
    legacy.writeInt8(1, 16); // magic 1: the legacy message set
    await same(legacy, 'another magic');
  });

  it('bytes the pass cannot read are kafkajs\'s to decode or to refuse: the same records or the same error', async () => {
    const recs = recorded.slice(0, 3).map((r) => ({ key: buf(r.key), value: buf(r.value) }));
    const good = await batch({ first: 0, recs });
    // The record count (its first byte: negative counts; not a count in the billions, which kafkajs reads
    // record by record past the end), then the first record's length, attributes, deltas and key length.
    const cases: Array<[number, number[]]> = [[12 + 45, [0x80, 0xff]], [12 + 48, [0x00, 0x01, 0x7f, 0xff]], ...[49, 50, 51, 52, 53, 60].map((d): [number, number[]] => [12 + d, [0x00, 0x7f, 0x80, 0xff]])];
    for (const [at, bytes] of cases) {
      for (const byte of bytes) {
        const bad = Buffer.from(good);
        bad[at] = byte;
        await same(Buffer.concat([bad, good]), `byte ${at} set to ${byte}`);
      }
    }
    // The headers: their count, a key's length (0x01: -1, a null key), the value's length after it.
    const withHeaders = await batch({ first: 0, recs: [{ key: buf('k'), value: buf('v'), headers: { hdrkey: Buffer.from('hv') } }, ...recs] });
    const keyAt = withHeaders.indexOf('hdrkey');
    for (const at of [keyAt - 2, keyAt - 1, keyAt + 6]) {
      for (const byte of [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0xff]) {
        const bad = Buffer.from(withHeaders);
        bad[at] = byte;
        await same(Buffer.concat([bad, good]), `header byte ${at - keyAt} set to ${byte}`);
      }
    }
  });

  it('installs in place of kafkajs\'s decodeMessages, once', () => {
    assert.equal(installRecordBatchDecoder(), null);
    assert.equal(installRecordBatchDecoder(), null, 'a second install is a no-op');
    const now = require(KAFKAJS_DECODE_MESSAGES) as AnyFn;
    assert.notEqual(now, original);
    const v11 = require(`${base}requests/fetch/v11/response.js`) as { decode: unknown };
    assert.ok(v11.decode, 'the v11 response decoder loads after it');
  });
});
