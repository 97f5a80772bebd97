/**
 * Messages read ahead of apply, without their schema part. A Debezium JSON record with schemas is
 * ~90 % schema (12 KB for a 1 KB row of the CRM tables), the same text for every record of a table
 * version. Kept whole, the bytes read ahead bounded the transactions to ~100 events per batch (the
 * fetch size is what bounds the engine's memory); kept as payload + a reference to one shared copy of
 * the schema, ten times as many events fit in the same bytes, and the fetch's buffer is not held.
 *
 * A compacted value is the payload's bytes alone; `schemaOf` gives its schema, `fullValue` the record as
 * Kafka holds it (byte for byte: for what is shown or kept of a poison event). A value is compacted only
 * when its schema part parses as JSON, so the split is the real one (a prefix of a JSON object that
 * ends inside it never parses); anything else stays as it was read and is decoded as before.
 */
import type { KafkaMessage } from 'kafkajs';

export interface SchemaRef { readonly text: string; readonly bytes: Buffer }

export const SCHEMA_HEAD = Buffer.from('{"schema":');
export const PAYLOAD_MARK = Buffer.from(',"payload":');
const CLOSE = Buffer.from('}');
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;

const refs = new WeakMap<Buffer, SchemaRef>();

/** The schema of a compacted value (undefined: the value is whole). */
export function schemaOf(value: Buffer): SchemaRef | undefined {
  return refs.get(value);
}

/** `payload` is the payload part of a value whose schema is `ref` (a batch packed by the fetch thread: source/packed-batch.ts). */
export function adoptPayload(payload: Buffer, ref: SchemaRef): void {
  refs.set(payload, ref);
}

/** The record's value as Kafka holds it. */
export function fullValue(value: Buffer | null): Buffer | null {
  const r = value === null ? undefined : refs.get(value);
  return r === undefined ? value : Buffer.concat([SCHEMA_HEAD, r.bytes, PAYLOAD_MARK, value!, CLOSE]);
}

/** Schemas seen, by their bytes (bucketed by length): one shared copy each. */
export class SchemaInterner {
  /**
   * The lengths seen and, at the same index, the schemas of that length. Plain arrays: a walk over a
   * Map's entries made an array per entry, for every record (~650 bytes of garbage per record).
   */
  private readonly lengths: number[] = [];
  private readonly lists: SchemaRef[][] = [];

  /**
   * Where the payload starts in `buf` and the schema before it, or null (not `{"schema":…,"payload":…}`
   * with a schema part that parses): a known schema is found by comparing bytes, not by a search.
   */
  split(buf: Buffer): { ref: SchemaRef; at: number } | null {
    const head = SCHEMA_HEAD.length;
    if (buf.length <= head || buf[buf.length - 1] !== CLOSE_BRACE || buf.compare(SCHEMA_HEAD, 0, head, 0, head) !== 0) return null;
    const lengths = this.lengths;
    for (let b = 0; b < lengths.length; b++) {
      const len = lengths[b]!;
      const end = head + len;
      if (end + PAYLOAD_MARK.length >= buf.length || buf[end] !== COMMA || buf.compare(PAYLOAD_MARK, 0, PAYLOAD_MARK.length, end, end + PAYLOAD_MARK.length) !== 0) continue;
      const list = this.lists[b]!;
      for (let i = 0; i < list.length; i++) {
        const r = list[i]!;
        if (buf.compare(r.bytes, 0, len, head, end) === 0) return { ref: r, at: end + PAYLOAD_MARK.length };
      }
    }
    const i = buf.indexOf(PAYLOAD_MARK, head);
    if (i < 0) return null;
    const text = buf.toString('utf8', head, i);
    try { JSON.parse(text); } catch { return null; }
    const ref: SchemaRef = { text, bytes: Buffer.from(buf.subarray(head, i)) };
    const b = lengths.indexOf(ref.bytes.length);
    if (b >= 0) this.lists[b]!.push(ref);
    else { lengths.push(ref.bytes.length); this.lists.push([ref]); }
    return { ref, at: i + PAYLOAD_MARK.length };
  }

  /**
   * Replaces each message's value by its payload alone and its key by a copy, and drops its headers and
   * its batch context (the engine reads neither): nothing of the message then points into the fetch's
   * buffer. The batch context is kafkajs's record-batch header, one object per batch; at the producer's
   * default `batch.size` (16 KB) a batch holds a single ~13 KB record, so it was one more object (and its
   * strings) per queued record for the collector to copy.
   */
  compact(messages: KafkaMessage[]): void {
    for (const m of messages) {
      if (m.key) m.key = Buffer.from(m.key);
      (m as { headers?: unknown }).headers = undefined;
      (m as { batchContext?: unknown }).batchContext = undefined;
      const v = m.value;
      if (!v || refs.has(v)) continue;
      const found = this.split(v);
      if (!found) { m.value = Buffer.from(v); continue; }
      const payload = Buffer.from(v.subarray(found.at, v.length - 1));
      refs.set(payload, found.ref);
      m.value = payload;
    }
  }
}
