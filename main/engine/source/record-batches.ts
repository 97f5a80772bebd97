/**
 * The record batches of a fetch response, decoded in one pass over their bytes, in place of kafkajs's
 * own decoding (its `fetch/v4/decodeMessages`, used by every fetch version it speaks). kafkajs 2.2.4
 * decodes each record batch through an async function that spreads its header into two objects, makes a
 * decoder object per record and 64-bit integers (BigInt-backed, parsed from strings, once per byte of a
 * varlong) for each record's offset and timestamp, folds the headers with an object spread per header,
 * and ends each fetch by throwing an error (with its stack trace) at the partial batch the fetch's byte
 * limit cut. Debezium's records come one per record batch at Kafka Connect's default producer `batch.size`
 * (a 12–13 KB record in a 16 KB batch), so all of that is per record: the engine's CPU profile into
 * PostgreSQL had 5.1 % of its time inside kafkajs's decoding, with its garbage on top.
 *
 * The records made here are kafkajs's, field for field (test/unit: compared with kafkajs's decoder over
 * batches written by kafkajs's encoder), their headers read when first asked for; a batch this pass does not take —
 * compressed, a control batch, an offset or timestamp beyond 2^53, a message format before v2, or bytes
 * it cannot read — goes to kafkajs's own decoder, so that its records and its errors are kafkajs's.
 */
import { createRequire } from 'node:module';

/** kafkajs's decoder object, as its response decoders pass it (protocol/decoder.js). */
interface KafkaDecoder { buffer: Buffer; offset: number; readInt32(): number; canReadBytes(n: number): boolean; readBytes(n: number): Buffer }
type DecoderClass = new (buffer: Buffer) => KafkaDecoder;
type DecodeMessages = (decoder: KafkaDecoder) => Promise<unknown[]>;
type RecordBatchDecoder = (decoder: KafkaDecoder) => Promise<{ records: unknown[] }>;
type MessageSetDecoder = (decoder: KafkaDecoder, size: number) => unknown;

/** What the pass needs of kafkajs: its decoders, for what it hands over. */
export interface KafkajsDecoders { Decoder: DecoderClass; recordBatch: RecordBatchDecoder; messageSet: MessageSetDecoder }

export interface BatchContext {
  firstOffset: string; firstTimestamp: string; partitionLeaderEpoch: number; inTransaction: boolean; isControlBatch: boolean;
  lastOffsetDelta: number; producerId: string; producerEpoch: number; firstSequence: number; maxTimestamp: string;
  timestampType: number; magicByte: number;
}

export interface DecodedRecord {
  magicByte: number; attributes: number; timestamp: string; offset: string; key: Buffer | null; value: Buffer | null;
  headers: Record<string, Buffer | null | Array<Buffer | null>>; isControlRecord: boolean; batchContext: BatchContext;
}

const MAGIC_OFFSET = 16;
const RECORD_BATCH_OVERHEAD = 49;
const MAGIC_V2 = 2;
const CODEC_MASK = 0x07;
const TIMESTAMP_TYPE_FLAG = 0x08;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
const LOG_APPEND_TIME = 1;
const CREATE_TIME = 0;
const TWO_32 = 4_294_967_296;

/** A batch the pass hands to kafkajs. */
class NotMine extends Error {}
const notMine = new NotMine('handed to kafkajs');

/** A signed 64-bit big-endian integer at `at`, as a number, or NotMine beyond 2^53. */
function int64(buf: Buffer, at: number): number {
  const n = buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
  if (!Number.isSafeInteger(n)) throw notMine;
  return n;
}

/**
 * One pass's reader: the position, and kafkajs's varint arithmetic (a zigzag varint read into a 32-bit
 * integer exactly as its `readVarInt` does, so a malformed one reads as it would there).
 */
class Reader {
  readonly buf: Buffer;
  at: number;
  end: number;
  constructor(buf: Buffer, at: number, end: number) { this.buf = buf; this.at = at; this.end = end; }

  varInt(): number {
    const buf = this.buf;
    let b: number;
    let result = 0;
    let i = 0;
    do {
      if (this.at >= this.end) throw notMine;
      b = buf[this.at++]!;
      result += (b & 0x7f) << i;
      i += 7;
    } while (b >= 0x80);
    return (result >>> 1) ^ -(result & 1);
  }

  /** A zigzag varlong, as a number; NotMine when it needs more than 49 bits. */
  varLong(): number {
    const buf = this.buf;
    let b: number;
    let result = 0;
    let scale = 1;
    do {
      if (this.at >= this.end || scale > 2 ** 42) throw notMine;
      b = buf[this.at++]!;
      result += (b & 0x7f) * scale;
      scale *= 128;
    } while (b >= 0x80);
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  }

