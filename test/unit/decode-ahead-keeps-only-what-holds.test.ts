/**
 * Decoding ahead (main/engine/decode/decode-ahead.ts) must give exactly what decoding at apply time gives,
 * or nothing: a result made before the decoder's schema hints changed, a message of a table that was not
 * mirrored then, and a message that failed to decode are all decoded again when applied. Recorded
 * MariaDB fixtures.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import { EnvelopeDecoder } from '../../main/engine/decode/envelope.ts';
import { DecodeAhead } from '../../main/engine/decode/decode-ahead.ts';

const dir = join(import.meta.dirname, '../fixtures/mariadb');
const records = readdirSync(dir).filter((f) => /^(c|u|d|r)-/.test(f))
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { key: string | null; value: string | null });
const message = (r: { key: string | null; value: string | null }, i: number): KafkaMessage =>
  ({ offset: String(i), key: r.key === null ? null : Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;
/**
 * Until the slices scheduled so far have run: each slice is a setImmediate that decodes for 0.05 ms and
 * queues the next one, so a turn may decode a single message: enough turns of the check phase for all.
 * (A 20 ms timer was not: on a loaded machine it was already due when the loop first ran, and fired
 * before any slice — CI: "0 decoded ahead".)
 */
const idle = async (): Promise<void> => { for (let i = 0; i < 5000; i++) await new Promise<void>((r) => setImmediate(r)); };

test('every message decoded ahead equals its decode at apply time, and is taken once', async () => {
  const decoder = new EnvelopeDecoder();
  const ahead = new DecodeAhead(decoder, () => true);
  const msgs = records.map(message);
  assert.ok(msgs.length > 20);
  ahead.prepare(msgs);
  await idle();
  let hits = 0;
  for (const m of msgs) {
    const got = ahead.take(m);
    if (got === undefined) continue;
    hits++;
    assert.deepEqual(got, new EnvelopeDecoder().decodeBuffers(m.key, m.value), `offset ${m.offset}`);
    assert.equal(ahead.take(m), undefined, 'taken once');
  }
  assert.equal(hits, msgs.length, `${hits} of ${msgs.length} decoded ahead`);
});

test('a change of the decoder\'s schema hints (epoch) voids what was decoded before it', async () => {
  const decoder = new EnvelopeDecoder();
  const ahead = new DecodeAhead(decoder, () => true);
  const msgs = records.map(message);
  ahead.prepare(msgs);
  await idle();
  assert.equal(decoder.setUnsignedBigints(new Map([['crm.contact', new Set(['big_counter'])]])), true);
  for (const m of msgs) assert.equal(ahead.take(m), undefined);
});

test('messages of tables not mirrored when decoded ahead, and messages that failed, are left to apply time', async () => {
  const decoder = new EnvelopeDecoder();
  const ahead = new DecodeAhead(decoder, () => false);
  const msgs = records.map(message);
  const broken = message({ key: records[0]!.key, value: '{"schema":{"type":"struct"},"payload":{"op":' }, 999);
  const ahead2 = new DecodeAhead(decoder, () => true);
  ahead.prepare(msgs);
  ahead2.prepare([broken]);
  await idle();
  for (const m of msgs) assert.equal(ahead.take(m), undefined, 'skipped: not kept');
  assert.equal(ahead2.take(broken), undefined, 'failed: not kept (apply time makes it poison)');
  assert.throws(() => decoder.decodeBuffers(broken.key, broken.value));
});

test('clear drops what was pending (a reading dropped): nothing of it is decoded', async () => {
  const decoder = new EnvelopeDecoder();
  const ahead = new DecodeAhead(decoder, () => true);
  const msgs = records.map(message);
  ahead.prepare(msgs);
  ahead.clear();
  await idle();
  for (const m of msgs) assert.equal(ahead.take(m), undefined);
});
