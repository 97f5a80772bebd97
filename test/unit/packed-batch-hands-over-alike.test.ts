/**
 * A batch crosses from the fetch thread to the apply thread packed in one transferred buffer
 * (main/engine/source/packed-batch.ts). What arrives must be what was fetched: every recorded MariaDB and
 * SQL Server fixture, in several batches (a schema is sent once, then named by its id), through a real
 * transfer, with the same offsets and timestamps, keys and values byte for byte, decoding exactly as the
 * record Kafka holds; records that are not `{"schema":…,"payload":…}`, null keys and tombstones as read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asFetched, recordedMariadb, recordedSqlserver } from '../doubles/recorded-records.ts';
import type { RecordedRecord } from '../doubles/recorded-records.ts';
import type { KafkaMessage } from 'kafkajs';
import { fullValue, SchemaInterner, schemaOf } from '../../main/engine/decode/compact.ts';
import { EnvelopeDecoder } from '../../main/engine/decode/envelope.ts';
import { BatchPacker, BatchUnpacker } from '../../main/engine/source/packed-batch.ts';
import type { PackedBatch } from '../../main/engine/source/packed-batch.ts';

type Rec = RecordedRecord;
const mariadb = recordedMariadb;
const sqlserver = recordedSqlserver;
const odd: Rec[] = [
  { name: 'not an envelope', key: null, value: ' {"schema":{},"payload":{}}' },
  { name: 'payload mark inside a parameter', key: '{"id":1}', value: '{"schema":{"type":"struct","parameters":{"a":"b","payload":"c"}},"payload":{"op":"t"}}' },
  { name: 'tombstone without key', key: null, value: null },
  { name: 'empty value', key: '', value: '' },
];
const all = [...mariadb, ...sqlserver, ...odd];
const buf = (s: string | null): Buffer | null => (s === null ? null : Buffer.from(s));
const attempt = <T>(fn: () => T): { ok: T } | { err: string } => { try { return { ok: fn() }; } catch (e) { return { err: (e as Error).message }; } };

const fetched = (recs: Rec[], first: number): KafkaMessage[] => asFetched(recs, first).messages;

/** Through a real transfer, as postMessage does between threads. */
async function transfer(b: PackedBatch): Promise<PackedBatch> {
  const { port1, port2 } = new MessageChannel();
  const got = new Promise<PackedBatch>((resolve) => port2.once('message', resolve));
  port1.postMessage(b, [b.bytes]);
  const out = await got;
  port1.close();
  assert.equal(b.bytes.byteLength, 0, 'the sender no longer holds the buffer (moved, not copied)');
  return out;
}

describe('batches packed by the fetch thread', () => {
  it('arrive as fetched: offsets, timestamps, keys and values byte for byte, decoding alike; each schema sent once', async () => {
    assert.ok(mariadb.length > 10 && sqlserver.length > 10, `${mariadb.length} MariaDB, ${sqlserver.length} SQL Server records`);
    const packer = new BatchPacker(new SchemaInterner());
    const unpacker = new BatchUnpacker();
    const raw = new EnvelopeDecoder();
    const dec = new EnvelopeDecoder();
    let sent = 0;
    let compacted = 0;
    let changes = 0;
    // Twice over, in batches of 17: the second round's schemas are all known already.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < all.length; i += 17) {
        const recs = all.slice(i, i + 17);
        const packed = packer.pack(3, fetched(recs, 1000 * round + i));
        if (round === 1) assert.equal(packed.schemas.length, 0, 'a schema already sent is named by its id');
        sent += packed.schemas.length;
        const messages = unpacker.unpack(await transfer(packed));
        assert.equal(messages.length, recs.length);
        recs.forEach((r, j) => {
          const m = messages[j]!;
          assert.equal(m.offset, String(1000 * round + i + j), r.name);
          assert.equal(m.timestamp, String(1_700_000_000_000 + 1000 * round + i + j), r.name);
          assert.equal(m.key?.toString('utf8') ?? null, r.key, `${r.name}: key`);
          assert.equal(fullValue(m.value ?? null)?.toString('utf8') ?? null, r.value, `${r.name}: value byte for byte`);
          const ref = m.value ? schemaOf(m.value) : undefined;
          if (ref) {
            compacted++;
            assert.notEqual(ref.bytes.buffer, m.value!.buffer, `${r.name}: the schema kept does not hold a batch's buffer`);
          }
          const want = attempt(() => raw.decodeBuffers(buf(r.key), buf(r.value)));
          assert.deepEqual(attempt(() => dec.decodeBuffers(m.key ?? null, m.value ?? null)), want, `${r.name} round ${round}`);
          if ('ok' in want && want.ok.kind === 'change') changes++;
        });
      }
    }
    assert.ok(sent > 5 && sent < all.length, `${sent} schemas sent for ${all.length} records`);
    assert.ok(compacted > all.length, `${compacted} values arrived without their schema part`);
    assert.ok(changes > 40, `${changes} change events compared`);
    assert.equal(schemaOf(unpacker.unpack(packer.pack(0, fetched([odd[0]!], 0)))[0]!.value!), undefined, 'not an envelope: sent whole');
  });

  it('give back a schema part that is not valid UTF-8 byte for byte', async () => {
    const value = Buffer.concat([Buffer.from('{"schema":{"type":"string","name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"},"payload":"x"}')]);
    const m = { offset: '7', timestamp: '1', attributes: 0, key: null, value, headers: {} } as unknown as KafkaMessage;
    const [got] = new BatchUnpacker().unpack(await transfer(new BatchPacker(new SchemaInterner()).pack(0, [m])));
    assert.ok(schemaOf(got!.value!), 'compacted (the schema part parses)');
    assert.deepEqual(fullValue(got!.value!), value);
  });

  it('refuse a batch naming a schema that was never sent (a new reader gets its own)', () => {
    const packed = new BatchPacker(new SchemaInterner()).pack(0, fetched(mariadb.slice(0, 3), 0));
    assert.ok(packed.schemas.length > 0);
    packed.schemas = [];
    assert.throws(() => new BatchUnpacker().unpack(packed), /schema 0 was never sent/);
  });
});