  bytes(): Buffer | null {
    const n = this.varInt();
    if (n === -1) return null;
    if (n < 0 || this.at + n > this.end) throw notMine;
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}

type Headers = DecodedRecord['headers'];

/** Skips a record's headers, checking that kafkajs would read them as `headersOf` does; NotMine if not. */
function skipHeaders(r: Reader): void {
  const n = r.varInt();
  if (n < -1) throw notMine;
  for (let i = 0; i < n; i++) {
    const k = r.varInt();
    if (k < 0 || r.at + k > r.end) throw notMine; // a null header key kafkajs reads as the property "null": handed over
    r.at += k;
    const v = r.varInt();
    if (v < -1 || r.at + Math.max(v, 0) > r.end) throw notMine;
    if (v > 0) r.at += v;
  }
}

/** kafkajs's fold of a record's headers into an object: a repeated key collects its values in an array. */
function headersOf(r: Reader): Headers {
  const n = r.varInt();
  const out: Headers = {};
  for (let i = 0; i < n; i++) {
    const key = r.bytes()!.toString('utf8');
    const value = r.bytes();
    const had = out[key]; // as kafkajs looks it up: through the prototype
    const next = had === undefined ? value : Array.isArray(had) ? had.concat([value]) : [had, value];
    if (key === '__proto__') Object.defineProperty(out, key, { value: next, writable: true, enumerable: true, configurable: true });
    else out[key] = next;
  }
  return out;
}

/**
 * A record as kafkajs makes it, except that its headers are read from the fetch's bytes when first asked
 * for: Debezium's three context headers per record (`__debezium.context.*`) were 570 of the 910 bytes
 * the pass allocated per record, and the engine never reads them (decode/compact.ts drops them).
 */
class FetchedRecord implements DecodedRecord {
  magicByte: number; attributes: number; timestamp: string; offset: string; key: Buffer | null; value: Buffer | null;
  isControlRecord: boolean; batchContext: BatchContext;
  #src: Buffer | null;
  #at: number;
  #end: number;
  #headers: Headers | undefined;

  constructor(ctx: BatchContext, attributes: number, timestamp: string, offset: string, key: Buffer | null, value: Buffer | null, src: Buffer, at: number, end: number) {
    this.magicByte = ctx.magicByte; this.attributes = attributes; this.timestamp = timestamp; this.offset = offset;
    this.key = key; this.value = value; this.isControlRecord = false; this.batchContext = ctx;
    this.#src = src; this.#at = at; this.#end = end; this.#headers = undefined;
  }

  get headers(): Headers {
    if (this.#src !== null) {
      this.#headers = headersOf(new Reader(this.#src, this.#at, this.#end));
      this.#src = null;
    }
    return this.#headers!;
  }

  set headers(h: Headers) {
    this.#headers = h;
    this.#src = null;
  }
}

/**
 * The records of the complete v2 batch at `start` (its 12-byte offset and length prefix included, `end`
 * where it ends), appended to `out`; NotMine when kafkajs is to decode it.
 */
function decodeBatch(buf: Buffer, start: number, end: number, out: FetchedRecord[]): void {
  const b = start + 12;
  if (end < b + RECORD_BATCH_OVERHEAD) throw notMine;
  const magicByte = buf.readInt8(b + 4);
  const attributes = buf.readInt16BE(b + 9);
  if (magicByte !== MAGIC_V2 || (attributes & (CODEC_MASK | CONTROL_FLAG)) !== 0) throw notMine;
  const first = int64(buf, start);
  const lastOffsetDelta = buf.readInt32BE(b + 11);
  const firstTs = int64(buf, b + 15);
  const timestampType = (attributes & TIMESTAMP_TYPE_FLAG) > 0 ? LOG_APPEND_TIME : CREATE_TIME;
  const ctx: BatchContext = {
    firstOffset: String(first), firstTimestamp: String(firstTs), partitionLeaderEpoch: buf.readInt32BE(b),
    inTransaction: (attributes & TRANSACTIONAL_FLAG) > 0, isControlBatch: false, lastOffsetDelta,
    producerId: String(int64(buf, b + 31)), producerEpoch: buf.readInt16BE(b + 39), firstSequence: buf.readInt32BE(b + 41),
    maxTimestamp: String(int64(buf, b + 23)), timestampType, magicByte,
  };
  const count = buf.readInt32BE(b + 45);
  if (count < -1) throw notMine; // kafkajs refuses it (an array of that length)
  const r = new Reader(buf, b + RECORD_BATCH_OVERHEAD, end);
  const rec = new Reader(buf, 0, 0);
  // kafkajs reads a count of -1 as no records, as any array.
  for (let i = 0; i < count; i++) {
    const len = r.varInt();
    const recEnd = r.at + len;
    if (len < 1 || recEnd > end) throw notMine;
    rec.at = r.at;
    rec.end = recEnd;
    const recAttributes = buf.readInt8(rec.at++);
    const tsDelta = rec.varLong();
    const offsetDelta = rec.varInt();
    // The batch's own texts where the record is its first (Connect's batches hold one record each).
    const timestamp = timestampType === LOG_APPEND_TIME ? ctx.maxTimestamp : tsDelta === 0 ? ctx.firstTimestamp : String(firstTs + tsDelta);
    const offset = first + offsetDelta;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(firstTs + tsDelta)) throw notMine;
    const key = rec.bytes();
    const value = rec.bytes();
    const headersAt = rec.at;
    skipHeaders(rec);
    out.push(new FetchedRecord(ctx, recAttributes, timestamp, offsetDelta === 0 ? ctx.firstOffset : String(offset), key, value, buf, headersAt, recEnd));
    r.at = recEnd;
  }
}

