/**
 * A fetched batch handed from the fetch thread (fetch-thread.ts) to the apply thread in one transferred
 * buffer: each record's key and payload (its value without the schema part, decode/compact.ts) laid end
 * to end, with a table of where each starts, the offsets and timestamps as kafkajs gives them, and the
 * schema texts the apply thread has not been sent yet. Transferring the buffer moves it without a copy,
 * and the apply thread's messages are views into it: nothing is decoded or cloned per row on the way.
 * A value that is not `{"schema":…,"payload":…}` with a schema part that parses is sent whole, as read.
 */
import type { KafkaMessage } from 'kafkajs';
import { adoptPayload } from '../decode/compact.ts';
import type { SchemaInterner, SchemaRef } from '../decode/compact.ts';

/** Per record: key start, key length (-1: null), value start, value length (-1: null), schema id (-1: whole). */
const FIELDS = 5;

export interface PackedBatch {
  partition: number;
  bytes: ArrayBuffer;
  table: Int32Array;
  offsets: string[];
  timestamps: string[];
  /** Schemas first used in this batch: their id and where their bytes are in `bytes`. */
  schemas: { id: number; at: number; length: number }[];
}

/** The fetch thread's side: which schemas the apply thread knows, by id. */
export class BatchPacker {
  private readonly interner: SchemaInterner;
  private readonly ids = new Map<SchemaRef, number>();

  constructor(interner: SchemaInterner) { this.interner = interner; }

  pack(partition: number, messages: KafkaMessage[]): PackedBatch {
    const n = messages.length;
    const table = new Int32Array(n * FIELDS);
    const offsets = new Array<string>(n);
    const timestamps = new Array<string>(n);
    const schemas: PackedBatch['schemas'] = [];
    const fresh: SchemaRef[] = [];
    let size = 0;
    // First the sizes and the table, then the copies (read back from the table: no object per record).
    for (let i = 0; i < n; i++) {
      const m = messages[i]!;
      offsets[i] = m.offset;
      timestamps[i] = m.timestamp;
      const o = i * FIELDS;
      if (m.key) { table[o] = size; table[o + 1] = m.key.length; size += m.key.length; } else table[o + 1] = -1;
      const v = m.value;
      if (!v) { table[o + 3] = -1; table[o + 4] = -1; continue; }
      const found = this.interner.split(v);
      const length = found ? v.length - 1 - found.at : v.length;
      table[o + 2] = size; table[o + 3] = length;
      size += length;
      if (!found) { table[o + 4] = -1; continue; }
      let id = this.ids.get(found.ref);
      if (id === undefined) { id = this.ids.size; this.ids.set(found.ref, id); fresh.push(found.ref); }
      table[o + 4] = id;
    }
    const rows = size;
    for (const r of fresh) { schemas.push({ id: this.ids.get(r)!, at: size, length: r.bytes.length }); size += r.bytes.length; }
    const out = Buffer.allocUnsafeSlow(size);
    for (let i = 0; i < n; i++) {
      const m = messages[i]!;
      const o = i * FIELDS;
      if (m.key) m.key.copy(out, table[o]!);
      const length = table[o + 3]!;
      if (length < 0) continue;
      // A payload ends before the value's closing brace; a value sent whole is copied whole.
      const from = table[o + 4]! >= 0 ? m.value!.length - 1 - length : 0;
      m.value!.copy(out, table[o + 2]!, from, from + length);
    }
    let at = rows;
    for (const r of fresh) at += r.bytes.copy(out, at);
    return { partition, bytes: out.buffer as ArrayBuffer, table, offsets, timestamps, schemas };
  }
}

/** The apply thread's side: the schemas received so far, by id. */
export class BatchUnpacker {
  private readonly known = new Map<number, SchemaRef>();

  /** The batch as kafkajs messages whose keys and values are views into the transferred buffer. */
  unpack(b: PackedBatch): KafkaMessage[] {
    const all = Buffer.from(b.bytes);
    for (const s of b.schemas) {
      const bytes = Buffer.from(all.subarray(s.at, s.at + s.length)); // a copy: a view would hold this batch's buffer for good
      this.known.set(s.id, { text: bytes.toString('utf8'), bytes });
    }
    const n = b.offsets.length;
    const out = new Array<KafkaMessage>(n);
    const t = b.table;
    for (let i = 0; i < n; i++) {
      const o = i * FIELDS;
      const key = t[o + 1]! < 0 ? null : all.subarray(t[o]!, t[o]! + t[o + 1]!);
      let value: Buffer | null = null;
      if (t[o + 3]! >= 0) {
        value = all.subarray(t[o + 2]!, t[o + 2]! + t[o + 3]!);
        const id = t[o + 4]!;
        if (id >= 0) {
          const ref = this.known.get(id);
          if (!ref) throw new Error(`packed batch: schema ${id} was never sent`);
          adoptPayload(value, ref);
        }
      }
      out[i] = { key, value, offset: b.offsets[i]!, timestamp: b.timestamps[i]!, attributes: 0, headers: undefined } as KafkaMessage;
    }
    return out;
  }
}