/**
 * kafkajs's `decodeMessages(decoder)`: the partition's message set, read from `decoder` (its size, then
 * its bytes), decoded into records; the batch that the fetch's byte limit cut ends it.
 */
export function fastDecodeMessages(k: KafkajsDecoders): DecodeMessages {
  return async (decoder) => {
    const size = decoder.readInt32();
    if (size <= 0 || !decoder.canReadBytes(size)) return [];
    const buf = decoder.readBytes(size);
    if (buf.readInt8(MAGIC_OFFSET) !== MAGIC_V2) return k.messageSet(new k.Decoder(buf), size) as unknown[];
    const records: unknown[] = [];
    let at = 0;
    while (buf.length - at >= RECORD_BATCH_OVERHEAD) {
      const length = buf.readInt32BE(at + 8);
      const end = at + 12 + length;
      if (end > buf.length) break; // cut by the fetch's byte limit
      const before = records.length;
      try {
        if (length < 0) throw notMine;
        decodeBatch(buf, at, end, records as FetchedRecord[]);
        at = end;
        continue;
      } catch {
        // NotMine, or bytes this pass misreads (a RangeError): kafkajs decodes the batch, or says what is wrong.
        records.length = before;
        handedOver.batches++;
      }
      const d = new k.Decoder(buf);
      d.offset = at;
      const batch = await k.recordBatch(d);
      for (const rec of batch.records) records.push(rec);
      at = d.offset;
    }
    return records;
  };
}

/** Batches handed to kafkajs's decoder in this thread, for tests and the profile's reader. */
export const handedOver = { batches: 0 };

/** kafkajs's decoders, from the kafkajs this module resolves (its internal layout, as of 2.2.4). */
export function kafkajsDecoders(): KafkajsDecoders {
  const require = createRequire(import.meta.url);
  return {
    Decoder: require(`${KAFKAJS_PROTOCOL}decoder.js`) as DecoderClass,
    recordBatch: require(`${KAFKAJS_PROTOCOL}recordBatch/v0/decoder.js`) as RecordBatchDecoder,
    messageSet: require(`${KAFKAJS_PROTOCOL}messageSet/decoder.js`) as MessageSetDecoder,
  };
}

const KAFKAJS_PROTOCOL = 'kafkajs/src/protocol/';
/** Where kafkajs's `decodeMessages` is, as `require` resolves it. */
export const KAFKAJS_DECODE_MESSAGES = `${KAFKAJS_PROTOCOL}requests/fetch/v4/decodeMessages.js`;

const INSTALLED = Symbol.for('tenant-mirror.record-batches');
const KNOWN_KAFKAJS = '2.2.4';
/** The fetch versions whose response decoder requires `decodeMessages` (v4 on; v0–v3 read message sets only). */
const FETCH_VERSIONS_WITH_RECORD_BATCHES = [4, 5, 6, 7, 8, 9, 10, 11];

/**
 * Puts the pass in place of kafkajs's decoding, for this thread's kafkajs. Each fetch version's response
 * decoder takes `decodeMessages` when it is loaded, and kafkajs requires the response decoder of the
 * version it speaks for every fetch request it makes: response decoders this thread loaded already (it
 * fetched before, e.g. a test's own reader) are dropped from Node's module cache, so the next fetch
 * request loads them again, with the pass; a fetch under way finishes with kafkajs's decoding (the same
 * records). Returns why not, or null: another kafkajs version than the one whose layout this follows.
 */
export function installRecordBatchDecoder(): string | null {
  const require = createRequire(import.meta.url);
  let version: string;
  try { version = (require('kafkajs/package.json') as { version: string }).version; } catch { return 'kafkajs\'s package.json is not readable'; }
  if (version !== KNOWN_KAFKAJS) return `kafkajs ${version}, not ${KNOWN_KAFKAJS}`;
  const path = require.resolve(KAFKAJS_DECODE_MESSAGES);
  require(path);
  const mod = require.cache[path]!;
  if ((mod.exports as Record<symbol, unknown>)[INSTALLED]) return null;
  const fast = fastDecodeMessages(kafkajsDecoders());
  Object.defineProperty(fast, INSTALLED, { value: true });
  mod.exports = fast;
  for (const v of FETCH_VERSIONS_WITH_RECORD_BATCHES) {
    let p: string;
    try { p = require.resolve(`${KAFKAJS_PROTOCOL}requests/fetch/v${v}/response.js`); } catch { continue; }
    delete require.cache[p];
  }
  return null;
}
